"""Write operations of fulfillment: stock and its ledger, allocation, stock confirmation,
negotiation, preparation progress, QC, shipments, delivery notices and cancellation.

Every operation runs in one transaction, locks what it changes (the order row
first, then stock rows in product order, so two confirmations never deadlock),
checks the user's permission through the order's ``django_fsm`` transition,
writes the order timeline and starts or stops deadline clocks (STYLE.md 2–3).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from core import roles
from core.models import SlaClock, SlaKind
from core.roles import users_with_role
from core.services import (
    notify_users,
    sla_clock_cancel,
    sla_clock_meet,
    sla_clock_start,
)
from fulfillment.exceptions import (
    MSG_DELIVERABLE_DATE_REQUIRED,
    MSG_LINE_STATUS_REQUIRED,
    MSG_NO_NEGOTIATION,
    MSG_NO_WAREHOUSE,
    MSG_NOT_ENOUGH_STOCK,
    MSG_QC_NOT_PASSED,
    MSG_SHIP_NOTHING,
    MSG_SHIP_TOO_MUCH,
    MSG_STOCK_ALREADY_CONFIRMED,
    MSG_STOPPED,
    MSG_WRONG_ORDER_STATE,
    FulfillmentError,
    NotEnoughStock,
)
from fulfillment.models import (
    ZERO,
    AllocationRule,
    CustomerAnswer,
    FulfillmentLine,
    MovementKind,
    OrderFulfillment,
    ProgressEntry,
    PurchaseAlert,
    QcResult,
    Shipment,
    ShipmentLine,
    ShipmentPreparation,
    StockLevel,
    StockMovement,
    StockStatus,
    Warehouse,
)
from orders.exceptions import OrderPermissionDenied
from orders.models import Order, OrderEventKind, OrderKind, OrderStatus, Product
from orders.services import _event, _locked, _transition

logger = logging.getLogger(__name__)

# The delivery-risk warning goes out this long before the promised date (seed 001).
DELIVERY_RISK_LEAD = timedelta(hours=48)
# The delivery notice goes out this long before the ETA (seed 000 step 4).
DELIVERY_NOTICE_LEAD = timedelta(days=1)
# Promised and arrival dates are days; the clocks need a moment on that day.
DELIVERY_RISK_TIME = time(18, 0)  # end of the working day of the promised date
DELIVERY_NOTICE_TIME = time(9, 0)  # the morning of the ETA


# --- people ---------------------------------------------------------------------------
_users_with_role = users_with_role


def _sales_manager() -> Any:
    managers = _users_with_role(roles.SALES_MANAGER)
    return managers[0] if managers else None


def _account_manager(order: Order) -> Any:
    """The customer's account manager; the order's sales owner where the customer has none."""
    return order.customer.account_manager or order.owner


def _warehouse_people(fulfillment: OrderFulfillment | None) -> list[Any]:
    """Who hears about an order's warehouse work: its responsible person, else the manager of
    its warehouse, else everybody in the warehouse role."""
    if fulfillment is not None:
        if fulfillment.responsible_id:
            return [fulfillment.responsible]
        if fulfillment.warehouse_id and fulfillment.warehouse.manager_id:
            return [fulfillment.warehouse.manager]
    return _users_with_role(roles.WAREHOUSE)


def _notify(recipients: list[Any], *, title: str, body: str = "", target: Any = None) -> None:
    notify_users(recipients, title=title, body=body, target=target)


# --- stock and the ledger -------------------------------------------------------------
def stock_level_get(*, warehouse: Warehouse, product: Product) -> StockLevel:
    """The stock row of ``product`` in ``warehouse``, created empty on first use."""
    level, _created = StockLevel.objects.get_or_create(warehouse=warehouse, product=product)
    return level


def _move(
    level: StockLevel,
    *,
    kind: str,
    on_hand_delta: Decimal = ZERO,
    reserved_delta: Decimal = ZERO,
    actor: Any = None,
    reason: str,
    order: Order | None = None,
    order_line: Any = None,
) -> StockMovement:
    """Apply one change to a stock level and write its ledger row.

    One guarded conditional UPDATE: the row changes only if afterwards on hand
    ≥ 0, reserved ≥ 0 and reserved ≤ on hand. PostgreSQL re-checks the WHERE
    clause on the newest row version when a concurrent transaction changed it
    first, so thirty confirmations racing for ten units reserve at most ten,
    without a read-modify-write window. The CheckConstraints are the backstop.
    """
    changed = (
        StockLevel.objects.filter(pk=level.pk)
        .filter(on_hand__gte=-on_hand_delta, reserved__gte=-reserved_delta)
        .filter(on_hand__gte=F("reserved") + (reserved_delta - on_hand_delta))
        .update(
            on_hand=F("on_hand") + on_hand_delta,
            reserved=F("reserved") + reserved_delta,
            updated_at=timezone.now(),
        )
    )
    level.refresh_from_db(fields=["on_hand", "reserved", "in_transit", "safety_stock"])
    if not changed:
        needed = reserved_delta - on_hand_delta
        raise NotEnoughStock(
            MSG_NOT_ENOUGH_STOCK
            % {
                "product": level.product,
                "warehouse": level.warehouse,
                "available": _qty(level.available),
                "needed": _qty(needed if needed > 0 else -on_hand_delta),
            }
        )
    movement = StockMovement.objects.create(
        stock=level,
        kind=kind,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        actor=actor,
        reason=reason[:300],
        order=order,
        order_line=order_line,
    )
    _check_safety_stock(level)
    return movement


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _check_safety_stock(level: StockLevel) -> None:
    """Raise a purchase alert when available stock falls below safety stock, once.

    The alert stays open (and nobody is told again) until available stock is
    back at or above safety stock; then it is resolved and may be raised anew.
    """
    if level.safety_stock > 0 and level.available < level.safety_stock:
        if PurchaseAlert.objects.filter(stock=level, resolved_at__isnull=True).exists():
            return
        try:
            with transaction.atomic():
                alert = PurchaseAlert.objects.create(
                    stock=level, available=level.available, safety_stock=level.safety_stock
                )
        except IntegrityError:
            return  # a concurrent movement raised it first: it notified
        values = {
            "product": level.product,
            "warehouse": level.warehouse,
            "available": _qty(level.available),
            "safety": _qty(level.safety_stock),
        }
        recipients = [level.warehouse.manager] if level.warehouse.manager_id else []
        _notify(
            recipients or _users_with_role(roles.WAREHOUSE),
            title=_("Purchase alert: %(product)s in %(warehouse)s") % values,
            body=_("Available %(available)s is below the safety stock of %(safety)s.") % values,
            target=None,
        )
        logger.info("purchase alert %s raised", alert.pk)
    else:
        PurchaseAlert.objects.filter(stock=level, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )


@transaction.atomic
def stock_receive(
    *, actor: Any, warehouse: Warehouse, product: Product, quantity: Decimal, reason: str
) -> StockMovement:
    """Goods arrive in ``warehouse`` (purchase, production output, return)."""
    if not actor.has_perm("fulfillment.manage_stock"):
        raise OrderPermissionDenied()
    if quantity <= 0:
        raise ValidationError({"quantity": [_("Enter a quantity above zero.")]})
    level = stock_level_get(warehouse=warehouse, product=product)
    return _move(
        level, kind=MovementKind.RECEIPT, on_hand_delta=quantity, actor=actor, reason=reason
    )


@transaction.atomic
def stock_adjust(
    *, actor: Any, stock: StockLevel, on_hand_delta: Decimal, reason: str
) -> StockMovement:
    """Correct the counted quantity (stocktaking); never below what is reserved."""
    if not actor.has_perm("fulfillment.manage_stock"):
        raise OrderPermissionDenied()
    if not reason.strip():
        raise ValidationError({"reason": [_("Please give a reason.")]})
    return _move(
        stock, kind=MovementKind.ADJUSTMENT, on_hand_delta=on_hand_delta, actor=actor, reason=reason
    )


def _reserve_line(
    fline: FulfillmentLine, *, warehouse: Warehouse, actor: Any, order: Order
) -> None:
    """Reserve what the line still needs, all or nothing (raises NotEnoughStock)."""
    needed = fline.quantity - fline.shipped - fline.reserved
    if needed <= 0:
        return
    level = stock_level_get(warehouse=warehouse, product=fline.order_line.product)
    _move(
        level,
        kind=MovementKind.RESERVATION,
        reserved_delta=needed,
        actor=actor,
        reason=_("Reserved for order %(order)s") % {"order": order},
        order=order,
        order_line=fline.order_line,
    )
    fline.reserved += needed
    fline.save(update_fields=["reserved"])


def _release_line(
    fline: FulfillmentLine, *, warehouse: Warehouse, actor: Any, order: Order, reason: str
) -> None:
    if fline.reserved <= 0:
        return
    level = stock_level_get(warehouse=warehouse, product=fline.order_line.product)
    _move(
        level,
        kind=MovementKind.RELEASE,
        reserved_delta=-fline.reserved,
        actor=actor,
        reason=reason,
        order=order,
        order_line=fline.order_line,
    )
    fline.reserved = ZERO
    fline.save(update_fields=["reserved"])


def _lines_in_lock_order(fulfillment: OrderFulfillment) -> list[FulfillmentLine]:
    # Stock rows are locked in product order by every service: no two
    # transactions wait for each other's rows in opposite orders (no deadlock).
    return list(
        FulfillmentLine.objects.select_for_update(of=("self",))
        .filter(fulfillment=fulfillment)
        .select_related("order_line__product")
        .order_by("order_line__product_id", "pk")
    )


# --- allocation -----------------------------------------------------------------------
def allocation_rule_for(order: Order) -> AllocationRule | None:
    """The first rule (by priority; a rule for the customer's region before an any-region
    rule) whose amount band holds the order total."""
    total = order.total_amount
    return (
        AllocationRule.objects.filter(
            Q(region=order.customer.region) | Q(region=""),
            warehouse__is_active=True,
            min_amount__lte=total,
        )
        .filter(Q(max_amount__isnull=True) | Q(max_amount__gt=total))
        .select_related("warehouse", "responsible")
        .order_by("priority", F("region").desc(), "pk")
        .first()
    )


def _fulfillment_for(order: Order) -> OrderFulfillment | None:
    return (
        OrderFulfillment.objects.select_for_update(of=("self",))
        .select_related("warehouse", "responsible", "warehouse__manager")
        .filter(order=order)
        .first()
    )


def _create_fulfillment(order: Order, *, actor: Any) -> OrderFulfillment:
    rule = allocation_rule_for(order)
    warehouse = rule.warehouse if rule else None
    fulfillment = OrderFulfillment.objects.create(
        order=order,
        warehouse=warehouse,
        responsible=(rule.responsible if rule and rule.responsible_id else None)
        or (warehouse.manager if warehouse else None),
        rule=rule,
        promised_date=order.requested_delivery_date,
    )
    FulfillmentLine.objects.bulk_create(
        FulfillmentLine(fulfillment=fulfillment, order_line=line, quantity=line.quantity)
        for line in order.lines.all()
    )
    return fulfillment


@transaction.atomic
def fulfillment_allocate(*, order: Order, actor: Any = None) -> OrderFulfillment | None:
    """A confirmed goods order gets its warehouse by the allocation rules, and what that
    warehouse has in stock is reserved for it (lines it cannot cover stay unreserved for
    the warehouse to answer). Idempotent: a second call returns the existing allocation.
    Service orders skip stock (DESIGN.md §4) and get none.
    """
    order = _locked(order)
    if order.kind == OrderKind.SERVICE or order.status != OrderStatus.CONFIRMED:
        return None
    existing = _fulfillment_for(order)
    if existing is not None:
        return existing
    fulfillment = _create_fulfillment(order, actor=actor)
    reserved, unreserved = [], []
    if fulfillment.warehouse is not None:
        for fline in _lines_in_lock_order(fulfillment):
            try:
                # A savepoint per line: one short line must not undo the others.
                with transaction.atomic():
                    _reserve_line(fline, warehouse=fulfillment.warehouse, actor=actor, order=order)
                reserved.append(fline)
            except NotEnoughStock:
                fline.refresh_from_db(fields=["reserved"])
                unreserved.append(fline)
    values = {
        "order": order,
        "warehouse": fulfillment.warehouse or _("no warehouse (no allocation rule matched)"),
    }
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="allocate",
        note=_("Allocated to %(warehouse)s.") % values,
    )
    _delivery_risk_start(order, fulfillment)
    _notify(
        _warehouse_people(fulfillment),
        title=_("Confirm stock for order %(order)s") % values,
        body=_("Warehouse: %(warehouse)s.") % values,
        target=fulfillment,
    )
    return fulfillment


def _ensure_fulfillment(order: Order, *, actor: Any) -> OrderFulfillment:
    fulfillment = _fulfillment_for(order)
    if fulfillment is None:
        fulfillment = _create_fulfillment(order, actor=actor)
        _delivery_risk_start(order, fulfillment)
    return fulfillment


@transaction.atomic
def fulfillment_change_warehouse(
    *, actor: Any, order: Order, warehouse: Warehouse
) -> OrderFulfillment:
    """The warehouse may send an order to another warehouse until stock is confirmed;
    reservations move with it (released here, reserved there as far as it has stock)."""
    order = _locked(order)
    if not actor.has_perm("fulfillment.change_allocation"):
        raise OrderPermissionDenied()
    if order.status != OrderStatus.CONFIRMED:
        raise FulfillmentError(MSG_STOCK_ALREADY_CONFIRMED, code="wrong_state")
    fulfillment = _ensure_fulfillment(order, actor=actor)
    if fulfillment.is_stopped:
        raise FulfillmentError(MSG_STOPPED, code="stopped")
    old = fulfillment.warehouse
    if old == warehouse:
        return fulfillment
    lines = _lines_in_lock_order(fulfillment)
    if old is not None:
        reason = _("Order %(order)s moved to %(warehouse)s") % {
            "order": order,
            "warehouse": warehouse,
        }
        for fline in lines:
            _release_line(fline, warehouse=old, actor=actor, order=order, reason=reason)
    fulfillment.warehouse = warehouse
    fulfillment.responsible = warehouse.manager
    fulfillment.save(update_fields=["warehouse", "responsible"])
    for fline in lines:
        try:
            with transaction.atomic():
                _reserve_line(fline, warehouse=warehouse, actor=actor, order=order)
        except NotEnoughStock:
            fline.refresh_from_db(fields=["reserved"])
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="change_warehouse",
        note=_("Warehouse changed from %(old)s to %(new)s.")
        % {"old": old or "—", "new": warehouse},
    )
    return fulfillment


# --- stock confirmation and negotiation ---------------------------------------------------
def _check_transition(order: Order, name: str, actor: Any) -> None:
    """State first, then permission (403): before any stock is touched."""
    method = getattr(order, name)
    if not can_proceed(method, check_conditions=False):
        raise FulfillmentError(
            MSG_WRONG_ORDER_STATE % {"status": order.get_status_display()}, code="wrong_state"
        )
    if not has_transition_perm(method, actor):
        raise OrderPermissionDenied()


@transaction.atomic
def fulfillment_confirm_stock(
    *,
    actor: Any,
    order: Order,
    line_statuses: dict[int, str],
    deliverable_date: date | None,
    note: str = "",
) -> OrderFulfillment:
    """The warehouse answers per line: in stock / short / to be produced, and the date the
    goods can be delivered (seed 000 step 2). "In stock" lines are reserved now — all or
    nothing: if the stock is not there (another order got it first) nothing is confirmed
    and the warehouse reads why. A deliverable date after the requested date flags the
    order for negotiation and tells the owner. The order moves to preparing and the daily
    preparation check-in starts.
    """
    order = _locked(order)
    _check_transition(order, "confirm_stock", actor)
    fulfillment = _ensure_fulfillment(order, actor=actor)
    if fulfillment.is_stopped:
        raise FulfillmentError(MSG_STOPPED, code="stopped")
    if fulfillment.warehouse is None:
        raise FulfillmentError(MSG_NO_WAREHOUSE, code="no_warehouse")
    if deliverable_date is None:
        raise ValidationError({"deliverable_date": [MSG_DELIVERABLE_DATE_REQUIRED]})
    lines = _lines_in_lock_order(fulfillment)
    if any(line_statuses.get(f.order_line_id) not in StockStatus.values for f in lines):
        raise ValidationError(MSG_LINE_STATUS_REQUIRED)
    reason = _("Order %(order)s: goods to be produced") % {"order": order}
    for fline in lines:
        fline.stock_status = line_statuses[fline.order_line_id]
        if fline.stock_status == StockStatus.IN_STOCK:
            _reserve_line(fline, warehouse=fulfillment.warehouse, actor=actor, order=order)
        elif fline.stock_status == StockStatus.TO_PRODUCE:
            # Made for this order: stock held for it goes back to the others.
            _release_line(
                fline, warehouse=fulfillment.warehouse, actor=actor, order=order, reason=reason
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
    fulfillment.stock_note = note
    fulfillment.stock_confirmed_at = timezone.now()
    fulfillment.stock_confirmed_by = actor
    requested = order.requested_delivery_date
    fulfillment.needs_negotiation = bool(requested and deliverable_date > requested)
    fulfillment.save()
    values = {
        "order": order,
        "status": fulfillment.get_stock_status_display(),
        "date": deliverable_date.isoformat(),
        "requested": requested.isoformat() if requested else "—",
    }
    event_note = _("Stock: %(status)s; deliverable on %(date)s.") % values
    if note:
        event_note = f"{event_note}\n{note}"
    _transition(order, actor=actor, name="confirm_stock", note=event_note)
    sla_clock_start(
        target=order,
        kind=SlaKind.PREPARATION_CHECKIN,
        owner=order.owner,
        working_days=1,
        note=_("Record today's preparation progress."),
    )
    if fulfillment.needs_negotiation:
        _notify(
            [order.owner],
            title=_("Negotiate the delivery date of order %(order)s") % values,
            body=_(
                "The warehouse can deliver on %(date)s, the customer asked for %(requested)s. "
                "Agree with the customer and record the answer."
            )
            % values,
            target=fulfillment,
        )
    return fulfillment


def user_may_record_answer(user: Any, order: Order) -> bool:
    return user.pk == order.owner_id or user.has_perm("orders.approve_order")


@transaction.atomic
def fulfillment_record_answer(
    *, actor: Any, order: Order, answer: str, note: str = ""
) -> OrderFulfillment:
    """The order's owner records what the customer said about the later date. If the
    customer agrees, the deliverable date becomes the promised date (and the delivery
    risk warning moves with it); if the customer insists, the manager is told."""
    order = _locked(order)
    if not user_may_record_answer(actor, order):
        raise OrderPermissionDenied()
    fulfillment = _fulfillment_for(order)
    if fulfillment is None or not fulfillment.needs_negotiation:
        raise FulfillmentError(MSG_NO_NEGOTIATION, code="no_negotiation")
    if answer not in (CustomerAnswer.ACCEPTED, CustomerAnswer.PARTIAL, CustomerAnswer.INSISTS):
        raise ValidationError({"answer": [_("Choose the customer's answer.")]})
    fulfillment.customer_answer = answer
    fulfillment.customer_answer_note = note
    fulfillment.answered_by = actor
    fulfillment.answered_at = timezone.now()
    if answer == CustomerAnswer.ACCEPTED:
        fulfillment.promised_date = fulfillment.deliverable_date
    fulfillment.save()
    label = fulfillment.get_customer_answer_display()
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.CONTACT,
        action="delivery_date_answer",
        note=f"{label}\n{note}".strip(),
    )
    if answer == CustomerAnswer.ACCEPTED:
        _delivery_risk_restart(order, fulfillment)
    elif answer == CustomerAnswer.INSISTS:
        _notify(
            [_sales_manager()],
            title=_("Delay risk: customer insists on the date of order %(order)s")
            % {"order": order},
            body=note,
            target=fulfillment,
        )
    return fulfillment


# --- deadlines: delivery risk and notice ------------------------------------------------------
def _at(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def _start_with_lead(
    *,
    target: Any,
    kind: str,
    owner: Any,
    due_at: datetime,
    lead: timedelta,
    escalate_to: Any = None,
    note: str = "",
) -> SlaClock:
    """A clock due at ``due_at`` whose warning goes out ``lead`` before it.

    The engine warns at a share of the clock's time (SLA_WARN_PERCENT); these two
    deadlines are fixed lead times instead (48 hours, 1 day), so the warning
    moment is set here. The scanner then sends it exactly once.
    """
    now = timezone.now()
    due_at = max(due_at, now)
    clock = sla_clock_start(
        target=target, kind=kind, owner=owner, due_at=due_at, escalate_to=escalate_to, note=note
    )
    warn_at = max(clock.due_at - lead, clock.started_at)
    if clock.warn_at != warn_at and clock.reminded_at is None:
        SlaClock.objects.filter(pk=clock.pk).update(warn_at=warn_at)
        clock.warn_at = warn_at
    return clock


def _delivery_risk_start(order: Order, fulfillment: OrderFulfillment) -> None:
    """48 hours before the promised date, an order not yet shipped warns the account manager
    (clock on the order, escalated to the manager when missed) and the manager (clock on the
    order's fulfillment): two clocks, because each clock warns one person once."""
    promised = fulfillment.promised_date
    if promised is None:
        return
    due = _at(promised, DELIVERY_RISK_TIME)
    note = _("Promised for %(date)s and not shipped yet.") % {"date": promised.isoformat()}
    manager = _sales_manager()
    _start_with_lead(
        target=order,
        kind=SlaKind.DELIVERY_RISK,
        owner=_account_manager(order),
        due_at=due,
        lead=DELIVERY_RISK_LEAD,
        escalate_to=manager,
        note=note,
    )
    if manager is not None:
        _start_with_lead(
            target=fulfillment,
            kind=SlaKind.DELIVERY_RISK,
            owner=manager,
            due_at=due,
            lead=DELIVERY_RISK_LEAD,
            note=note,
        )


def _delivery_risk_stop(order: Order, fulfillment: OrderFulfillment | None, *, met: bool) -> None:
    stop = sla_clock_meet if met else sla_clock_cancel
    stop(target=order, kind=SlaKind.DELIVERY_RISK)
    if fulfillment is not None:
        stop(target=fulfillment, kind=SlaKind.DELIVERY_RISK)


def _delivery_risk_restart(order: Order, fulfillment: OrderFulfillment) -> None:
    _delivery_risk_stop(order, fulfillment, met=False)
    _delivery_risk_start(order, fulfillment)


def _customer_emails(order: Order) -> list[str]:
    """The order's contact at the customer, else the primary contact: whoever has an e-mail."""
    contacts = [c for c in order.customer.contacts.all() if c.email]
    named = [c.email for c in contacts if c.name == order.contact_name]
    if named:
        return named[:1]
    primary = [c.email for c in contacts if c.is_primary]
    return (primary or [c.email for c in contacts])[:1]


@transaction.atomic
def delivery_notices_send(*, now: datetime | None = None) -> int:
    """Complete the delivery notices the deadlines engine has fired.

    The engine warns the account manager the day before the ETA (the clock on the
    shipment, warned once by the scanner). This sends the customer's e-mail for the
    same clocks and meets them — under the clock's row lock, with
    skip_locked, so two workers never send one notice twice. Returns how many.
    """
    now = now or timezone.now()
    clocks = list(
        SlaClock.objects.open()
        .filter(
            kind=SlaKind.DELIVERY_NOTICE,
            content_type=ContentType.objects.get_for_model(Shipment),
            reminded_at__isnull=False,
        )
        .select_for_update(skip_locked=True)
    )
    sent = 0
    for clock in clocks:
        shipment = (
            Shipment.objects.select_related("order__customer")
            .prefetch_related("order__customer__contacts")
            .filter(pk=clock.object_id)
            .first()
        )
        clock.met_at = now
        clock.save(update_fields=["met_at"])
        if shipment is None:
            continue
        emails = _customer_emails(shipment.order)
        if emails:
            subject, body = _delivery_notice_text(shipment)
            transaction.on_commit(lambda s=subject, b=body, to=emails: _send_mail(s, b, to))
        shipment.customer_notified_at = now
        shipment.customer_notified_to = ", ".join(emails)
        shipment.save(update_fields=["customer_notified_at", "customer_notified_to"])
        sent += 1
    return sent


def _delivery_notice_text(shipment: Shipment) -> tuple[str, str]:
    values = {
        "order": shipment.order,
        "company": shipment.order.customer.name,
        "carrier": shipment.carrier,
        "tracking": shipment.tracking_number,
        "eta": shipment.eta.isoformat(),
        "method": shipment.get_method_display(),
    }
    subject = _("Your order %(order)s arrives on %(eta)s") % values
    body = (
        _(
            "Dear %(company)s,\n\nyour order %(order)s is on its way and is expected on %(eta)s.\n"
            "Carrier: %(carrier)s (%(method)s), tracking number %(tracking)s."
        )
        % values
    )
    return subject, body


def _send_mail(subject: str, body: str, to: list[str]) -> None:
    try:
        EmailMessage(subject=subject, body=body, to=to).send()
    except Exception:
        logger.exception("delivery notice e-mail to %s failed", to)


# --- preparation progress, QC, ready -----------------------------------------------------------
PROGRESS_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PREPARING, OrderStatus.READY_TO_SHIP)


