"""Internal approval: the inbox, approve / return, credit hold, cancellation and late changes.

Each step runs through ``core.web.run_step``; who may take it is the action's predicate
(orders/predicates/orders.py), the inbox lists by the same four-eyes rule.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Max, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.actions import refusal
from core.errors import DomainError, user_message
from core.messages import message_text
from core.web import back_to, refused, run_step
from customers.selectors import credit_figures
from orders.approval import order_credit_status
from orders.forms.orders import OrderChangeForm
from orders.models import ApprovalPolicy, Order, OrderChange, OrderChangeStatus, OrderStatus
from orders.predicates.orders import exclude_authored
from orders.services import orders as services


def _order(pk: int) -> Order:
    return get_object_or_404(Order.objects.select_related("customer", "owner", "created_by"), pk=pk)


# Oldest first, a page at a time (at a million orders, ~900 waited at once).
INBOX_PAGE_SIZE = 50


def approval_inbox(request: HttpRequest) -> HttpResponse:
    """What waits for my approval, oldest first, with the hints an approver needs."""
    user = request.user
    statuses = []
    if user.has_perm("orders.approve_order"):
        statuses.append(OrderStatus.PENDING_APPROVAL)
    if user.has_perm("orders.approve_large_order"):
        statuses.append(OrderStatus.PENDING_DIRECTOR)
    if not statuses:
        raise PermissionDenied
    # Four eyes: never offered an order one entered, owns or whose lines one edited.
    waiting = exclude_authored(Order.objects.filter(status__in=statuses), user)
    paginator = Paginator(
        waiting.select_related("customer", "owner")
        .annotate(
            max_discount=Max("lines__discount_percent"),
            lowest_price_ratio=Min(
                F("lines__unit_price") * 100 / F("lines__product__list_price"),
                filter=Q(lines__product__list_price__gt=0),
            ),
        )
        .order_by("submitted_at", "pk"),
        INBOX_PAGE_SIZE,
    )
    # Counted without the per-line aggregates of the rows.
    paginator.count = waiting.count()
    page = paginator.get_page(request.GET.get("page"))
    orders = list(page.object_list)
    policy = ApprovalPolicy.current()
    figures = (
        credit_figures(customer_ids=[order.customer_id for order in orders])
        if user.has_perm("customers.view_credit")
        else None
    )
    rows = []
    for order in orders:
        credit = (
            None
            if figures is None
            else order_credit_status(
                order, policy, figures.get(order.customer_id), with_figures=True
            )
        )
        rows.append(
            {
                "order": order,
                "credit": credit,
                # The manager approves it on the order page, releasing the hold with a reason.
                "needs_release": order.status == OrderStatus.PENDING_APPROVAL
                and order.credit_released_by_id is None
                and (order.credit_hold or (credit is not None and not credit.passes)),
            }
        )
    changes = (
        OrderChange.objects.filter(status=OrderChangeStatus.PENDING)
        .exclude(requested_by=user)
        .filter(order__in=exclude_authored(Order.objects.all(), user))
        .select_related("order", "requested_by")
        if user.has_perm("orders.approve_cancellation")
        else []
    )
    cancels = (
        exclude_authored(Order.objects.filter(cancel_requested_at__isnull=False), user)
        .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.ARCHIVED])
        .exclude(cancel_requested_by=user)
        .select_related("customer", "cancel_requested_by")
        if user.has_perm("orders.approve_cancellation")
        else []
    )
    return render(
        request,
        "orders/approval_inbox.html",
        {
            "rows": rows,
            "page_obj": page,
            "changes": changes,
            "cancels": cancels,
            "policy": policy,
        },
    )


@require_POST
def order_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The one approve button: the manager's approval, or the director's final one."""
    order = _order(pk)
    note = request.POST.get("note", "")
    if order.status == OrderStatus.PENDING_DIRECTOR:
        return run_step(
            request,
            lambda: services.order_director_approve(actor=request.user, order=order, note=note),
            success=_("Approved: the order is confirmed."),
            back=order.get_absolute_url(),
        )
    release_reason = request.POST.get("release_reason", "")
    try:
        order = services.order_approve(
            actor=request.user, order=order, note=note, release_reason=release_reason
        )
    except DomainError as exc:
        return refused(request, exc, back=order.get_absolute_url())
    if release_reason.strip() and not order.credit_hold:
        messages.success(
            request,
            _("The credit hold was released and the order approved.")
            + " "
            + (
                _("It now waits for the sales director.")
                if order.status == OrderStatus.PENDING_DIRECTOR
                else _("The order is confirmed.")
            ),
        )
    elif order.credit_hold:
        messages.warning(
            request,
            _("The credit check failed; the order is on credit hold: %(reasons)s")
            % {"reasons": message_text(order.credit_hold_reason_msg, order.credit_hold_reason)},
        )
    elif order.status == OrderStatus.PENDING_DIRECTOR:
        messages.success(request, _("Approved; the order now waits for the sales director."))
    else:
        messages.success(request, _("Approved: the order is confirmed."))
    return redirect(back_to(request, order.get_absolute_url()))


