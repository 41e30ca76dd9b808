"""The fulfillment steps as actions of the one engine (core.actions), its hooks into the
orders app's steps, and the handler of the customer's delivery notice (core.outbox).

Imported by FulfillmentConfig.ready(), which only fills the registries: every write of
the warehouse and logistics is declared here with its state (the order's ``django_fsm``
transition, or the states it may run in), its predicate (fulfillment/predicates.py) and
its effect. The engine locks the order first, refuses an archived one, checks state and
predicate, runs the effect and writes the one row of the order's timeline.

* ``on("order.approve")`` / ``on("order.director_approve")``: the final approval
  allocates the order and reserves its stock — inside the approval's transaction, so a
  failure rolls the approval back whole.
* ``on("order.cancel_approve")``: the cancellation releases the reserved stock and stops
  the warehouse, inside the cancellation's transaction.
* ``fulfillment.delivery_notice`` puts the customer's e-mail into the outbox; the
  handler below sends it after the commit, with retries (at least once, never twice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from core import roles
from core.actions import Step, action, on, perform
from core.calendar import BusinessCalendar
from core.errors import Invalid
from core.messages import Msg, date_param, join_messages, message_store, message_text
from core.models import OutboxMessage, SlaClock, SlaKind
from core.outbox import outbox_handler, outbox_put
from core.roles import users_with_role
from core.services import sla_clock_cancel, sla_clock_meet, sla_clock_start
from fulfillment import predicates as P
from fulfillment import selectors, services
from fulfillment.exceptions import (
    MSG_CHOOSE_ANSWER,
    MSG_DELIVERABLE_DATE_REQUIRED,
    MSG_LINE_STATUS_REQUIRED,
    MSG_NO_NEGOTIATION,
    MSG_NO_WAREHOUSE,
    MSG_NOT_ALL_SHIPPED,
    MSG_OWNER_NOT_WAREHOUSE,
    MSG_QC_NOT_PASSED,
    MSG_QUANTITY_ABOVE_ZERO,
    MSG_REASON_REQUIRED,
    MSG_SHIP_NOTHING,
    MSG_SHIP_TOO_MUCH,
    MSG_STOPPED,
    FulfillmentError,
    NotEnoughStock,
)
from fulfillment.models import (
    ZERO,
    CustomerAnswer,
    MovementKind,
    OrderFulfillment,
    ProgressEntry,
    QcResult,
    Shipment,
    ShipmentLine,
    ShipmentPreparation,
    Stage,
    StockLevel,
    StockMovement,
    StockStatus,
    Warehouse,
)
from orders.models import Order, OrderEventKind, OrderKind, OrderStatus

NOTE = OrderEventKind.NOTE


def _refuse_if_stopped(fulfillment: OrderFulfillment | None) -> None:
    if fulfillment is not None and fulfillment.is_stopped:
        raise FulfillmentError(MSG_STOPPED, code="stopped")


def _warehouse_of(fulfillment: OrderFulfillment) -> Warehouse:
    if fulfillment.warehouse is None:
        raise FulfillmentError(MSG_NO_WAREHOUSE, code="no_warehouse")
    return fulfillment.warehouse


def _checkin_start(order: Order, *, started_at: datetime | None = None) -> None:
    sla_clock_start(
        target=order,
        kind=SlaKind.PREPARATION_CHECKIN,
        owner=order.owner,
        working_days=1,
        started_at=started_at,
        note=Msg(_l("Record today's preparation progress.")),
    )


def _checkin_done(order: Order) -> None:
    """A progress entry meets the running preparation check-in, and the next one starts at
    the opening of the next working day: one check-in per working day in preparation
    (docs/workflow.md §5), never a clock per entry. A second entry on the same day finds
    tomorrow's check-in waiting and changes nothing."""
    now = timezone.now()
    waiting = (
        SlaClock.objects.open()
        .for_target(order)
        .filter(kind=SlaKind.PREPARATION_CHECKIN, started_at__gt=now)
        .exists()
    )
    if waiting:
        return
    sla_clock_meet(target=order, kind=SlaKind.PREPARATION_CHECKIN, at=now)
    calendar = BusinessCalendar()
    day = calendar.next_working_day(timezone.localtime(now, calendar.tz).date())
    _checkin_start(order, started_at=datetime.combine(day, calendar.day_start, tzinfo=calendar.tz))