def _delay_risk_notify(entry: ProgressEntry, fulfillment: OrderFulfillment | None) -> None:
    order = entry.order
    values = {
        "order": order,
        "stage": entry.get_stage_display(),
        "planned": entry.planned_end.isoformat(),
        "promised": fulfillment.promised_date.isoformat()
        if fulfillment and fulfillment.promised_date
        else "—",
    }
    _notify(
        [_sales_manager(), order.owner],
        title=_("Delay risk on order %(order)s: %(stage)s") % values,
        body=_("Planned finish %(planned)s; promised to the customer for %(promised)s.") % values,
        target=fulfillment or order,
    )
    ProgressEntry.objects.filter(pk=entry.pk).update(risk_notified_at=timezone.now())


def progress_entry_is_risky(entry: ProgressEntry, fulfillment: OrderFulfillment | None) -> bool:
    """A stage running late, or planned to finish after the promised date (issue 7, item 5)."""
    promised = fulfillment.promised_date if fulfillment else None
    after_promise = promised is not None and (entry.actual_end or entry.planned_end) > promised
    return entry.is_late() or after_promise


@transaction.atomic
def progress_entry_add(*, actor: Any, order: Order, entry: ProgressEntry) -> ProgressEntry:
    """Record a row of the follow-up progress table. It meets today's preparation
    check-in and starts the next one; a stage that is late or planned after the
    promised date tells the manager (once per entry)."""
    order = _locked(order)
    if not actor.has_perm("fulfillment.record_progress"):
        raise OrderPermissionDenied()
    if order.status not in PROGRESS_STATUSES:
        raise FulfillmentError(
            MSG_WRONG_ORDER_STATE % {"status": order.get_status_display()}, code="wrong_state"
        )
    fulfillment = _fulfillment_for(order)
    if fulfillment is not None and fulfillment.is_stopped:
        raise FulfillmentError(MSG_STOPPED, code="stopped")
    entry.order = order
    entry.recorded_by = actor
    entry.full_clean()
    entry.save()
    if order.status == OrderStatus.PREPARING:
        sla_clock_meet(target=order, kind=SlaKind.PREPARATION_CHECKIN)
        sla_clock_start(
            target=order,
            kind=SlaKind.PREPARATION_CHECKIN,
            owner=order.owner,
            working_days=1,
            note=_("Record today's preparation progress."),
        )
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="progress",
        note=f"{entry.get_stage_display()}: {entry.note}".strip(": "),
    )
    if progress_entry_is_risky(entry, fulfillment):
        _delay_risk_notify(entry, fulfillment)
    return entry


