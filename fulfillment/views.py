"""Fulfillment pages. Thin: form → service (one action of the engine) or selector → page.
A refused step is answered by core.web (403 for a permission, the refusal page with 409
or 400 otherwise); the forms and buttons shown are those core.actions.allowed allows —
and the server checks again on every POST."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.actions import allowed, available
from core.errors import Invalid
from core.models import OutboxMessage, SlaClock
from core.pdf import pdf_response
from core.web import refused, run_step
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
from orders.models import Order, OrderStatus

PREPARATION_TITLE = gettext_lazy("Shipment preparation form")
DELIVERY_NOTE_TITLE = gettext_lazy("Delivery note")


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
            return run_step(
                request,
                lambda: services.stock_receive(actor=request.user, **data),
                success=_("The receipt was booked."),
                back=reverse("fulfillment:stock"),
            )
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
ORDER_STEPS = (
    "fulfillment.confirm_stock",
    "fulfillment.schedule_service",
    "fulfillment.change_warehouse",
    "fulfillment.record_progress",
    "fulfillment.save_preparation",
    "fulfillment.ready",
    "fulfillment.dispatch",
    "fulfillment.deliver",
)


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
    stopped = bool(fulfillment and fulfillment.is_stopped)
    # What this user may do now, by the same rules the engine checks on the POST.
    steps = available(user, order, ORDER_STEPS)
    shipments = list(order.shipments.all())
    _attach_notices(shipments)
    context: dict[str, Any] = {
        "order": order,
        "fulfillment": fulfillment,
        "flines": flines,
        "preparation": preparation,
        "entries": [
            (entry, services.progress_entry_is_risky(entry, fulfillment))
            for entry in order.progress_entries.all()
        ],
        "shipments": shipments,
        "clocks": list(
            SlaClock.objects.for_target(order).select_related("owner").order_by("due_at")
        ),
        "stopped": stopped,
        "can_confirm": steps["fulfillment_confirm_stock"] and not stopped,
        "can_schedule_service": steps["fulfillment_schedule_service"],
        "can_progress": steps["fulfillment_record_progress"] and not stopped,
        "can_prepare": steps["fulfillment_save_preparation"] and not stopped,
        "can_mark_ready": steps["fulfillment_ready"] and not stopped,
        "can_ship": steps["fulfillment_dispatch"] and not stopped,
        "can_deliver": steps["fulfillment_deliver"],
        "can_answer": bool(
            fulfillment
            and fulfillment.needs_negotiation
            and not fulfillment.customer_answer
            and allowed("fulfillment.record_answer", user, fulfillment)
        ),
        "can_change_warehouse": steps["fulfillment_change_warehouse"] and not stopped,
        "show_prices": user.has_perm("orders.view_prices"),
        "account_manager": selectors.order_account_manager_choice(order, fulfillment),
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
        # The arrival logistics aims at: the date agreed with the customer, else the
        # requested one (the promised date), unless it has passed.
        promised = fulfillment.promised_date if fulfillment else order.requested_delivery_date
        context["ship_form"] = ShipmentForm(
            lines=[f for f in flines if f.remaining > 0],
            initial={"eta": promised} if promised and promised >= timezone.localdate() else {},
        )
    if context["can_answer"]:
        context["answer_form"] = AnswerForm()
    return render(request, "fulfillment/order.html", context)


def _attach_notices(shipments: list[Shipment]) -> None:
    """Each shipment's delivery notice as the outbox knows it (queued, sent or given up):
    the notice counts as sent when its outbox message was sent. One query."""
    keys = {services.delivery_notice_key(s): s for s in shipments}
    notices = {
        m.key: m
        for m in OutboxMessage.objects.filter(key__in=list(keys)).only(
            "key", "payload", "sent_at", "failed_at", "attempts", "created_at"
        )
    }
    for key, shipment in keys.items():
        shipment.notice = notices.get(key)  # type: ignore[attr-defined]


def _back(pk: int) -> str:
    return reverse("fulfillment:order", args=[pk])


def _invalid(request: HttpRequest, form: Any, pk: int) -> HttpResponse:
    """An invalid form is refused like any step with wrong input (400), field by field."""
    texts, fields = [], {}
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        fields[field] = [str(error) for error in errors]
        texts.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return refused(request, Invalid(" ".join(texts), fields=fields), back=_back(pk))


def _flines(order: Order) -> list[Any]:
    fulfillment = OrderFulfillment.objects.filter(order=order).first()
    if fulfillment is None:
        return _unallocated_lines(order)
    return list(fulfillment.lines.select_related("order_line__product"))


def _unallocated_lines(order: Order) -> list[FulfillmentLine]:
    # A confirmed order the allocation has not reached yet (e.g. entered before the
    # warehouses existed): the forms show its lines; the action allocates on submit.
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
        return _invalid(request, form, pk)
    return run_step(
        request,
        lambda: services.fulfillment_confirm_stock(
            actor=request.user,
            order=order,
            line_statuses=form.line_statuses(),
            deliverable_date=form.cleaned_data["deliverable_date"],
            note=form.cleaned_data["note"],
        ),
        success=_("Stock confirmed; the order is in preparation."),
        back=_back(pk),
    )


@require_POST
@permission_required("orders.confirm_stock", raise_exception=True)
def schedule_service(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.service_schedule(
            actor=request.user, order=order, note=request.POST.get("note", "")
        ),
        success=_("The service is scheduled."),
        back=_back(pk),
    )


@require_POST
@permission_required("fulfillment.change_allocation", raise_exception=True)
def change_warehouse(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = WarehouseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, pk)
    return run_step(
        request,
        lambda: services.fulfillment_change_warehouse(
            actor=request.user, order=order, warehouse=form.cleaned_data["warehouse"]
        ),
        success=_("The warehouse was changed."),
        back=_back(pk),
    )


@require_POST
@login_required
def record_answer(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, pk)
    return run_step(
        request,
        lambda: services.fulfillment_record_answer(
            actor=request.user, order=order, **form.cleaned_data
        ),
        success=_("The customer's answer was recorded."),
        back=_back(pk),
    )


@require_POST
@permission_required("fulfillment.record_progress", raise_exception=True)
def add_progress(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = ProgressEntryForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, pk)
    return run_step(
        request,
        lambda: services.progress_entry_add(
            actor=request.user, order=order, entry=form.save(commit=False)
        ),
        success=_("The progress entry was recorded."),
        back=_back(pk),
    )


@require_POST
@permission_required("fulfillment.record_progress", raise_exception=True)
def save_preparation(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = PreparationForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, pk)
    return run_step(
        request,
        lambda: services.preparation_save(
            actor=request.user, order=order, form_data=form.cleaned_data
        ),
        success=_("The shipment preparation form was saved."),
        back=_back(pk),
    )


@require_POST
@permission_required("orders.confirm_stock", raise_exception=True)
def mark_ready(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.fulfillment_mark_ready(actor=request.user, order=order),
        success=_("The order is ready to ship; logistics was told."),
        back=_back(pk),
    )


@require_POST
@permission_required("orders.ship_order", raise_exception=True)
def ship(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    form = ShipmentForm(request.POST, lines=_flines(order))
    if not form.is_valid():
        return _invalid(request, form, pk)
    data = form.cleaned_data
    return run_step(
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
        success=_("The shipment was recorded."),
        back=_back(pk),
    )


@require_POST
@permission_required("orders.record_delivery", raise_exception=True)
def record_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    return run_step(
        request,
        lambda: services.fulfillment_record_delivery(actor=request.user, order=order),
        success=_("Delivery recorded."),
        back=_back(pk),
    )


# --- documents (docs/workflow.md §7) -----------------------------------------------------------------
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