# --- stock ------------------------------------------------------------------------------
@action(
    "fulfillment.receive_stock",
    model=StockMovement,
    predicate=P.may_manage_stock,
    creates=True,
    records=False,  # the ledger row is the record
)
def receive_stock(step: Step[Any]) -> StockMovement:
    """Goods arrive in a warehouse (purchase, production output, return)."""
    quantity = step.params["quantity"]
    if quantity is None or quantity <= 0:
        raise Invalid(MSG_QUANTITY_ABOVE_ZERO, fields={"quantity": [str(MSG_QUANTITY_ABOVE_ZERO)]})
    level = services.stock_level_get(
        warehouse=step.params["warehouse"], product=step.params["product"]
    )
    return services.stock_move(
        level,
        kind=MovementKind.RECEIPT,
        on_hand_delta=quantity,
        actor=step.actor,
        reason=step.params["reason"],
    )


@action(
    "fulfillment.adjust_stock",
    model=StockLevel,
    predicate=P.may_manage_stock,
    records=False,  # the ledger row is the record
)
def adjust_stock(step: Step[Any]) -> StockMovement:
    """Correct the counted quantity (stocktaking); never below what is reserved."""
    reason = (step.params.get("reason") or "").strip()
    if not reason:
        raise Invalid(MSG_REASON_REQUIRED, fields={"reason": [str(MSG_REASON_REQUIRED)]})
    return services.stock_move(
        step.obj,
        kind=MovementKind.ADJUSTMENT,
        on_hand_delta=step.params["on_hand_delta"],
        actor=step.actor,
        reason=reason,
    )


@action(
    "fulfillment.purchase_alert",
    model=StockLevel,
    predicate=P.system_step,
    records=False,
)
def purchase_alert(step: Step[Any]) -> Any:
    """A stock movement crossed the safety stock: raise the alert (and tell the warehouse)
    or resolve it. Performed by the movement, in its transaction, under the level's lock."""
    return services.purchase_alert_update(step.obj) or False


# --- allocation ----------------------------------------------------------------------------
@action(
    "fulfillment.allocate",
    model=Order,
    predicate=P.system_step,
    states=(OrderStatus.CONFIRMED,),
    event=NOTE,
)
def allocate(step: Step[Any]) -> OrderFulfillment | None:
    """A confirmed goods order gets its warehouse by the allocation rules, and what that
    warehouse has in stock is reserved for it (lines it cannot cover stay unreserved for
    the warehouse to answer). Idempotent: a second run returns the existing allocation.
    Service orders skip stock (docs/workflow.md §4) and get none."""
    order = step.obj
    existing = services.fulfillment_locked(order)
    if order.kind == OrderKind.SERVICE or existing is not None:
        step.skip_event = True
        return existing
    fulfillment = services.fulfillment_create(order)
    if fulfillment.warehouse is not None:
        for fline in services.lines_locked(fulfillment):
            try:
                # A savepoint per line: one short line must not undo the others.
                with transaction.atomic():
                    services.line_reserve(
                        fline, warehouse=fulfillment.warehouse, actor=step.actor, order=order
                    )
            except NotEnoughStock:
                fline.refresh_from_db(fields=["reserved"])
    values: dict[str, Any] = {
        "order": str(order),
        "warehouse": str(fulfillment.warehouse)
        if fulfillment.warehouse is not None
        else _l("no warehouse (no allocation rule matched)"),
        "manager": selectors.order_account_manager_choice(order).message(),
    }
    step.event_action = "allocate"
    step.set_note(Msg(_l("Allocated to %(warehouse)s. Account manager: %(manager)s."), **values))
    services.delivery_risk_start(order, fulfillment)
    services.notify(
        services.warehouse_people(fulfillment),
        title=Msg(_l("Confirm stock for order %(order)s"), **values),
        body=Msg(_l("Warehouse: %(warehouse)s."), **values),
        target=fulfillment,
    )
    return fulfillment


