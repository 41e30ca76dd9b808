"""The customer's electronic delivery receipt pages (电子签收), on their phone.

Thin: the link decorator (customer_portal.access) opens the order; the form's fields are
read into :class:`~customer_portal.actions.receipts.ReceiptLine` rows and handed to
:func:`~customer_portal.actions.receipts.receipt_sign`, which holds every rule. A refused
input shows the form again with the reasons (400); a refused step (the order is not
delivered, the link was revoked) shows the customer's refusal page.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aftersales.models import Acceptance, ElectronicReceipt, IssueType
from core.errors import Invalid, as_domain_error, user_message
from core.pdf import content_disposition
from customer_portal.access import CustomerAccess, customer_view
from customer_portal.actions.receipts import PHOTOS_PER_LINE, ReceiptLine, receipt_sign
from orders.models import OrderStatus

TEMPLATE = "customer_portal/receipt.html"


def _receipt_of(access: CustomerAccess) -> ElectronicReceipt | None:
    return (
        ElectronicReceipt.objects.select_related("acceptance")
        .filter(acceptance__order=access.order)
        .first()
    )


def _context(access: CustomerAccess, **extra: Any) -> dict[str, Any]:
    order = access.order
    acceptance = Acceptance.objects.filter(order=order).first()
    context: dict[str, Any] = {
        "access": access,
        "order": order,
        "lines": list(order.lines.select_related("product").order_by("position", "pk")),
        "issue_types": IssueType.choices,
        "photos_per_line": PHOTOS_PER_LINE,
        "receipt": _receipt_of(access),
        "acceptance": acceptance,
        "can_sign": order.status == OrderStatus.DELIVERED and acceptance is None,
        "posted": {},
        "errors": {},
        "error": "",
    }
    context.update(extra)
    posted, errors = context["posted"], context["errors"]
    context["rows"] = [
        {
            "line": line,
            "result": posted.get(f"result-{line.pk}", ""),
            "issue_type": posted.get(f"issue_type-{line.pk}", ""),
            "note": posted.get(f"note-{line.pk}", ""),
            "errors": errors.get(f"line-{line.pk}", []),
        }
        for line in context["lines"]
    ]
    return context


def _lines_from(request: HttpRequest, access: CustomerAccess) -> list[ReceiptLine]:
    lines = []
    for line in access.order.lines.select_related("product"):
        result = request.POST.get(f"result-{line.pk}", "")
        if result not in ("ok", "issue"):
            continue  # unanswered: check_lines names it
        lines.append(
            ReceiptLine(
                order_line=line,
                ok=result == "ok",
                issue_type=request.POST.get(f"issue_type-{line.pk}", ""),
                note=request.POST.get(f"note-{line.pk}", "")[:2000],
                photos=request.FILES.getlist(f"photos-{line.pk}") if result == "issue" else [],
            )
        )
    return lines


@customer_view(methods=("GET", "HEAD", "POST"))
def receipt(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    """The receipt form while the order is delivered; afterwards what was signed."""
    if request.method != "POST":
        return render(request, TEMPLATE, _context(access))
    try:
        receipt_sign(
            actor=access.actor,
            order=access.order,
            signer=request.POST.get("signer", ""),
            signature_data_url=request.POST.get("signature", ""),
            lines=_lines_from(request, access),
            place=request.POST.get("place", ""),
        )
    except Exception as exc:
        error = as_domain_error(exc)
        if error is None:
            raise
        if isinstance(error, Invalid):
            context = _context(
                access,
                posted=request.POST,
                errors=error.fields,
                error=user_message(error),
            )
            return render(request, TEMPLATE, context, status=400)
        return access.refused(exc)
    return redirect(access.url("customer_portal:receipt") + "?signed=1")


@customer_view
def receipt_pdf(request: HttpRequest, access: CustomerAccess) -> HttpResponse:
    """The signed receipt PDF: the customer keeps a copy of what they signed."""
    found = _receipt_of(access)
    if found is None:
        raise Http404
    acceptance = found.acceptance
    with acceptance.receipt.open("rb") as file:
        data = file.read()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(
        f"电子签收-{access.order.number}.pdf", inline=False
    )
    return response
