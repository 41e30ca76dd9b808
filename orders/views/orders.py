"""Order entry, detail and the preliminary-review steps. Thin: form → service → page.

Each step runs through ``core.web.run_step`` (success: message and back; refused: 403 or
the refusal page with 409 / 400); which buttons the page shows is the engine's
``allowed`` (orders.actions.orders.page_actions).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from core.actions import allowed, refusal
from core.errors import DomainError, Forbidden, Invalid, user_message
from core.models import SlaClock
from core.panels import order_badges_for, order_panels_for
from core.uploads import private_file_response
from core.web import refused, run_step
from customers.forms import QuickCustomerForm
from customers.models import Contact, Customer, QualificationStatus
from customers.selectors import customers_visible_to
from customers.services import customer_save
from orders.actions.orders import page_actions
from orders.amounts import ORDER_TOTAL_LIMIT, fits
from orders.approval import approval_hints, order_credit_status
from orders.exceptions.orders import DuplicateOrderWarning, OrderInvalid
from orders.forms.orders import (
    MSG_ORDER_TOTAL_TOO_LARGE,
    AttachmentForm,
    ContactLogForm,
    LineNumbersForm,
    OrderForm,
    OrderLineFormSet,
    ReasonForm,
    ReviewPassForm,
    money_error,
)
from orders.models import Order, OrderAttachment, OrderStatus
from orders.services import orders as services


def _order(pk: int) -> Order:
    return get_object_or_404(
        Order.objects.select_related("customer", "owner", "created_by", "reviewed_by"), pk=pk
    )


def _contract_form(order: Order) -> Any:
    """The signed contracts of the order's customer, to link the order to (docs/workflow.md §7)."""
    from contracts.models import Contract, ContractStatus
    from orders.forms.quotations import LinkContractForm

    contracts = Contract.objects.filter(
        customer_id=order.customer_id, status__in=[ContractStatus.SIGNED, ContractStatus.IN_FORCE]
    )
    return LinkContractForm(contracts=contracts, initial={"contract": order.contract_id})


def _show_prices(request: HttpRequest) -> bool:
    return request.user.has_perm("orders.view_prices")


# --- entry -------------------------------------------------------------------------


# What the entry page says happened (docs/architecture.md, "Errors"): a user who reads
# "nothing has been saved" while a draft was saved enters the order a second time.
OUTCOME_NOT_SAVED = "not_saved"  # the input was refused: no row was written
OUTCOME_DRAFT_INCOMPLETE = "draft_incomplete"  # saved as a draft; submit lacks fields
OUTCOME_DRAFT_DUPLICATE = "draft_duplicate"  # saved as a draft; may duplicate an order
OUTCOME_DRAFT_NOT_SUBMITTED = "draft_not_submitted"  # saved as a draft; submit refused

MSG_DRAFT_SAVED = _lazy("The draft was saved; it has not been submitted for review yet.")
MSG_NOT_SAVED_NEW = _lazy("The order was not saved: correct the fields marked below.")
MSG_NOT_SAVED_EDIT = _lazy("Your changes were not saved: correct the fields marked below.")
MSG_DRAFT_INCOMPLETE = _lazy(
    "The draft was saved, but it was not submitted for review: fill in the fields marked "
    "below, then submit it again."
)
MSG_DRAFT_DUPLICATE = _lazy(
    "The draft was saved, but it was not submitted for review: it may duplicate an earlier "
    "order. Check it, then confirm below to submit it anyway."
)
MSG_DRAFT_NOT_SUBMITTED = _lazy("The draft was saved, but it was not submitted for review.")