@on("order.approve")
@on("order.director_approve")
def reserve_on_confirmation(step: Step[Any]) -> None:
    """The final approval confirmed the order: allocate it and reserve its stock, inside
    the approval's transaction (a failure here rolls the approval back whole).

    The warehouse hears of the confirmation from here only, once: a goods order from the
    allocation (its warehouse's responsible person), a service order — which has no
    allocation — as a request to schedule the service (docs/workflow.md §4)."""
    order = step.obj
    if order.status != OrderStatus.CONFIRMED:
        return
    perform("fulfillment.allocate", actor=step.actor, obj=order)
    if order.kind == OrderKind.SERVICE:
        services.notify(
            users_with_role(roles.WAREHOUSE),
            title=Msg(_l("Schedule the service of order %(order)s"), order=str(order)),
            body=order.customer.name,
            target=order,
        )


@action(
    "fulfillment.change_warehouse",
    model=Order,
    predicate=P.may_change_warehouse,
    states=(OrderStatus.CONFIRMED,),
    event=NOTE,
)
def change_warehouse(step: Step[Any]) -> OrderFulfillment:
    """The warehouse may send an order to another warehouse until stock is confirmed;
    reservations move with it (released here, reserved there as far as it has stock)."""
    order, warehouse = step.obj, step.params["warehouse"]
    fulfillment = services.fulfillment_ensure(order)
    _refuse_if_stopped(fulfillment)
    old = fulfillment.warehouse
    if old == warehouse:
        step.skip_event = True
        return fulfillment
    lines = services.lines_locked(fulfillment)
    if old is not None:
        reason = _("Order %(order)s moved to %(warehouse)s") % {
            "order": order,
            "warehouse": warehouse,
        }
        for fline in lines:
            services.line_release(
                fline, warehouse=old, actor=step.actor, order=order, reason=reason
            )
    fulfillment.warehouse = warehouse
    fulfillment.responsible = warehouse.manager
    fulfillment.save(update_fields=["warehouse", "responsible"])
    for fline in lines:
        try:
            with transaction.atomic():
                services.line_reserve(fline, warehouse=warehouse, actor=step.actor, order=order)
        except NotEnoughStock:
            fline.refresh_from_db(fields=["reserved"])
    step.event_action = "change_warehouse"
    step.set_note(
        Msg(
            _l("Warehouse changed from %(old)s to %(new)s."),
            old=str(old) if old is not None else "—",
            new=str(warehouse),
        )
    )
    return fulfillment


