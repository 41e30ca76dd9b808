"""The customer's after-sales requests: open one, follow its progress, rate its resolution.

Thin: the link decorator opens the order; the rules are in
customer_portal/actions/requests.py. A ticket is looked up among the tickets of the
link's order only — another order's ticket number answers 404 like a bad link.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aftersales.actions import COMPLAINABLE_STATUSES
from aftersales.models import AftersalesTicket, TicketKind, TicketStatus
from core.errors import Invalid, as_domain_error, user_message
from customer_portal.access import CustomerAccess, customer_view
from customer_portal.actions.requests import REQUEST_KINDS, complaint_open, ticket_rate

LIST_TEMPLATE = "customer_portal/complaint_list.html"
DETAIL_TEMPLATE = "customer_portal/complaint_detail.html"


def _tickets(access: CustomerAccess) -> list[AftersalesTicket]:
    # Only what the customer may see: no owner, no internal responses or repairs.
    return list(
        AftersalesTicket.objects.filter(order=access.order)
        .only(
            "pk",
            "number",
            "kind",
            "status",
            "description",
            "opened_at",
            "first_response_at",
            "promised_date",
            "resolution",
            "resolved_at",
            "rating",
            "rating_comment",
            "rated_at",
            "order_id",
        )
        .order_by("-opened_at")
    )


def _list_context(access: CustomerAccess, **extra: Any) -> dict[str, Any]:
    order = access.order
    context: dict[str, Any] = {
        "access": access,
        "order": order,
        "tickets": _tickets(access),
        "can_open": order.status in COMPLAINABLE_STATUSES,
        "kinds": [(k.value, k.label) for k in REQUEST_KINDS],
        "lines": list(order.lines.select_related("product").order_by("position", "pk")),
        "posted": {},
        "errors": {},
        "error": "",
    }
    context.update(extra)
    return context


@customer_view(methods=("GET", "HEAD", "POST"))
def requests(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    """The order's after-sales requests and the form to open one."""
    if request.method != "POST":
        return render(request, LIST_TEMPLATE, _list_context(access))
    line = None
    line_id = request.POST.get("line", "")
    if line_id:
        line = access.order.lines.filter(pk=line_id).first() if line_id.isdigit() else None
    try:
        ticket = complaint_open(
            actor=access.actor,
            order=access.order,
            kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
            line=line,
        )
    except Exception as exc:
        error = as_domain_error(exc)
        if error is None:
            raise
        if isinstance(error, Invalid):
            context = _list_context(
                access, posted=request.POST, errors=error.fields, error=user_message(error)
            )
            return render(request, LIST_TEMPLATE, context, status=400)
        return access.refused(exc)
    return redirect(access.url("customer_portal:request_detail", pk=ticket.pk))


def _ticket(access: CustomerAccess, pk: int) -> AftersalesTicket:
    ticket = AftersalesTicket.objects.filter(order=access.order, pk=pk).first()
    if ticket is None:
        raise Http404
    return ticket


def _detail_context(
    access: CustomerAccess, ticket: AftersalesTicket, **extra: Any
) -> dict[str, Any]:
    resolved = ticket.status == TicketStatus.RESOLVED
    steps = [
        {"done": True, "label": "received", "at": ticket.opened_at},
        {
            "done": ticket.first_response_at is not None,
            "label": "handling",
            "at": ticket.first_response_at,
        },
        {"done": resolved, "label": "resolved", "at": ticket.resolved_at},
    ]
    context: dict[str, Any] = {
        "access": access,
        "order": access.order,
        "ticket": ticket,
        "kind_label": dict(TicketKind.choices).get(ticket.kind, ""),
        "steps": steps,
        "can_rate": resolved and ticket.rated_at is None,
        "ratings": range(1, 6),
        "error": "",
        "posted": {},
    }
    context.update(extra)
    return context


@customer_view(methods=("GET", "HEAD", "POST"))
def request_detail(request: HttpRequest, access: CustomerAccess, pk: int) -> HttpResponse:
    """One request's progress; once resolved, the customer rates how it was handled."""
    ticket = _ticket(access, pk)
    if request.method != "POST":
        return render(request, DETAIL_TEMPLATE, _detail_context(access, ticket))
    try:
        ticket_rate(
            actor=access.actor,
            ticket=ticket,
            rating=request.POST.get("rating"),
            comment=request.POST.get("comment", ""),
        )
    except Exception as exc:
        error = as_domain_error(exc)
        if error is None:
            raise
        if isinstance(error, Invalid):
            context = _detail_context(
                access, ticket, error=user_message(error), posted=request.POST
            )
            return render(request, DETAIL_TEMPLATE, context, status=400)
        return access.refused(exc)
    return redirect(access.url("customer_portal:request_detail", pk=ticket.pk))
