"""Order documents (docs/workflow.md §7), each a page and a PDF from the same template:
the preliminary review form, the order confirmation and the internal transfer form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.pdf import pdf_response
from orders import selectors
from orders.models import Order, OrderStatus

# The review decision as the form prints it, keyed by the transition that made it.
REVIEW_RESULTS: dict[str, tuple[Any, str]] = {
    "pass_review": (_("Review passed"), "pass"),
    "request_info": (_("More information needed"), "info"),
    "reject": (_("Review rejected"), "reject"),
}

# Statuses in which an order has been confirmed (the confirmation exists from then on).
CONFIRMED_OR_LATER = {
    OrderStatus.CONFIRMED,
    OrderStatus.SERVICE_SCHEDULED,
    OrderStatus.PREPARING,
    OrderStatus.READY_TO_SHIP,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.ACCEPTED,
    OrderStatus.COMPLETED,
    OrderStatus.ARCHIVED,
}


@dataclass(frozen=True)
class Document:
    title: Any
    short_name: Any
    template: str
    url_name: str
    needs_confirmation: bool = False


DOCUMENTS = {
    "review_form": Document(
        _("Preliminary order review form"),
        _("Preliminary review form"),
        "orders/_review_form_document.html",
        "orders:review_form",
    ),
    "confirmation": Document(
        _("Order confirmation"),
        _("Order confirmation"),
        "orders/_confirmation_document.html",
        "orders:confirmation",
        needs_confirmation=True,
    ),
    "transfer": Document(
        _("Internal transfer form"),
        _("Internal transfer form"),
        "orders/_transfer_document.html",
        "orders:transfer",
    ),
}
DOCUMENT_TITLE = DOCUMENTS["review_form"].title


def _context(request: HttpRequest, pk: int, kind: str) -> dict[str, Any]:
    document = DOCUMENTS[kind]
    try:
        order = selectors.order_review_form(pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None
    if document.needs_confirmation and order.status not in CONFIRMED_OR_LATER:
        raise Http404
    review = selectors.order_last_review(order=order)
    result_label, result_kind = REVIEW_RESULTS.get(review.action, ("", "")) if review else ("", "")
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "contacts": list(order.contacts.all()),
        "events": order.events.select_related("actor") if kind == "transfer" else (),
        "review": review,
        "review_result": result_label,
        "review_result_kind": result_kind,
        # Prices are confidential (docs/workflow.md §2): masked on the page and in the PDF alike.
        "show_prices": request.user.has_perm("orders.view_prices"),
        "show_phone": request.user.has_perm("customers.view_contact_details"),
        "company": settings.PORTAL_COMPANY,
        "document_title": document.title,
        "document_template": document.template,
        "pdf_url": reverse(f"{document.url_name}_pdf", args=[order.pk]),
        "printed_at": timezone.localtime(),
    }


def document_filename(order: Order, kind: str = "review_form") -> str:
    """E.g. 初步审核表-202611-001.pdf (in the user's language); drafts use their id."""
    return f"{DOCUMENTS[kind].short_name}-{order.number or order.pk}.pdf"


def review_form_filename(order: Order) -> str:
    return document_filename(order, "review_form")


def _page(kind: str):  # type: ignore[no-untyped-def]
    @permission_required("orders.view_order", raise_exception=True)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "orders/document.html", _context(request, pk, kind))

    return view


def _pdf(kind: str):  # type: ignore[no-untyped-def]
    @permission_required("orders.view_order", raise_exception=True)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        context = _context(request, pk, kind)
        return pdf_response(
            "orders/document_pdf.html",
            context,
            filename=document_filename(context["order"], kind),
            request=request,
        )

    return view


review_form, review_form_pdf = _page("review_form"), _pdf("review_form")
confirmation, confirmation_pdf = _page("confirmation"), _pdf("confirmation")
transfer, transfer_pdf = _page("transfer"), _pdf("transfer")