# --- stock confirmation, service scheduling and negotiation ---------------------------------
@action(
    "fulfillment.confirm_stock",
    model=Order,
    predicate=P.may_confirm_stock,
    transition="confirm_stock",
)
def confirm_stock(step: Step[Any]) -> OrderFulfillment:
    """The warehouse answers per line: in stock / short / to be produced, and the date the
    goods can be delivered. "In stock" lines are reserved now — all or nothing: if the
    stock is not there (another order got it first) nothing is confirmed and the warehouse
    reads why. A deliverable date after the requested date flags the order for negotiation
    and tells the owner. The order moves to preparing and the daily check-in starts."""
    order, actor = step.obj, step.actor
    deliverable_date = step.params.get("deliverable_date")
    line_statuses = step.params.get("line_statuses") or {}
    fulfillment = services.fulfillment_ensure(order)
    _refuse_if_stopped(fulfillment)
    warehouse = _warehouse_of(fulfillment)
    if deliverable_date is None:
        raise Invalid(
            MSG_DELIVERABLE_DATE_REQUIRED,
            fields={"deliverable_date": [str(MSG_DELIVERABLE_DATE_REQUIRED)]},
        )
    lines = services.lines_locked(fulfillment)
    if any(line_statuses.get(f.order_line_id) not in StockStatus.values for f in lines):
        raise Invalid(MSG_LINE_STATUS_REQUIRED)
    reason = _("Order %(order)s: goods to be produced") % {"order": order}
    for fline in lines:
        fline.stock_status = line_statuses[fline.order_line_id]
        if fline.stock_status == StockStatus.IN_STOCK:
            services.line_reserve(fline, warehouse=warehouse, actor=actor, order=order)
        elif fline.stock_status == StockStatus.TO_PRODUCE:
            # Made for this order: stock held for it goes back to the others.
            services.line_release(
                fline, warehouse=warehouse, actor=actor, order=order, reason=reason
            )
        fline.save(update_fields=["stock_status"])
    statuses = {f.stock_status for f in lines}
    fulfillment.stock_status = (
        StockStatus.TO_PRODUCE
        if StockStatus.TO_PRODUCE in statuses
        else StockStatus.SHORT
        if StockStatus.SHORT in statuses
        else StockStatus.IN_STOCK
    )
    fulfillment.deliverable_date = deliverable_date
    fulfillment.stock_note = step.note
    fulfillment.stock_confirmed_at = timezone.now()
    fulfillment.stock_confirmed_by = actor
    requested = order.requested_delivery_date
    fulfillment.needs_negotiation = bool(requested and deliverable_date > requested)
    fulfillment.save()
    values: dict[str, Any] = {
        "order": str(order),
        "status": StockStatus(fulfillment.stock_status),
        "date": date_param(deliverable_date),
        "requested": date_param(requested) if requested else "—",
    }
    event_note = Msg(_l("Stock: %(status)s; deliverable on %(date)s."), **values)
    step.set_note(join_messages(event_note, step.note) if step.note else event_note)
    step.transition()
    _checkin_start(order)
    if fulfillment.needs_negotiation:
        services.notify(
            [order.owner],
            title=Msg(_l("Negotiate the delivery date of order %(order)s"), **values),
            body=Msg(
                _l(
                    "The warehouse can deliver on %(date)s, the customer asked for %(requested)s. "
                    "Agree with the customer and record the answer."
                ),
                **values,
            ),
            target=fulfillment,
        )
    return fulfillment


@action(
    "fulfillment.schedule_service",
    model=Order,
    predicate=P.may_schedule_service,
    transition="schedule_service",
)
def schedule_service(step: Step[Any]) -> Order:
    """A confirmed service order (installation, maintenance) skips stock and shipment: the
    warehouse schedules the service (docs/workflow.md §4)."""
    step.transition()
    return step.obj


@action(
    "fulfillment.record_answer",
    model=OrderFulfillment,
    root="order",
    predicate=P.may_record_answer,
    event=OrderEventKind.CONTACT,
)
def record_answer(step: Step[Any]) -> OrderFulfillment:
    """The order's owner records what the customer said about the later date. If the
    customer agrees, the deliverable date becomes the promised date (and the delivery
    risk warning moves with it); if the customer insists, the manager is told."""
    fulfillment, order, answer = step.obj, step.root, step.params.get("answer")
    if not fulfillment.needs_negotiation:
        raise FulfillmentError(MSG_NO_NEGOTIATION, code="no_negotiation")
    if answer not in (CustomerAnswer.ACCEPTED, CustomerAnswer.PARTIAL, CustomerAnswer.INSISTS):
        raise Invalid(MSG_CHOOSE_ANSWER, fields={"answer": [str(MSG_CHOOSE_ANSWER)]})
    note = step.note
    fulfillment.customer_answer = answer
    fulfillment.customer_answer_note = note
    fulfillment.answered_by = step.actor
    fulfillment.answered_at = timezone.now()
    if answer == CustomerAnswer.ACCEPTED:
        fulfillment.promised_date = fulfillment.deliverable_date
    fulfillment.save()
    step.event_action = "delivery_date_answer"
    answer_label = CustomerAnswer(fulfillment.customer_answer)
    step.set_note(join_messages(answer_label, note) if note else Msg(answer_label.label))
    if answer == CustomerAnswer.ACCEPTED:
        services.delivery_risk_restart(order, fulfillment)
    elif answer == CustomerAnswer.INSISTS:
        services.notify(
            [services.sales_manager()],
            title=Msg(
                _l("Delay risk: customer insists on the date of order %(order)s"), order=str(order)
            ),
            body=note,
            target=fulfillment,
        )
    return fulfillment