@transaction.atomic
def progress_delays_scan(*, today: date | None = None) -> int:
    """Stages whose planned finish passed without an actual finish: tell the manager, once
    per entry (the entries are locked with skip_locked, so parallel scans never double)."""
    today = today or timezone.localdate()
    entries = list(
        ProgressEntry.objects.filter(
            actual_end__isnull=True,
            planned_end__lt=today,
            risk_notified_at__isnull=True,
            order__status__in=PROGRESS_STATUSES,
        )
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("order__owner")
    )
    for entry in entries:
        fulfillment = OrderFulfillment.objects.filter(order=entry.order).first()
        _delay_risk_notify(entry, fulfillment)
    return len(entries)


@transaction.atomic
def preparation_save(*, actor: Any, order: Order, form_data: dict[str, Any]) -> ShipmentPreparation:
    """Fill in the shipment preparation form: packing, packages, QC result. Whoever records
    a QC result is its inspector."""
    order = _locked(order)
    if not actor.has_perm("fulfillment.record_progress"):
        raise OrderPermissionDenied()
    if order.status != OrderStatus.PREPARING:
        raise FulfillmentError(
            MSG_WRONG_ORDER_STATE % {"status": order.get_status_display()}, code="wrong_state"
        )
    preparation = ShipmentPreparation.objects.select_for_update().filter(order=order).first()
    if preparation is None:
        preparation = ShipmentPreparation(order=order, prepared_by=actor)
    old_result = preparation.qc_result
    for field, value in form_data.items():
        setattr(preparation, field, value)
    if preparation.qc_result != QcResult.PENDING and (
        preparation.qc_result != old_result or preparation.qc_inspector_id is None
    ):
        preparation.qc_inspector = actor
        preparation.qc_at = timezone.now()
    preparation.full_clean()
    preparation.save()
    if preparation.qc_result != old_result and preparation.qc_result != QcResult.PENDING:
        _event(
            order,
            actor=actor,
            kind=OrderEventKind.NOTE,
            action="qc",
            note=_("QC: %(result)s") % {"result": preparation.get_qc_result_display()},
        )
    return preparation