@require_POST
def order_return(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_return(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        ),
        success=_("The order was returned to its creator."),
        back=order.get_absolute_url(),
    )


@require_POST
def order_credit_release(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_credit_release(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        ),
        success=_("The credit hold was released."),
        back=order.get_absolute_url(),
    )


@require_POST
def order_cancel_request(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_cancel_request(
            actor=request.user, order=order, reason=request.POST.get("reason", "")
        ),
        success=_("The cancellation was requested; a sales manager decides."),
        back=order.get_absolute_url(),
    )


@require_POST
@permission_required("orders.add_order", raise_exception=True)
def order_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft is withdrawn by its maker at once; the order list is where it was found."""
    order = _order(pk)
    return run_step(
        request,
        lambda: services.order_discard(actor=request.user, order=order),
        success=_("The draft was discarded; it is kept as cancelled in the order list."),
        back=order.get_absolute_url(),
        redirect_to=order.get_absolute_url(),
    )


@require_POST
def order_cancel_decide(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    note = request.POST.get("note", "")
    if request.POST.get("decision") == "approve":
        return run_step(
            request,
            lambda: services.order_cancel_approve(actor=request.user, order=order, note=note),
            success=_("The order was cancelled."),
            back=order.get_absolute_url(),
        )
    return run_step(
        request,
        lambda: services.order_cancel_decline(actor=request.user, order=order, note=note),
        success=_("The cancellation was declined."),
        back=order.get_absolute_url(),
    )


def order_change(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    # The form is offered only where the step could run (archived, state, person).
    error = refusal("order.change", request.user, order)
    if error is not None:
        return refused(request, error, back=order.get_absolute_url())
    lines = list(order.lines.select_related("product"))
    form = OrderChangeForm(request.POST or None, order=order, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.order_change(
                actor=request.user,
                order=order,
                payload=form.payload(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            if exc.status == 403:
                return refused(request, exc, back=order.get_absolute_url())
            form.add_error(
                None,
                _("The change was not saved: %(reason)s") % {"reason": user_message(exc)},
            )
        else:
            order.refresh_from_db(fields=["status"])
            if change.status == OrderChangeStatus.APPLIED and (
                order.status == OrderStatus.PENDING_APPROVAL
            ):
                messages.success(
                    request,
                    _(
                        "The change was applied; quantities or prices changed, so the order "
                        "waits for approval again."
                    ),
                )
            elif change.status == OrderChangeStatus.APPLIED:
                messages.success(request, _("The change was applied."))
            else:
                messages.info(
                    request,
                    _("The change window has passed: the change waits for a sales manager."),
                )
            return redirect(order)
    return render(
        request, "orders/order_change.html", {"order": order, "form": form, "lines": lines}
    )


@require_POST
def order_change_decide(request: HttpRequest, pk: int, change_pk: int) -> HttpResponse:
    change = get_object_or_404(
        OrderChange.objects.select_related("order"), pk=change_pk, order_id=pk
    )
    approve = request.POST.get("decision") == "approve"
    return run_step(
        request,
        lambda: services.order_change_decide(
            actor=request.user, change=change, approve=approve, note=request.POST.get("note", "")
        ),
        success=_("The change was approved and applied.")
        if approve
        else _("The change was declined."),
        back=change.order.get_absolute_url(),
    )