# --- preparation progress, QC, ready ---------------------------------------------------------
@action(
    "fulfillment.record_progress",
    model=Order,
    predicate=P.may_record_progress,
    states=services.PROGRESS_STATUSES,
    event=NOTE,
)
def record_progress(step: Step[Any]) -> ProgressEntry:
    """A row of the follow-up progress table. It meets today's preparation check-in (the
    next one starts on the next working day); the owner is someone of the warehouse /
    production (docs/workflow.md §2); a stage that is late or planned after the promised date tells
    the manager (once per entry)."""
    order, entry = step.obj, step.params["entry"]
    fulfillment = services.fulfillment_locked(order)
    _refuse_if_stopped(fulfillment)
    if entry.owner_id is None or not roles.has_role(entry.owner, roles.WAREHOUSE):
        raise Invalid(MSG_OWNER_NOT_WAREHOUSE, fields={"owner": [str(MSG_OWNER_NOT_WAREHOUSE)]})
    entry.order = order
    entry.recorded_by = step.actor
    entry.full_clean()
    entry.save()
    if order.status == OrderStatus.PREPARING:
        _checkin_done(order)
    step.event_action = "progress"
    stage = Stage(entry.stage)
    step.set_note(
        Msg(_l("%(stage)s: %(note)s"), stage=stage, note=entry.note)
        if entry.note
        else Msg(stage.label)
    )
    if services.progress_entry_is_risky(entry, fulfillment):
        services.delay_risk_notify(entry, fulfillment)
    return entry


@action(
    "fulfillment.report_delay",
    model=ProgressEntry,
    root="order",
    predicate=P.system_step,
    records=False,
)
def report_delay(step: Step[Any]) -> bool:
    """A stage ran past its planned finish (the deadline scan): the manager hears, once."""
    entry, today = step.obj, step.params["today"]
    if (
        entry.risk_notified_at is not None
        or entry.actual_end is not None
        or entry.planned_end >= today
        or step.root.status not in services.PROGRESS_STATUSES
    ):
        return False
    services.delay_risk_notify(entry, OrderFulfillment.objects.filter(order=step.root).first())
    return True


@action(
    "fulfillment.save_preparation",
    model=Order,
    predicate=P.may_save_preparation,
    states=(OrderStatus.PREPARING,),
    event=NOTE,
)
def save_preparation(step: Step[Any]) -> ShipmentPreparation:
    """Fill in the shipment preparation form: packing, packages, QC result. Whoever
    records a QC result is its inspector; a new QC result goes on the timeline."""
    order, actor = step.obj, step.actor
    preparation = ShipmentPreparation.objects.select_for_update().filter(order=order).first()
    if preparation is None:
        preparation = ShipmentPreparation(order=order, prepared_by=actor)
    old_result = preparation.qc_result
    for field, value in step.params["form_data"].items():
        setattr(preparation, field, value)
    if preparation.qc_result != QcResult.PENDING and (
        preparation.qc_result != old_result or preparation.qc_inspector_id is None
    ):
        preparation.qc_inspector = actor
        preparation.qc_at = timezone.now()
    preparation.full_clean()
    preparation.save()
    if preparation.qc_result != old_result and preparation.qc_result != QcResult.PENDING:
        step.event_action = "qc"
        step.set_note(Msg(_l("QC: %(result)s"), result=QcResult(preparation.qc_result)))
    else:
        step.skip_event = True  # packing details only: nothing for the timeline
    return preparation


