"""Quotation pages: list, entry, detail with the approval steps, PDF, conversion to an order;
and linking an order to its contract. Thin: form → service → page; a refused step is
answered by core.web (403, or the refusal page with 409 / 400)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import Contract, ContractStatus
from core.actions import allowed, available, refusal
from core.errors import DomainError
from core.pdf import PDF_CONTENT_TYPE, content_disposition, render_pdf
from core.web import refused, run_step
from customers.selectors import customers_visible_to
from orders.forms.quotations import (
    CommentForm,
    LinkContractForm,
    QuotationForm,
    QuotationLineFormSet,
    lines_from,
)
from orders.models import Order, Quotation, QuotationStatus
from orders.services import quotations as services

# The states in which the quotation waits for an approval (the director hint shows).
QUOTATION_APPROVAL_STATUSES = (QuotationStatus.PENDING_APPROVAL, QuotationStatus.PENDING_DIRECTOR)

STEPS = {
    "submit": services.quotation_submit,
    "approve": services.quotation_approve,
    "send_back": services.quotation_send_back,
    "accept": services.quotation_accept,
    "decline": services.quotation_decline,
}


def _quotation(request: HttpRequest, pk: int) -> Quotation:
    quotation = get_object_or_404(
        Quotation.objects.select_related("customer", "owner", "created_by", "order"), pk=pk
    )
    if not customers_visible_to(request.user).filter(pk=quotation.customer_id).exists():
        raise Http404
    return quotation


@permission_required("orders.view_quotation", raise_exception=True)
def quotation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = Quotation.objects.select_related("customer", "owner", "order").filter(
        customer__in=customers_visible_to(request.user)
    )
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-created_at"), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "orders/quotation_list.html",
        {
            "page_obj": page,
            "quotations": page.object_list,
            "status": status,
            "statuses": QuotationStatus.choices,
        },
    )


def _form_page(request: HttpRequest, quotation: Quotation) -> HttpResponse:
    creating = quotation.pk is None
    customers = customers_visible_to(request.user).filter(is_active=True)
    data = request.POST if request.method == "POST" else None
    initial = None
    if creating and request.GET.get("customer"):
        initial = {"customer": request.GET["customer"]}
    form = QuotationForm(data, instance=quotation, initial=initial, customers=customers)
    line_initial = [
        {
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
        }
        for line in (quotation.lines.all() if not creating else [])
    ]
    lines = QuotationLineFormSet(data, prefix="lines", initial=line_initial or None)
    if creating and data is None:
        lines.extra = 2
    if data is not None and form.is_valid() and lines.is_valid():
        try:
            quotation = services.quotation_save(
                actor=request.user, quotation=form.save(commit=False), lines=lines_from(lines)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            if exc.status != 400:
                back = (
                    reverse("orders:quotation_list") if creating else quotation.get_absolute_url()
                )
                return refused(request, exc, back=back)
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("Quotation %(number)s was saved as a draft; submit it for approval when ready.")
                % {"number": quotation.number},
            )
            return redirect(quotation)
    return render(
        request,
        "orders/quotation_form.html",
        {"form": form, "lines": lines, "quotation": quotation, "creating": creating},
    )


@permission_required("orders.add_quotation", raise_exception=True)
def quotation_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, Quotation())


@permission_required("orders.add_quotation", raise_exception=True)
def quotation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quotation = _quotation(request, pk)
    # Refused before the form is filled in: the engine's own checks (draft, the maker).
    error = refusal("quotation.edit", request.user, quotation)
    if error is not None:
        return refused(request, error, back=quotation.get_absolute_url())
    return _form_page(request, quotation)


def _actions(quotation: Quotation, user: Any) -> dict[str, bool]:
    """Which buttons to show: the engine's own checks (state, role, four eyes)."""
    may = available(
        user,
        quotation,
        [f"quotation.{verb}" for verb in ("edit", "submit", "send_back", "accept", "decline")],
    )
    return {
        **{name.removeprefix("quotation_"): shown for name, shown in may.items()},
        "approve": allowed(services.quotation_approve_action(quotation), user, quotation),
        "convert": allowed("quotation.convert", user, quotation),
    }


