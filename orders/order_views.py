"""Order entry, detail and the preliminary-review steps. Thin: form → service → page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.models import SlaClock
from core.roles import four_eyes
from core.uploads import private_file_response
from customers.models import Contact, Customer, QualificationStatus
from customers.selectors import customers_visible_to
from customers.services import customer_save
from orders import services
from orders.approval import approval_hints, order_credit_status
from orders.exceptions import DuplicateOrderWarning, OrderError, OrderPermissionDenied
from orders.forms import (
    AttachmentForm,
    ContactLogForm,
    OrderForm,
    OrderLineFormSet,
    QuickCustomerForm,
    ReasonForm,
    ReviewPassForm,
)
from orders.models import CANCELLABLE_STATUSES, Order, OrderAttachment, OrderStatus
from orders.services import CHANGEABLE_STATUSES


def _order(pk: int) -> Order:
    return get_object_or_404(
        Order.objects.select_related("customer", "owner", "created_by", "reviewed_by"), pk=pk
    )


def _contract_form(order: Order) -> Any:
    """The signed contracts of the order's customer, to link the order to (seed 002)."""
    from customers.contracts import Contract, ContractStatus
    from orders.quotation_forms import LinkContractForm

    contracts = Contract.objects.filter(
        customer_id=order.customer_id, status__in=[ContractStatus.SIGNED, ContractStatus.IN_FORCE]
    )
    return LinkContractForm(contracts=contracts, initial={"contract": order.contract_id})


def _show_prices(request: HttpRequest) -> bool:
    return request.user.has_perm("orders.view_prices")


# --- entry -------------------------------------------------------------------------


def _entry_page(request: HttpRequest, order: Order) -> HttpResponse:
    creating = order.pk is None
    data = request.POST if request.method == "POST" else None
    form = OrderForm(data, instance=order, user=request.user)
    lines = OrderLineFormSet(
        data, instance=order, prefix="lines", show_prices=_show_prices(request)
    )
    if creating and data is None:
        lines.extra = 1
    if request.method == "POST" and all([form.is_valid(), lines.is_valid()]):
        try:
            order = services.order_save(
                actor=request.user, order=form.save(commit=False), lines=lines
            )
        except OrderPermissionDenied as exc:
            raise PermissionDenied(str(exc.message)) from exc
        if request.POST.get("action") != "submit":
            messages.success(request, _("The draft was saved."))
            return redirect(order)
        try:
            order = services.order_submit(
                actor=request.user,
                order=order,
                confirm_duplicate=form.cleaned_data.get("confirm_duplicate", False),
            )
        except DuplicateOrderWarning as exc:
            form.duplicate_found = True
            form.add_error(None, str(exc.message))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except OrderError as exc:
            form.add_error(None, str(exc.message))
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
    # Archived orders are read-only: a hand-made POST is refused outright.
    if not order.user_may_submit(request.user) or order.status == OrderStatus.ARCHIVED:
        raise PermissionDenied
    if not order.is_editable:
        messages.error(request, _("This order can no longer be edited."))
        return redirect(order)
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