@action(
    "fulfillment.ready",
    model=Order,
    predicate=P.may_mark_ready,
    transition="ready",
)
def ready(step: Step[Any]) -> Order:
    """Preparation done: only with a complete shipment preparation form and a passed QC.
    Produced or purchased goods are booked into the warehouse and reserved for the order
    here, so the ledger shows where every shipped unit came from. Logistics is told."""
    order, actor = step.obj, step.actor
    preparation = ShipmentPreparation.objects.filter(order=order).first()
    if preparation is None or not preparation.is_complete:
        raise FulfillmentError(MSG_QC_NOT_PASSED, code="qc")
    fulfillment = services.fulfillment_ensure(order)
    _refuse_if_stopped(fulfillment)
    warehouse = _warehouse_of(fulfillment)
    reason = _("Produced / purchased for order %(order)s") % {"order": order}
    for fline in services.lines_locked(fulfillment):
        missing = fline.quantity - fline.shipped - fline.reserved
        if missing > 0:
            level = services.stock_level_get(warehouse=warehouse, product=fline.order_line.product)
            services.stock_move(
                level,
                kind=MovementKind.RECEIPT,
                on_hand_delta=missing,
                actor=actor,
                reason=reason,
                order=order,
                order_line=fline.order_line,
            )
            services.line_reserve(fline, warehouse=warehouse, actor=actor, order=order)
    if not step.note:
        step.set_note(Msg(_l("QC passed; shipment preparation form complete.")))
    step.transition()
    sla_clock_meet(target=order, kind=SlaKind.PREPARATION_CHECKIN)
    services.notify(
        users_with_role(roles.LOGISTICS),
        title=Msg(_l("Order %(order)s is ready to ship"), order=str(order)),
        target=fulfillment,
    )
    return order


# --- shipments and delivery -------------------------------------------------------------------
@action(
    "fulfillment.dispatch",
    model=Order,
    predicate=P.may_ship,
    states=(OrderStatus.READY_TO_SHIP,),
    event=NOTE,
)
def dispatch(step: Step[Any]) -> Shipment:
    """Ship some or all of what is left (partial shipments). No line ships more than was
    ordered (checked here and by the database). Shipped goods leave the stock (issue).
    When everything has shipped, the order's ``ship`` transition runs (a nested action,
    same transaction) and its event is the step's only timeline row. The delivery notice
    clock starts: the day before the ETA the account manager and the customer are told."""
    order, actor, params = step.obj, step.actor, step.params
    fulfillment = services.fulfillment_ensure(order)
    _refuse_if_stopped(fulfillment)
    warehouse = _warehouse_of(fulfillment)
    wanted = {pk: q for pk, q in params["quantities"].items() if q}
    if not wanted or any(q < 0 for q in wanted.values()):
        raise Invalid(MSG_SHIP_NOTHING)
    lines = services.lines_locked(fulfillment)
    by_line = {f.order_line_id: f for f in lines}
    for line_id, quantity in wanted.items():
        fline = by_line.get(line_id)
        if fline is None or quantity > fline.remaining:
            raise FulfillmentError(
                MSG_SHIP_TOO_MUCH
                % {
                    "product": fline.order_line.product if fline else line_id,
                    "remaining": services.qty(fline.remaining if fline else ZERO),
                    "quantity": services.qty(quantity),
                },
                code="too_much",
            )
    shipment = Shipment(
        order=order,
        sequence=Shipment.objects.filter(order=order).count() + 1,
        warehouse=warehouse,
        carrier=params["carrier"],
        method=params["method"],
        tracking_number=params["tracking_number"],
        eta=params["eta"],
        note=params.get("shipment_note") or "",
        shipped_by=actor,
    )
    shipment.full_clean()
    shipment.save()
    reason = _("Shipped with %(shipment)s") % {"shipment": shipment}
    for fline in lines:
        quantity = wanted.get(fline.order_line_id)
        if not quantity:
            continue
        ShipmentLine.objects.create(
            shipment=shipment, order_line=fline.order_line, quantity=quantity
        )
        from_reserved = min(quantity, fline.reserved)
        level = services.stock_level_get(warehouse=warehouse, product=fline.order_line.product)
        services.stock_move(
            level,
            kind=MovementKind.ISSUE,
            on_hand_delta=-quantity,
            reserved_delta=-from_reserved,
            actor=actor,
            reason=reason,
            order=order,
            order_line=fline.order_line,
        )
        fline.reserved -= from_reserved
        fline.shipped += quantity
        fline.save(update_fields=["reserved", "shipped"])
    values: dict[str, Any] = {
        "shipment": str(shipment),
        "carrier": shipment.carrier,
        "tracking": shipment.tracking_number,
        "eta": date_param(shipment.eta),
    }
    summary = Msg(
        _l("Shipment %(shipment)s: %(carrier)s, tracking number %(tracking)s, ETA %(eta)s."),
        **values,
    )
    if all(f.remaining <= 0 for f in lines):
        perform("fulfillment.ship", actor=actor, obj=order, note=summary)
        step.skip_event = True  # the transition's row tells it
    else:
        step.event_action = "partial_shipment"
        step.set_note(summary)
    services.start_with_lead(
        target=shipment,
        kind=SlaKind.DELIVERY_NOTICE,
        owner=services.account_manager(order),
        due_at=services.at(shipment.eta, services.DELIVERY_NOTICE_TIME),
        lead=services.DELIVERY_NOTICE_LEAD,
        note=Msg(_l("%(carrier)s, tracking number %(tracking)s, arriving %(eta)s."), **values),
    )
    return shipment