@permission_required("orders.view_quotation", raise_exception=True)
def quotation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quotation = _quotation(request, pk)
    return render(
        request,
        "orders/quotation_detail.html",
        {
            "quotation": quotation,
            "lines": quotation.lines.select_related("product"),
            "events": quotation.events.select_related("actor"),
            "actions": _actions(quotation, request.user),
            "comment_form": CommentForm(),
            # A hint for the approvers while approval is under way; once the final
            # approval is given it no longer needs anybody (the record keeps who approved).
            "director_reasons": [r for r in quotation.director_reasons.splitlines() if r]
            if quotation.status in QUOTATION_APPROVAL_STATUSES
            else [],
        },
    )


@require_POST
@permission_required("orders.view_quotation", raise_exception=True)
def quotation_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    quotation = _quotation(request, pk)
    if action not in STEPS:
        raise Http404
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    done: list[Quotation] = []
    response = run_step(
        request,
        lambda: done.append(
            STEPS[action](actor=request.user, quotation=quotation, comment=comment)
        ),
        success="",
        back=quotation.get_absolute_url(),
        redirect_to=quotation.get_absolute_url(),
    )
    if done:
        messages.success(
            request,
            _("Quotation %(number)s: %(status)s")
            % {"number": done[0].number, "status": done[0].get_status_display()},
        )
    return response


@require_POST
@permission_required("orders.convert_quotation", raise_exception=True)
def quotation_convert(request: HttpRequest, pk: int) -> HttpResponse:
    quotation = _quotation(request, pk)
    try:
        order = services.quotation_convert(actor=request.user, quotation=quotation)
    except DomainError as exc:
        return refused(request, exc, back=quotation.get_absolute_url())
    messages.success(
        request,
        _("Order draft created from quotation %(number)s: check it and submit it for review.")
        % {"number": quotation.number},
    )
    return redirect(order)


def _pdf_context(request: HttpRequest, quotation: Quotation) -> dict[str, Any]:
    return {
        "quotation": quotation,
        "lines": quotation.lines.select_related("product"),
        "events": quotation.events.select_related("actor").filter(
            action__in=["approve", "approve_to_director", "director_approve"]
        ),
        "company": settings.PORTAL_COMPANY,
        "portal_company": settings.PORTAL_COMPANY,
        "printed_at": timezone.localtime(),
        "document_title": _("Quotation"),
        "show_prices": request.user.has_perm("orders.view_prices"),
    }


@permission_required("orders.view_quotation", raise_exception=True)
def quotation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quotation = _quotation(request, pk)
    context = _pdf_context(request, quotation)
    pdf = render_pdf("orders/quotation_pdf.html", context, request)
    # The archive keeps a copy of the generated document (and files it in the register).
    services.quotation_pdf_generated.send(
        sender=Quotation, quotation=quotation, pdf=pdf, user=request.user
    )
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(f"{quotation.number}.pdf", inline=True)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required("orders.view_order", raise_exception=True)
def order_link_contract(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    contracts = Contract.objects.filter(
        customer_id=order.customer_id, status__in=[ContractStatus.SIGNED, ContractStatus.IN_FORCE]
    )
    form = LinkContractForm(request.POST, contracts=contracts)
    if not form.is_valid():
        return refused(
            request,
            services.QuotationInvalid(_("Choose a signed contract of this customer.")),
            back=order.get_absolute_url(),
        )
    return run_step(
        request,
        lambda: services.order_contract_link(
            actor=request.user, order=order, contract=form.cleaned_data["contract"]
        ),
        success=_("The order was linked to contract %(number)s.")
        % {"number": form.cleaned_data["contract"].number}
        if form.cleaned_data["contract"] is not None
        else _("The order is no longer linked to a contract."),
        back=order.get_absolute_url(),
        redirect_to=order.get_absolute_url(),
    )