def _entry_page(request: HttpRequest, order: Order) -> HttpResponse:
    creating = order.pk is None
    data = request.POST if request.method == "POST" else None
    form = OrderForm(data, instance=order, user=request.user)
    lines = OrderLineFormSet(
        data, instance=order, prefix="lines", show_prices=_show_prices(request)
    )
    if creating and data is None:
        lines.extra = 1
    outcome, outcome_message = "", ""
    if request.method == "POST":
        outcome = OUTCOME_NOT_SAVED
        outcome_message = str(MSG_NOT_SAVED_NEW if creating else MSG_NOT_SAVED_EDIT)
    if request.method == "POST" and all([form.is_valid(), lines.is_valid()]):
        back = order.get_absolute_url() if order.pk else reverse("orders:list")
        try:
            order = services.order_save(
                actor=request.user, order=form.save(commit=False), lines=lines
            )
        except DomainError as exc:
            return refused(request, exc, back=back)
        if request.POST.get("action") != "submit":
            messages.success(request, str(MSG_DRAFT_SAVED))
            return redirect(order)
        outcome, outcome_message = OUTCOME_DRAFT_NOT_SUBMITTED, str(MSG_DRAFT_NOT_SUBMITTED)
        try:
            order = services.order_submit(
                actor=request.user,
                order=order,
                confirm_duplicate=form.cleaned_data.get("confirm_duplicate", False),
            )
        except DuplicateOrderWarning as exc:
            form.duplicate_found = True
            form.add_error(None, user_message(exc))
            outcome, outcome_message = OUTCOME_DRAFT_DUPLICATE, str(MSG_DRAFT_DUPLICATE)
        except Invalid as exc:
            for field, errors in exc.fields.items():
                form.add_error(field if field in form.fields else None, errors)
            if not exc.fields:
                form.add_error(None, user_message(exc))
            else:
                outcome, outcome_message = OUTCOME_DRAFT_INCOMPLETE, str(MSG_DRAFT_INCOMPLETE)
        except Forbidden as exc:
            return refused(request, exc, back=order.get_absolute_url())
        except DomainError as exc:
            form.add_error(None, user_message(exc))
        else:
            messages.success(
                request,
                _("Order %(number)s was submitted for review.") % {"number": order.number},
            )
            return redirect(order)
        # Saved as a draft but not submitted: show what is missing on the saved order.
        form.instance = order
        lines = OrderLineFormSet(instance=order, prefix="lines", show_prices=_show_prices(request))
        creating = False
    return render(
        request,
        "orders/order_form.html",
        {
            "form": form,
            "lines": lines,
            "order": order,
            "creating": creating,
            "outcome": outcome,
            "outcome_message": outcome_message,
            "quick_form": QuickCustomerForm(prefix="quick"),
            "selected_customer": form.instance.customer if form.instance.customer_id else None,
        },
    )


@permission_required("orders.add_order", raise_exception=True)
def order_create(request: HttpRequest) -> HttpResponse:
    return _entry_page(request, Order())


@permission_required("orders.add_order", raise_exception=True)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    # The same checks as the step itself: archived, state, then the person.
    error = refusal("order.edit", request.user, order)
    if error is not None:
        return refused(request, error, back=order.get_absolute_url())
    return _entry_page(request, order)


@require_GET
@permission_required("orders.add_order", raise_exception=True)
def line_row(request: HttpRequest) -> HttpResponse:
    """One empty line row for the entry form (added in place with htmx)."""
    try:
        index = int(request.GET.get("lines-TOTAL_FORMS", "0"))
    except ValueError:
        index = 0
    formset = OrderLineFormSet(prefix="lines", show_prices=_show_prices(request))
    form = formset._construct_form(index, empty_permitted=True, use_required_attribute=False)
    return render(request, "orders/_line_row.html", {"form": form, "index": index})


@require_POST
@permission_required("orders.add_order", raise_exception=True)
def totals(request: HttpRequest) -> HttpResponse:
    """Live totals of the entry form, computed with Decimal exactly as the database will.

    Each line's numbers go through the line form's own checks first (digits, bounds, the
    amount's column): a number the form would refuse shows its error in the amount cell
    instead of an amount — never a 500 (docs/architecture.md §5).
    """
    try:
        count = max(0, min(int(request.POST.get("lines-TOTAL_FORMS", "0")), 500))
    except ValueError:
        count = 0
    rows, total = [], Decimal("0.00")
    for index in range(count):
        amount, errors = None, []
        if not request.POST.get(f"lines-{index}-DELETE"):
            numbers = LineNumbersForm(request.POST, prefix=f"lines-{index}")
            if numbers.is_valid():
                amount = numbers.amount()
                total += amount or Decimal("0")
            else:
                errors = [message for field in numbers.errors.values() for message in field]
        rows.append({"index": index, "amount": amount, "errors": errors})
    total_error = None
    if not fits(total, ORDER_TOTAL_LIMIT):
        total_error = money_error(MSG_ORDER_TOTAL_TOO_LARGE, ORDER_TOTAL_LIMIT).messages[0]
    return render(
        request,
        "orders/_totals.html",
        {"rows": rows, "total": total, "total_error": total_error},
    )


