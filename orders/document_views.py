"""Order documents (DESIGN.md §7): the preliminary review form as a page and a PDF."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.pdf import pdf_response
from orders import selectors
from orders.models import Order

# The review decision as the form prints it, keyed by the transition that made it.
REVIEW_RESULTS: dict[str, tuple[Any, str]] = {
    "pass_review": (_("Review passed"), "pass"),
    "request_info": (_("More information needed"), "info"),
    "reject": (_("Review rejected"), "reject"),
}

DOCUMENT_TITLE = _("Preliminary order review form")


def _review_form_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    try:
        order = selectors.order_review_form(pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None
    review = selectors.order_last_review(order=order)
    result_label, result_kind = REVIEW_RESULTS.get(review.action, ("", "")) if review else ("", "")
    lines = list(order.lines.all())
    return {
        "order": order,
        "lines": lines,
        "contacts": list(order.contacts.all()),
        "review": review,
        "review_result": result_label,
        "review_result_kind": result_kind,
        # Prices are confidential (DESIGN.md §2): masked on the page and in the PDF alike.
        "show_prices": request.user.has_perm("orders.view_prices"),
        "show_phone": request.user.has_perm("customers.view_contact_details"),
        "company": settings.PORTAL_COMPANY,
        "document_title": DOCUMENT_TITLE,
        "printed_at": timezone.localtime(),
    }


def review_form_filename(order: Order) -> str:
    """E.g. 初步审核表-202611-001.pdf (in the user's language); drafts use their id."""
    return f"{_('Preliminary review form')}-{order.number or order.pk}.pdf"


@permission_required("orders.view_order", raise_exception=True)
def review_form(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "orders/review_form.html", _review_form_context(request, pk))


@permission_required("orders.view_order", raise_exception=True)
def review_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _review_form_context(request, pk)
    return pdf_response(
        "orders/review_form_pdf.html",
        context,
        filename=review_form_filename(context["order"]),
        request=request,
    )