@transaction.atomic
def fulfillment_mark_ready(*, actor: Any, order: Order) -> Order:
    """Preparation done: only with a complete shipment preparation form and a passed QC.
    Produced or purchased goods are booked into the warehouse and reserved for the order
    here, so the ledger shows where every shipped unit came from. Logistics is told."""
    order = _locked(order)
    _check_transition(order, "ready", actor)
    preparation = ShipmentPreparation.objects.filter(order=order).first()
    if preparation is None or not preparation.is_complete:
        raise FulfillmentError(MSG_QC_NOT_PASSED, code="qc")
    fulfillment = _ensure_fulfillment(order, actor=actor)
    if fulfillment.is_stopped:
        raise FulfillmentError(MSG_STOPPED, code="stopped")
    reason = _("Produced / purchased for order %(order)s") % {"order": order}
    for fline in _lines_in_lock_order(fulfillment):
        missing = fline.quantity - fline.shipped - fline.reserved
        if missing > 0:
            level = stock_level_get(
                warehouse=fulfillment.warehouse, product=fline.order_line.product
            )
            _move(
                level,
                kind=MovementKind.RECEIPT,
                on_hand_delta=missing,
                actor=actor,
                reason=reason,
                order=order,
                order_line=fline.order_line,
            )
            _reserve_line(fline, warehouse=fulfillment.warehouse, actor=actor, order=order)
    _transition(
        order, actor=actor, name="ready", note=_("QC passed; shipment preparation form complete.")
    )
    sla_clock_meet(target=order, kind=SlaKind.PREPARATION_CHECKIN)
    _notify(
        _users_with_role(roles.LOGISTICS),
        title=_("Order %(order)s is ready to ship") % {"order": order},
        target=fulfillment,
    )
    return order