@require_GET
@permission_required("orders.add_order", raise_exception=True)
def customer_search(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("customer_q") or "").strip()
    customers: list[Customer] = []
    if query:
        customers = list(
            customers_visible_to(request.user)
            .filter(is_active=True, name__icontains=query)
            .prefetch_related("contacts", "addresses")
            .order_by("name")[:8]
        )
    return render(
        request, "orders/_customer_results.html", {"customers": customers, "query": query}
    )


@require_POST
@permission_required("customers.add_customer", raise_exception=True)
def customer_quick_create(request: HttpRequest) -> HttpResponse:
    """Create a new customer from the order form (documents pending) and select it."""
    form = QuickCustomerForm(request.POST, prefix="quick")
    if not form.is_valid():
        # Show the errors in place of the quick form (htmx swaps 200 answers only).
        response = render(request, "orders/_quick_customer.html", {"quick_form": form})
        response["HX-Retarget"] = "#quick-customer-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    with transaction.atomic():
        customer = customer_save(
            actor=request.user,
            customer=Customer(
                name=form.cleaned_data["name"],
                region=form.cleaned_data["region"],
                industry=form.cleaned_data["industry"],
                qualification_status=QualificationStatus.PENDING,
            ),
        )
        contact = Contact(
            customer=customer,
            name=form.cleaned_data["contact_name"],
            mobile=form.cleaned_data["mobile"],
            email=form.cleaned_data["email"],
            is_primary=True,
        )
        contact.full_clean()
        contact.save()
    customer = Customer.objects.prefetch_related("contacts", "addresses").get(pk=customer.pk)
    return render(
        request,
        "orders/_customer_results.html",
        {"customers": [customer], "autoselect": True, "query": customer.name},
    )


# --- detail and review ----------------------------------------------------------------

# The states before the manager's approval, in which the page forecasts its credit check.
CREDIT_FORECAST_STATUSES = (
    OrderStatus.PENDING_REVIEW,
    OrderStatus.NEEDS_INFO,
    OrderStatus.PENDING_APPROVAL,
)


@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    user = request.user
    status = order.status
    pending_change = order.changes.filter(status="pending").select_related("requested_by").first()
    # The credit check the manager's approval will run, shown from the review on: the
    # reviewer and the manager see a hold coming before the approval step
    # (docs/decisions/0009-credit-policy.md); its figures only to those who see credit.
    credit_check = (
        order_credit_status(order)
        if status in CREDIT_FORECAST_STATUSES
        and order.credit_released_by_id is None
        and not order.credit_hold
        else None
    )
    credit_will_hold = credit_check is not None and not credit_check.passes
    actions = page_actions(
        user, order, pending_change=pending_change, credit_fails=credit_will_hold
    )
    show_credit = user.has_perm("customers.view_credit") and status in (
        *CREDIT_FORECAST_STATUSES,
        OrderStatus.PENDING_DIRECTOR,
    )
    clocks = SlaClock.objects.for_target(order).select_related("owner").order_by("-started_at")
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "panels": order_panels_for(user, order),
            "lines": order.lines.select_related("product"),
            "events": order.events.select_related("actor"),
            "attachments": order.attachments.select_related("uploaded_by"),
            "clocks": clocks,
            "actions": actions,
            "is_creator": user.pk == order.created_by_id,
            "customer_qualified": order.customer_is_qualified(),
            "reason_form": ReasonForm(),
            "pass_form": ReviewPassForm(),
            "contact_form": ContactLogForm(initial={"person": order.contact_name}),
            "attachment_form": AttachmentForm(),
            "pending_change": pending_change,
            "changes": order.changes.select_related("requested_by", "decided_by"),
            "credit": (credit_check or order_credit_status(order)) if show_credit else None,
            "credit_will_hold": credit_check if credit_will_hold else None,
            "sees_credit": user.has_perm("customers.view_credit"),
            "delivery_badges": order_badges_for(user, [order]).get(order.pk, []),
            "hints": approval_hints(order)
            if status in (OrderStatus.PENDING_APPROVAL, OrderStatus.PENDING_DIRECTOR)
            else None,
            "confirmed": order.confirmed_at is not None,
            "quotation": _source_quotation(user, order),
            "contract_form": _contract_form(order)
            if actions["edit"] or actions["change"]
            else None,
        },
    )


