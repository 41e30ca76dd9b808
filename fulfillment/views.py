"""Fulfillment pages. Thin: form → service or selector → page; domain errors become
messages, permission errors 403 (checked on the server, not only by hidden buttons)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.models import SlaClock
from core.pdf import pdf_response
from fulfillment import selectors, services
from fulfillment.forms import (
    AnswerForm,
    PreparationForm,
    ProgressEntryForm,
    ReceiveForm,
    ShipmentForm,
    StockConfirmForm,
    WarehouseForm,
)
from fulfillment.models import FulfillmentLine, OrderFulfillment, Shipment
from orders.exceptions import OrderError, OrderPermissionDenied
from orders.models import Order, OrderStatus

PREPARATION_TITLE = gettext_lazy("Shipment preparation form")
DELIVERY_NOTE_TITLE = gettext_lazy("Delivery note")


def _run(request: HttpRequest, call: Callable[[], Any], success: str) -> bool:
    """Run a service; a refusal becomes a message (403 for permissions)."""
    try:
        call()
    except OrderPermissionDenied as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except OrderError as exc:
        messages.error(request, str(exc.message))
        return False
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return False
    messages.success(request, success)
    return True


def _order(pk: int) -> Order:
    return get_object_or_404(Order.objects.select_related("customer", "owner"), pk=pk)


# --- work pages --------------------------------------------------------------------------------
@permission_required("orders.confirm_stock", raise_exception=True)
def warehouse(request: HttpRequest) -> HttpResponse:
    context = selectors.warehouse_dashboard()
    context["nav_active"] = "warehouse"
    return render(request, "fulfillment/warehouse.html", context)


@permission_required("orders.ship_order", raise_exception=True)
def logistics(request: HttpRequest) -> HttpResponse:
    context = selectors.logistics_dashboard()
    context["nav_active"] = "logistics"
    return render(request, "fulfillment/logistics.html", context)


@permission_required("fulfillment.view_stocklevel", raise_exception=True)
def stock(request: HttpRequest) -> HttpResponse:
    can_manage = request.user.has_perm("fulfillment.manage_stock")
    form = ReceiveForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            ok = _run(
                request,
                lambda: services.stock_receive(actor=request.user, **data),
                _("The receipt was booked."),
            )
            if ok:
                return redirect("fulfillment:stock")
    return render(
        request,
        "fulfillment/stock.html",
        {
            "levels": list(selectors.stock_levels(filters=request.GET)),
            "movements": selectors.recent_movements()
            if request.user.has_perm("fulfillment.view_stockmovement")
            else [],
            "warehouses": list(selectors.warehouses()),
            "form": form,
            "filters": request.GET,
            "nav_active": "stock",
        },
    )


# --- one order --------------------------------------------------------------------------------
@permission_required("orders.view_order", raise_exception=True)
def order_fulfillment(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_fulfillment(pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None
    fulfillment: OrderFulfillment | None = getattr(order, "fulfillment", None)
    preparation = getattr(order, "shipment_preparation", None)
    flines = list(fulfillment.lines.all()) if fulfillment else []
    if fulfillment is None and order.status == OrderStatus.CONFIRMED:
        flines = _unallocated_lines(order)
    user = request.user
    can_warehouse = user.has_perm("orders.confirm_stock") and user.has_perm(
        "fulfillment.record_progress"
    )
    stopped = bool(fulfillment and fulfillment.is_stopped)
    status = order.status
    context: dict[str, Any] = {
        "order": order,
        "fulfillment": fulfillment,
        "flines": flines,
        "preparation": preparation,
        "entries": [
            (entry, services.progress_entry_is_risky(entry, fulfillment))
            for entry in order.progress_entries.all()
        ],
        "shipments": list(order.shipments.all()),
        "clocks": list(
            SlaClock.objects.for_target(order).select_related("owner").order_by("due_at")
        ),
        "stopped": stopped,
        "can_confirm": can_warehouse and status == OrderStatus.CONFIRMED and not stopped,
        "can_progress": can_warehouse and status in services.PROGRESS_STATUSES and not stopped,
        "can_prepare": can_warehouse and status == OrderStatus.PREPARING and not stopped,
        "can_ship": user.has_perm("orders.ship_order")
        and status == OrderStatus.READY_TO_SHIP
        and not stopped,
        "can_deliver": user.has_perm("orders.record_delivery") and status == OrderStatus.SHIPPED,
        "can_answer": bool(
            fulfillment
            and fulfillment.needs_negotiation
            and not fulfillment.customer_answer
            and services.user_may_record_answer(user, order)
        ),
        "can_change_warehouse": user.has_perm("fulfillment.change_allocation")
        and status == OrderStatus.CONFIRMED
        and not stopped,
        "show_prices": user.has_perm("orders.view_prices"),
    }
    if context["can_confirm"]:
        context["confirm_form"] = StockConfirmForm(lines=flines) if flines else None
        context["warehouse_form"] = WarehouseForm(
            initial={"warehouse": fulfillment.warehouse_id if fulfillment else None}
        )
    if context["can_progress"]:
        context["progress_form"] = ProgressEntryForm(initial={"owner": user.pk})
    if context["can_prepare"]:
        context["preparation_form"] = PreparationForm(instance=preparation)
    if context["can_ship"]:
        context["ship_form"] = ShipmentForm(lines=[f for f in flines if f.remaining > 0])
    if context["can_answer"]:
        context["answer_form"] = AnswerForm()
    return render(request, "fulfillment/order.html", context)


def _back(pk: int) -> HttpResponse:
    return redirect("fulfillment:order", pk=pk)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _flines(order: Order) -> list[Any]:
    fulfillment = OrderFulfillment.objects.filter(order=order).first()
    if fulfillment is None:
        return _unallocated_lines(order)
    return list(fulfillment.lines.select_related("order_line__product"))


def _unallocated_lines(order: Order) -> list[FulfillmentLine]:
    # A confirmed order the allocation has not reached yet (e.g. entered before the
    # warehouses existed): the forms show its lines; the service allocates on submit.
    return [
        FulfillmentLine(order_line=line, quantity=line.quantity)
        for line in order.lines.select_related("product")
    ]


@require_POST
@permission_required("orders.confirm_stock", raise_exception=True)
def confirm_stock(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = StockConfirmForm(request.POST, lines=_flines(order))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(pk)
    _run(
        request,
        lambda: services.fulfillment_confirm_stock(
            actor=request.user,
            order=order,
            line_statuses=form.line_statuses(),
            deliverable_date=form.cleaned_data["deliverable_date"],
            note=form.cleaned_data["note"],
        ),
        _("Stock confirmed; the order is in preparation."),
    )
    return _back(pk)


@require_POST
@permission_required("fulfillment.change_allocation", raise_exception=True)
def change_warehouse(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = WarehouseForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.fulfillment_change_warehouse(
                actor=request.user, order=order, warehouse=form.cleaned_data["warehouse"]
            ),
            _("The warehouse was changed."),
        )
    else:
        _form_errors(request, form)
    return _back(pk)


@require_POST
@login_required
def record_answer(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.fulfillment_record_answer(
                actor=request.user, order=order, **form.cleaned_data
            ),
            _("The customer's answer was recorded."),
        )
    else:
        _form_errors(request, form)
    return _back(pk)


@require_POST
@permission_required("fulfillment.record_progress", raise_exception=True)
def add_progress(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = ProgressEntryForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.progress_entry_add(
                actor=request.user, order=order, entry=form.save(commit=False)
            ),
            _("The progress entry was recorded."),
        )
    else:
        _form_errors(request, form)
    return _back(pk)


@require_POST
@permission_required("fulfillment.record_progress", raise_exception=True)
def save_preparation(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = PreparationForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.preparation_save(
                actor=request.user, order=order, form_data=form.cleaned_data
            ),
            _("The shipment preparation form was saved."),
        )
    else:
        _form_errors(request, form)
    return _back(pk)


@require_POST
@permission_required("orders.confirm_stock", raise_exception=True)
def mark_ready(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    _run(
        request,
        lambda: services.fulfillment_mark_ready(actor=request.user, order=order),
        _("The order is ready to ship; logistics was told."),
    )
    return _back(pk)


@require_POST
@permission_required("orders.ship_order", raise_exception=True)
def ship(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = ShipmentForm(request.POST, lines=_flines(order))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(pk)
    data = form.cleaned_data
    _run(
        request,
        lambda: services.shipment_create(
            actor=request.user,
            order=order,
            quantities=form.quantities(),
            carrier=data["carrier"],
            method=data["method"],
            tracking_number=data["tracking_number"],
            eta=data["eta"],
            note=data["note"],
        ),
        _("The shipment was recorded."),
    )
    return _back(pk)


@require_POST
@permission_required("orders.record_delivery", raise_exception=True)
def record_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    _run(
        request,
        lambda: services.fulfillment_record_delivery(actor=request.user, order=order),
        _("Delivery recorded."),
    )
    return _back(pk)


# --- documents (DESIGN.md §7) -----------------------------------------------------------------
def _preparation_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    try:
        order = selectors.order_fulfillment(pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None
    fulfillment = getattr(order, "fulfillment", None)
    return {
        "order": order,
        "fulfillment": fulfillment,
        "flines": list(fulfillment.lines.all()) if fulfillment else [],
        "preparation": getattr(order, "shipment_preparation", None),
        "entries": list(order.progress_entries.all()),
        "company": settings.PORTAL_COMPANY,
        "document_title": PREPARATION_TITLE,
        "printed_at": timezone.localtime(),
    }


@permission_required("orders.view_order", raise_exception=True)
def preparation_form(request: HttpRequest, pk: int) -> HttpResponse:
    context = _preparation_context(request, pk)
    context["pdf_url_name"] = "fulfillment:preparation_form_pdf"
    context["pdf_arg"] = pk
    return render(request, "fulfillment/preparation_form.html", context)


@permission_required("orders.view_order", raise_exception=True)
def preparation_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _preparation_context(request, pk)
    return pdf_response(
        "fulfillment/preparation_form_pdf.html",
        context,
        filename=f"{_('Shipment preparation form')}-{context['order'].number or pk}.pdf",
        request=request,
    )


def _delivery_note_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    try:
        shipment = selectors.shipment_document(pk=pk)
    except Shipment.DoesNotExist:
        raise Http404 from None
    return {
        "shipment": shipment,
        "order": shipment.order,
        "lines": list(shipment.lines.all()),
        "company": settings.PORTAL_COMPANY,
        "document_title": DELIVERY_NOTE_TITLE,
        "printed_at": timezone.localtime(),
    }


@permission_required("orders.view_order", raise_exception=True)
def delivery_note(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "fulfillment/delivery_note.html", _delivery_note_context(request, pk))


@permission_required("orders.view_order", raise_exception=True)
def delivery_note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _delivery_note_context(request, pk)
    return pdf_response(
        "fulfillment/delivery_note_pdf.html",
        context,
        filename=f"{_('Delivery note')}-{context['shipment']}.pdf",
        request=request,
    )