# --- shipments ----------------------------------------------------------------------------------
@transaction.atomic
def shipment_create(
    *,
    actor: Any,
    order: Order,
    quantities: dict[int, Decimal],
    carrier: str,
    method: str,
    tracking_number: str,
    eta: date,
    note: str = "",
) -> Shipment:
    """Ship some or all of what is left (partial shipments). No line ships more than was
    ordered (checked here and by the database). Shipped goods leave the stock (issue).
    When everything has shipped the order moves to shipped and the delivery-risk clocks
    are met. The delivery notice clock starts: the day before the ETA the account manager
    and the customer are told.
    """
    order = _locked(order)
    _check_transition(order, "ship", actor)
    fulfillment = _ensure_fulfillment(order, actor=actor)
    if fulfillment.is_stopped:
        raise FulfillmentError(MSG_STOPPED, code="stopped")
    wanted = {pk: q for pk, q in quantities.items() if q}
    if not wanted or any(q < 0 for q in wanted.values()):
        raise FulfillmentError(MSG_SHIP_NOTHING, code="nothing")
    lines = _lines_in_lock_order(fulfillment)
    by_line = {f.order_line_id: f for f in lines}
    for line_id, quantity in wanted.items():
        fline = by_line.get(line_id)
        if fline is None or quantity > fline.remaining:
            raise FulfillmentError(
                MSG_SHIP_TOO_MUCH
                % {
                    "product": fline.order_line.product if fline else line_id,
                    "remaining": _qty(fline.remaining if fline else ZERO),
                    "quantity": _qty(quantity),
                },
                code="too_much",
            )
    sequence = Shipment.objects.filter(order=order).count() + 1
    shipment = Shipment(
        order=order,
        sequence=sequence,
        warehouse=fulfillment.warehouse,
        carrier=carrier,
        method=method,
        tracking_number=tracking_number,
        eta=eta,
        note=note,
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
        level = stock_level_get(warehouse=fulfillment.warehouse, product=fline.order_line.product)
        _move(
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
    values = {
        "shipment": shipment,
        "carrier": carrier,
        "tracking": tracking_number,
        "eta": eta.isoformat(),
    }
    summary = (
        _("Shipment %(shipment)s: %(carrier)s, tracking number %(tracking)s, ETA %(eta)s.") % values
    )
    if all(f.remaining <= 0 for f in lines):
        _transition(order, actor=actor, name="ship", note=summary)
        _delivery_risk_stop(order, fulfillment, met=True)
    else:
        _event(
            order, actor=actor, kind=OrderEventKind.NOTE, action="partial_shipment", note=summary
        )
    _start_with_lead(
        target=shipment,
        kind=SlaKind.DELIVERY_NOTICE,
        owner=_account_manager(order),
        due_at=_at(eta, DELIVERY_NOTICE_TIME),
        lead=DELIVERY_NOTICE_LEAD,
        note=_("%(carrier)s, tracking number %(tracking)s, arriving %(eta)s.") % values,
    )
    return shipment


@transaction.atomic
def fulfillment_record_delivery(*, actor: Any, order: Order) -> Order:
    """The goods have arrived at the customer (logistics or the account manager)."""
    order = _locked(order)
    _check_transition(order, "deliver", actor)
    return _transition(order, actor=actor, name="deliver")


# --- cancellation -------------------------------------------------------------------------------
@transaction.atomic
def fulfillment_stop(
    *, order: Order, actor: Any = None, reason: str = ""
) -> OrderFulfillment | None:
    """The order was cancelled: every reservation goes back to available stock, the
    deadlines stop, and the warehouse is told to stop preparing (DESIGN.md §4)."""
    order = _locked(order)
    fulfillment = _fulfillment_for(order)
    for kind in (SlaKind.PREPARATION_CHECKIN, SlaKind.DELIVERY_RISK):
        sla_clock_cancel(target=order, kind=kind)
    for shipment in Shipment.objects.filter(order=order):
        sla_clock_cancel(target=shipment, kind=SlaKind.DELIVERY_NOTICE)
    if fulfillment is None:
        return None
    _delivery_risk_stop(order, fulfillment, met=False)
    if fulfillment.is_stopped:
        return fulfillment
    release_reason = _("Order %(order)s cancelled") % {"order": order}
    if fulfillment.warehouse is not None:
        for fline in _lines_in_lock_order(fulfillment):
            _release_line(
                fline,
                warehouse=fulfillment.warehouse,
                actor=actor,
                order=order,
                reason=release_reason,
            )
    fulfillment.stopped_at = timezone.now()
    fulfillment.stop_reason = reason
    fulfillment.save(update_fields=["stopped_at", "stop_reason"])
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.NOTE,
        action="preparation_stopped",
        note=_("Reserved stock released; the warehouse was told to stop."),
    )
    _notify(
        _warehouse_people(fulfillment),
        title=_("Stop preparing order %(order)s: cancelled") % {"order": order},
        body=reason,
        target=fulfillment,
    )
    return fulfillment
