"""The customer's pages (tracking, confirmation, change request, delivery-risk choice) and
the staff's link buttons. Thin: the link decorator (customer_portal.access) opens the
order, the selectors pick what a customer may see, every write is one action."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.actions import allowed
from core.errors import Invalid, as_domain_error
from core.uploads import private_file_response
from core.web import run_step
from customer_portal import selectors, services
from customer_portal.access import CustomerAccess, customer_view
from customer_portal.models import (
    ConfirmationKind,
    CustomerConfirmation,
    CustomerLink,
    DeliveryRiskOffer,
    RiskChoice,
)
from customers.models import Contact
from orders.models import Order

# How often the open tracking page asks for news (seconds; CUSTOMER_POLL_SECONDS).
POLL_SECONDS = 20


def _context(access: CustomerAccess, **extra: Any) -> dict[str, Any]:
    return {
        "access": access,
        "t": selectors.tracking(access.order, company=access.settings),
        "poll_seconds": getattr(settings, "CUSTOMER_POLL_SECONDS", POLL_SECONDS),
        **extra,
    }


@customer_view
def track(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    """The order in the customer's words, its progress, shipments and what to do next."""
    return render(
        request, "customer_portal/track.html", _context(access, done=request.GET.get("done", ""))
    )


@customer_view
def status_fragment(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    """The live part of the tracking page (htmx polls it while the page is open)."""
    return render(request, "customer_portal/_status.html", _context(access))


def _form_page(
    request: HttpRequest, access: CustomerAccess, template: str, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(request, template, _context(access, **extra), status=status)


@customer_view(methods=("GET", "HEAD", "POST"))
def confirm(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    """Review the approved order and sign it (drawn or typed), or ask for a change."""
    template = "customer_portal/confirm.html"
    if request.method != "POST":
        return _form_page(request, access, template)
    try:
        access.perform(
            "customer.confirm",
            signature=request.POST.get("signature", ""),
            typed_name=request.POST.get("typed_name", ""),
        )
    except Exception as exc:
        error = as_domain_error(exc)
        if isinstance(error, Invalid):
            return _form_page(
                request, access, template, status=400, errors=error.fields, error=str(error)
            )
        return access.refused(exc)
    return redirect(access.url("customer_portal:track") + "?done=confirmed")


@customer_view(methods=("POST",))
def request_change(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    try:
        access.perform("customer.request_change", message=request.POST.get("message", ""))
    except Exception as exc:
        error = as_domain_error(exc)
        if isinstance(error, Invalid):
            return _form_page(
                request,
                access,
                "customer_portal/confirm.html",
                status=400,
                change_errors=error.fields,
                show_change=True,
            )
        return access.refused(exc)
    return redirect(access.url("customer_portal:track") + "?done=change")


@customer_view(methods=("GET", "HEAD", "POST"))
def risk(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    """The offer on a delivery at risk: new date, self-pickup or split delivery."""
    offer = DeliveryRiskOffer.objects.filter(order=access.order).order_by("-created_at").first()
    if offer is None:
        raise Http404()
    template = "customer_portal/risk.html"
    extra = {"offer": offer, "choices": RiskChoice.choices}
    if request.method != "POST":
        return _form_page(request, access, template, **extra)
    try:
        access.perform(
            "customer.risk_answer",
            obj=offer,
            choice=request.POST.get("choice", ""),
            note=request.POST.get("note", ""),
        )
    except Exception as exc:
        error = as_domain_error(exc)
        if isinstance(error, Invalid):
            return _form_page(request, access, template, status=400, errors=error.fields, **extra)
        return access.refused(exc)
    return redirect(access.url("customer_portal:track") + "?done=risk")


# --- staff: the order page's panel -----------------------------------------------------------


@login_required
@require_POST
def link_send(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    back = order.get_absolute_url() + "#customer-links"
    raw = request.POST.get("contact", "")
    contact = (
        Contact.objects.filter(pk=int(raw), customer_id=order.customer_id).first()
        if raw.isdigit()
        else None
    )
    if contact is None:
        if not allowed("customer_link.send", request.user, order):
            raise PermissionDenied
        messages.error(request, _("Choose a contact of the customer."))
        return redirect(back)
    return run_step(
        request,
        lambda: services.link_send(
            actor=request.user, order=order, contact=contact, new=bool(request.POST.get("new"))
        ),
        success=_("The customer link was sent to %(contact)s.") % {"contact": contact.name},
        back=back,
        redirect_to=back,
    )


@login_required
@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(CustomerLink.objects.select_related("order", "contact"), pk=pk)
    back = link.order.get_absolute_url() + "#customer-links"
    return run_step(
        request,
        lambda: services.link_revoke(actor=request.user, link=link),
        success=_("The link of %(contact)s no longer works.") % {"contact": link.contact.name},
        back=back,
        redirect_to=back,
    )


@login_required
def signature_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's drawn signature, for staff who may see the order."""
    record = get_object_or_404(CustomerConfirmation.objects.select_related("order"), pk=pk)
    if not request.user.has_perm("orders.view_order") or not record.signature:
        raise Http404()
    return private_file_response(record.signature, "signature.png")


def panel_context(user: Any, order: Order) -> dict[str, Any] | None:
    """The order page's 发送客户链接 panel (customer_portal.apps registers it)."""
    if not order.number:
        return None
    links = list(
        CustomerLink.objects.filter(order=order)
        .select_related("contact")
        .order_by("-created_at")[:10]
    )
    for link in links:
        link.can_revoke = allowed("customer_link.revoke", user, link)  # type: ignore[attr-defined]
    contacts = [c for c in order.customer.contacts.all() if c.mobile or c.email]
    # One read of the customer's answers: the confirmation in force and the last requests.
    answers = list(CustomerConfirmation.objects.filter(order=order).order_by("-created_at")[:20])
    confirmation = next(
        (
            a
            for a in answers
            if a.kind == ConfirmationKind.CONFIRMED
            and (order.confirmed_at is None or a.created_at >= order.confirmed_at)
        ),
        None,
    )
    return {
        "order": order,
        "links": links,
        "contacts": contacts,
        "default_contact": services.order_contact(order, contacts),
        "can_send": allowed("customer_link.send", user, order),
        "outbox": services.customer_messages(order),
        "confirmation": confirmation,
        "changes": [a for a in answers if a.kind == ConfirmationKind.CHANGE_REQUESTED][:3],
        "offers": list(DeliveryRiskOffer.objects.filter(order=order).order_by("-created_at")[:3]),
        "waits": services.portal_settings().confirmation_required,
    }