def _decimal(value: str | None) -> Decimal | None:
    try:
        number = Decimal((value or "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@require_POST
@permission_required("orders.add_order", raise_exception=True)
def totals(request: HttpRequest) -> HttpResponse:
    """Live totals of the entry form, computed with Decimal exactly as the database will."""
    try:
        count = min(int(request.POST.get("lines-TOTAL_FORMS", "0")), 500)
    except ValueError:
        count = 0
    rows, total = [], Decimal("0.00")
    for index in range(count):
        prefix = f"lines-{index}-"
        quantity = _decimal(request.POST.get(prefix + "quantity"))
        price = _decimal(request.POST.get(prefix + "unit_price"))
        discount = _decimal(request.POST.get(prefix + "discount_percent")) or Decimal("0")
        deleted = bool(request.POST.get(prefix + "DELETE"))
        amount = None
        if quantity is not None and price is not None and not deleted:
            amount = (quantity * price * (100 - discount) / 100).quantize(Decimal("0.01"))
            total += amount
        rows.append({"index": index, "amount": amount})
    return render(request, "orders/_totals.html", {"rows": rows, "total": total})


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
        Contact.objects.create(
            customer=customer,
            name=form.cleaned_data["contact_name"],
            mobile=form.cleaned_data["mobile"],
            is_primary=True,
        )
    customer = Customer.objects.prefetch_related("contacts", "addresses").get(pk=customer.pk)
    return render(
        request,
        "orders/_customer_results.html",
        {"customers": [customer], "autoselect": True, "query": customer.name},
    )


# --- detail and review ----------------------------------------------------------------


@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    user = request.user
    status = order.status
    may_submit, may_review = order.user_may_submit(user), order.user_may_review(user)
    pending_change = order.changes.filter(status="pending").select_related("requested_by").first()
    is_owner = user.has_perm("orders.add_order") and user.pk in (
        order.created_by_id,
        order.owner_id,
    )
    actions = {
        "edit": order.is_editable and may_submit,
        "submit": status in (OrderStatus.DRAFT, OrderStatus.RETURNED) and may_submit,
        "review": status == OrderStatus.PENDING_REVIEW and may_review,
        "log_contact": status == OrderStatus.NEEDS_INFO and (may_submit or may_review),
        "resubmit": status == OrderStatus.NEEDS_INFO and may_submit,
        "attach": may_submit or may_review,
        "approve": (
            (
                status == OrderStatus.PENDING_APPROVAL
                and order.user_may_approve(user)
                and not order.credit_hold
            )
            or (status == OrderStatus.PENDING_DIRECTOR and order.user_may_approve_as_director(user))
        ),
        "return": (status == OrderStatus.PENDING_APPROVAL and order.user_may_approve(user))
        or (status == OrderStatus.PENDING_DIRECTOR and order.user_may_approve_as_director(user)),
        "credit_release": order.credit_hold
        and four_eyes(user, "orders.release_credit_hold", order.created_by_id),
        "cancel_request": status in CANCELLABLE_STATUSES
        and order.cancel_requested_at is None
        and (is_owner or user.has_perm("orders.approve_cancellation")),
        "cancel_decide": order.cancel_requested_at is not None
        and status != OrderStatus.CANCELLED
        and four_eyes(user, "orders.approve_cancellation", order.cancel_requested_by_id),
        "change": status in CHANGEABLE_STATUSES and is_owner and pending_change is None,
        "change_decide": pending_change is not None
        and four_eyes(user, "orders.approve_cancellation", pending_change.requested_by_id),
    }
    show_credit = user.has_perm("customers.view_credit") and status in (
        OrderStatus.PENDING_APPROVAL,
        OrderStatus.PENDING_DIRECTOR,
    )
    clocks = SlaClock.objects.for_target(order).select_related("owner").order_by("-started_at")
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
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
            "credit": order_credit_status(order) if show_credit else None,
            "hints": approval_hints(order)
            if status in (OrderStatus.PENDING_APPROVAL, OrderStatus.PENDING_DIRECTOR)
            else None,
            "confirmed": order.confirmed_at is not None,
            "contract_form": _contract_form(order) if may_submit or is_owner else None,
        },
    )


def back_to(request: HttpRequest, default: str) -> str:
    """The page to return to: a ``next`` field on this site only (never an outside URL)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def run_order_step(
    request: HttpRequest, order: Order, operation: Any, success: str, **kwargs: Any
) -> HttpResponse:
    """Run a step of an order's life; a refused permission is a 403, a refused rule a message."""
    try:
        operation(actor=request.user, order=order, **kwargs)
    except OrderPermissionDenied as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except OrderError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect(back_to(request, order.get_absolute_url()))


def _run(
    request: HttpRequest, pk: int, operation: Any, success: str, **kwargs: Any
) -> HttpResponse:
    return run_order_step(request, _order(pk), operation, success, **kwargs)


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
    except OrderPermissionDenied as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except (OrderError, ValidationError) as exc:
        messages.error(request, str(getattr(exc, "message", "")) or " ".join(exc.messages))
        return redirect("orders:edit", pk=pk) if order.is_editable else redirect(order)
    messages.success(request, _("The order was submitted for review."))
    return redirect(order)


@require_POST
@permission_required("orders.review_order", raise_exception=True)
def order_request_info(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        services.order_request_info,
        _("The order is waiting for the customer's information; the 2-hour clock is running."),
        reason=request.POST.get("reason", ""),
    )


@require_POST
@permission_required("orders.review_order", raise_exception=True)
def order_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        services.order_reject,
        _("The order was rejected."),
        reason=request.POST.get("reason", ""),
    )


@require_POST
@permission_required("orders.review_order", raise_exception=True)
def order_pass_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        services.order_pass_review,
        _("The preliminary review passed; the order waits for approval."),
        note=request.POST.get("note", ""),
    )


@require_POST
@permission_required("orders.view_order", raise_exception=True)
def order_log_contact(request: HttpRequest, pk: int) -> HttpResponse:
    form = ContactLogForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("The contact was not logged: fill in channel, person and result.")
        )
        return redirect("orders:detail", pk=pk)
    return _run(
        request,
        pk,
        services.order_log_contact,
        _("The customer contact was logged."),
        **form.cleaned_data,
    )


@require_POST
@permission_required("orders.add_order", raise_exception=True)
def order_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(request, pk, services.order_resubmit, _("The order is back in review."))


@require_POST
@permission_required("orders.view_order", raise_exception=True)
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect("orders:detail", pk=pk)
    return _run(
        request,
        pk,
        services.order_attachment_add,
        _("The attachment was uploaded."),
        upload=form.cleaned_data["file"],
    )


@permission_required("orders.view_order", raise_exception=True)
def attachment_download(request: HttpRequest, pk: int, att_pk: int) -> HttpResponse:
    attachment = get_object_or_404(OrderAttachment, pk=att_pk, order_id=pk)
    return private_file_response(attachment.file, attachment.original_name)
