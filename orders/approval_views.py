"""Internal approval: the inbox, approve / return, credit hold, cancellation and late changes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Max, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.selectors import credit_figures, credit_status_from
from orders import services
from orders.exceptions import OrderError, OrderPermissionDenied
from orders.forms import OrderChangeForm
from orders.models import ApprovalPolicy, Order, OrderChange, OrderStatus
from orders.order_views import back_to, run_order_step


def _order(pk: int) -> Order:
    return get_object_or_404(Order.objects.select_related("customer", "owner", "created_by"), pk=pk)


def _run(
    request: HttpRequest, order: Order, operation: Any, success: str, **kwargs: Any
) -> HttpResponse:
    return run_order_step(request, order, operation, success, **kwargs)


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
    waiting = Order.objects.filter(status__in=statuses).exclude(
        created_by=user  # four eyes: never offered one's own orders
    )
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
    rows = [
        {
            "order": order,
            "credit": None
            if figures is None
            else credit_status_from(
                customer=order.customer,
                figures=figures.get(order.customer_id),
                order_amount=order.total_amount,
                minimum_collection_rate=policy.minimum_collection_rate,
            ),
        }
        for order in orders
    ]
    changes = (
        OrderChange.objects.filter(status="pending")
        .exclude(requested_by=user)
        .select_related("order", "requested_by")
        if user.has_perm("orders.approve_cancellation")
        else []
    )
    cancels = (
        Order.objects.filter(cancel_requested_at__isnull=False)
        .exclude(status=OrderStatus.CANCELLED)
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
    order = _order(pk)
    if order.status == OrderStatus.PENDING_DIRECTOR:
        return _run(
            request,
            order,
            services.order_director_approve,
            _("Approved: the order is confirmed."),
            note=request.POST.get("note", ""),
        )
    try:
        order = services.order_approve(
            actor=request.user, order=order, note=request.POST.get("note", "")
        )
    except OrderPermissionDenied as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except OrderError as exc:
        messages.error(request, str(exc.message))
    else:
        if order.credit_hold:
            messages.warning(
                request,
                _("The credit check failed; the order is on credit hold: %(reasons)s")
                % {"reasons": order.credit_hold_reason},
            )
        elif order.status == OrderStatus.PENDING_DIRECTOR:
            messages.success(request, _("Approved; the order now waits for the sales director."))
        else:
            messages.success(request, _("Approved: the order is confirmed."))
    return redirect(back_to(request, order.get_absolute_url()))


@require_POST
def order_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        _order(pk),
        services.order_return,
        _("The order was returned to its creator."),
        reason=request.POST.get("reason", ""),
    )


@require_POST
def order_credit_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        _order(pk),
        services.order_credit_release,
        _("The credit hold was released."),
        reason=request.POST.get("reason", ""),
    )


@require_POST
def order_cancel_request(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        _order(pk),
        services.order_cancel_request,
        _("The cancellation was requested; a sales manager decides."),
        reason=request.POST.get("reason", ""),
    )


@require_POST
def order_cancel_decide(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    if request.POST.get("decision") == "approve":
        return _run(
            request,
            order,
            services.order_cancel_approve,
            _("The order was cancelled."),
            note=request.POST.get("note", ""),
        )
    return _run(
        request,
        order,
        services.order_cancel_decline,
        _("The cancellation was declined."),
        note=request.POST.get("note", ""),
    )


def order_change(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    if order.status == OrderStatus.ARCHIVED or not (
        request.user.has_perm("orders.add_order")
        and request.user.pk in (order.created_by_id, order.owner_id)
    ):
        raise PermissionDenied
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
        except OrderPermissionDenied as exc:
            raise PermissionDenied(str(exc.message)) from exc
        except (OrderError, ValidationError) as exc:
            form.add_error(None, str(getattr(exc, "message", "")) or " ".join(exc.messages))
        else:
            if change.status == "applied":
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
    try:
        services.order_change_decide(
            actor=request.user, change=change, approve=approve, note=request.POST.get("note", "")
        )
    except OrderPermissionDenied as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except (OrderError, ValidationError) as exc:
        messages.error(request, str(getattr(exc, "message", "")) or " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The change was approved and applied.") if approve else _("The change was declined."),
        )
    return redirect(back_to(request, change.order.get_absolute_url()))