@action(
    "fulfillment.ship",
    model=Order,
    predicate=P.may_ship,
    transition="ship",
)
def ship(step: Step[Any]) -> Order:
    """Everything has shipped (performed by ``fulfillment.dispatch``): the order is
    shipped and the delivery-risk clocks are met."""
    order = step.obj
    fulfillment = services.fulfillment_locked(order)
    if fulfillment is None or any(f.remaining > 0 for f in fulfillment.lines.all()):
        raise FulfillmentError(MSG_NOT_ALL_SHIPPED, code="not_all_shipped")
    step.transition()
    services.delivery_risk_stop(order, fulfillment, met=True)
    return order


@action(
    "fulfillment.deliver",
    model=Order,
    predicate=P.may_record_delivery,
    transition="deliver",
)
def deliver(step: Step[Any]) -> Order:
    """The goods have arrived at the customer (logistics or the account manager). A notice
    that they arrive tomorrow would come too late: its clocks stop."""
    step.transition()
    for shipment in Shipment.objects.filter(order=step.obj):
        sla_clock_cancel(target=shipment, kind=SlaKind.DELIVERY_NOTICE)
    return step.obj


# --- the customer's delivery notice (through the outbox) ---------------------------------------
@action(
    "fulfillment.delivery_notice",
    model=Shipment,
    root="order",
    predicate=P.system_step,
    records=False,
)
def delivery_notice(step: Step[Any]) -> bool:
    """The deadline scan found the shipment's notice clock warned (the account manager was
    told by core's scan): meet the clock and put the customer's e-mail into the outbox,
    keyed by the shipment, in this transaction. The clock is re-read under the order's
    and the shipment's locks: a second scan finds it met and does nothing."""
    shipment = step.obj
    clock = (
        SlaClock.objects.open()
        .filter(pk=step.params["clock"], kind=SlaKind.DELIVERY_NOTICE)
        .select_for_update()
        .first()
    )
    if clock is None:
        return False
    clock.met_at = step.params.get("now") or timezone.now()
    clock.save(update_fields=["met_at"])
    order = shipment.order = step.root
    emails = services.customer_emails(order)
    if emails:
        subject, body = services.delivery_notice_messages(shipment)
        outbox_put(
            services.DELIVERY_NOTICE_KIND,
            {
                "shipment": shipment.pk,
                "to": emails,
                "subject": message_store(subject)[0],
                "body": message_store(body)[0],
                "subject_msg": subject.as_json(),
                "body_msg": body.as_json(),
            },
            target=shipment,
            key=services.delivery_notice_key(shipment),
        )
    return True