def _source_quotation(user: Any, order: Order) -> Any:
    """The quotation the order was converted from, for the back link (None without one);
    ``linked``: the user may open it (the quotation page's own permission and visibility)."""
    from orders.models import Quotation

    quotation = Quotation.objects.filter(order=order).only("pk", "number", "customer_id").first()
    if quotation is None:
        return None
    quotation.linked = user.has_perm("orders.view_quotation") and (
        customers_visible_to(user).filter(pk=quotation.customer_id).exists()
    )
    return quotation


@require_POST
@permission_required("orders.add_order", raise_exception=True)
def order_submit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    try:
        services.order_submit(
            actor=request.user,
            order=order,
            confirm_duplicate=bool(request.POST.get("confirm_duplicate")),
        )
    except DomainError as exc:
        # What is missing is fixed on the entry form: the refusal links there when it may.
        editable = allowed("order.edit", request.user, order)
        back = reverse("orders:edit", args=[pk]) if editable else order.get_absolute_url()
        return refused(request, exc, back=back)
    messages.success(request, _("The order was submitted for review."))
    return redirect(order)


@require_POST
@permission_required("orders.review_order", raise_exception=True)
def order_request_info(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_request_info(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        ),
        success=_(
            "The order is waiting for the customer's information; the 2-hour clock is running."
        ),
        back=order.get_absolute_url(),
    )


@require_POST
@permission_required("orders.review_order", raise_exception=True)
def order_reject(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_reject(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        ),
        success=_("The order was rejected."),
        back=order.get_absolute_url(),
    )


@require_POST
@permission_required("orders.review_order", raise_exception=True)
def order_pass_review(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_pass_review(
            actor=request.user, order=order, note=request.POST.get("note", "")
        ),
        success=_("The preliminary review passed; the order waits for approval."),
        back=order.get_absolute_url(),
    )


@require_POST
@permission_required("orders.view_order", raise_exception=True)
def order_log_contact(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = ContactLogForm(request.POST)
    if not form.is_valid():
        invalid = OrderInvalid(
            _("The contact was not logged: fill in channel, person and result."),
            fields={name: list(errs) for name, errs in form.errors.items()},
        )
        return refused(request, invalid, back=order.get_absolute_url())
    return run_step(
        request,
        lambda: services.order_log_contact(actor=request.user, order=order, **form.cleaned_data),
        success=_("The customer contact was logged."),
        back=order.get_absolute_url(),
    )


@require_POST
@permission_required("orders.add_order", raise_exception=True)
def order_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_resubmit(actor=request.user, order=order),
        success=_("The order is back in review."),
        back=order.get_absolute_url(),
    )


@require_POST
@permission_required("orders.view_order", raise_exception=True)
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        invalid = OrderInvalid(
            _("Choose a file to upload."),
            fields={name: list(errs) for name, errs in form.errors.items()},
        )
        return refused(request, invalid, back=order.get_absolute_url())
    return run_step(
        request,
        lambda: services.order_attachment_add(
            actor=request.user, order=order, upload=form.cleaned_data["file"]
        ),
        success=_("The attachment was uploaded."),
        back=order.get_absolute_url(),
    )


@permission_required("orders.view_order", raise_exception=True)
def attachment_download(request: HttpRequest, pk: int, att_pk: int) -> HttpResponse:
    attachment = get_object_or_404(OrderAttachment, pk=att_pk, order_id=pk)
    return private_file_response(attachment.file, attachment.original_name)