@outbox_handler(services.DELIVERY_NOTICE_KIND)
def send_delivery_notice(message: OutboxMessage) -> None:
    """Send the customer's delivery notice; a failure raises and the outbox tries again.
    Only after the send is the shipment marked "customer notified". The Message-ID is
    the outbox message's: a send repeated after a crash is one message to mail clients."""
    payload = message.payload
    # The customer's language: the portal's default (customers have no language setting).
    language = settings.LANGUAGE_CODE
    EmailMessage(
        subject=message_text(payload.get("subject_msg"), payload["subject"], language),
        body=message_text(payload.get("body_msg"), payload["body"], language),
        to=payload["to"],
        headers={"Message-ID": f"<outbox-{message.pk}@{DNS_NAME}>"},
    ).send()
    Shipment.objects.filter(pk=payload["shipment"]).update(
        customer_notified_at=timezone.now(), customer_notified_to=", ".join(payload["to"])
    )


# --- cancellation ---------------------------------------------------------------------------
@action(
    "fulfillment.stop",
    model=Order,
    predicate=P.system_step,
    states=(OrderStatus.CANCELLED,),
    event=NOTE,
)
def stop(step: Step[Any]) -> OrderFulfillment | None:
    """The order was cancelled: every reservation goes back to available stock, the
    deadlines stop, and the warehouse is told to stop preparing (docs/workflow.md §4)."""
    order, actor = step.obj, step.actor
    reason = step.params.get("reason") or ""
    for kind in (SlaKind.PREPARATION_CHECKIN, SlaKind.DELIVERY_RISK):
        sla_clock_cancel(target=order, kind=kind)
    for shipment in Shipment.objects.filter(order=order):
        sla_clock_cancel(target=shipment, kind=SlaKind.DELIVERY_NOTICE)
    fulfillment = services.fulfillment_locked(order)
    if fulfillment is not None:
        services.delivery_risk_stop(order, fulfillment, met=False)
    if fulfillment is None or fulfillment.is_stopped:
        step.skip_event = True
        return fulfillment
    release_reason = _("Order %(order)s cancelled") % {"order": order}
    if fulfillment.warehouse is not None:
        for fline in services.lines_locked(fulfillment):
            services.line_release(
                fline,
                warehouse=fulfillment.warehouse,
                actor=actor,
                order=order,
                reason=release_reason,
            )
    fulfillment.stopped_at = timezone.now()
    fulfillment.stop_reason = reason
    fulfillment.save(update_fields=["stopped_at", "stop_reason"])
    step.event_action = "preparation_stopped"
    step.set_note(Msg(_l("Reserved stock released; the warehouse was told to stop.")))
    services.notify(
        services.warehouse_people(fulfillment),
        title=Msg(_l("Stop preparing order %(order)s: cancelled"), order=str(order)),
        body=reason,
        target=fulfillment,
    )
    return fulfillment


@on("order.cancel_approve")
def release_on_cancellation(step: Step[Any]) -> None:
    """The cancellation was approved: release the stock and stop the warehouse, inside
    the cancellation's transaction (a failure here rolls the cancellation back whole).

    The warehouse hears of it from here only, once, and only if it had the order: a goods
    order from ``fulfillment.stop``, a confirmed service order here."""
    order = step.obj
    if order.status != OrderStatus.CANCELLED:
        return
    reason = order.cancel_reason or step.note
    perform("fulfillment.stop", actor=step.actor, obj=order, reason=reason)
    if order.kind == OrderKind.SERVICE and step.from_state in P.APPROVED_STATUSES:
        services.notify(
            users_with_role(roles.WAREHOUSE),
            title=Msg(_l("Stop preparing order %(order)s: cancelled"), order=str(order)),
            body=reason,
            target=order,
        )
