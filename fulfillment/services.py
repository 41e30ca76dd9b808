"""Write operations of fulfillment: stock and its ledger, allocation, stock confirmation,
negotiation, preparation progress, QC, shipments, delivery notices and cancellation.

Every write is an action of the one engine (core.actions), declared with its state,
its predicate and its effect in fulfillment/actions.py: the functions at the end of
this module are the ways in (pages, tasks, demo data, benchmarks) and only call
``perform``. The engine locks the order first, refuses an archived one, checks the
state and the permission, and writes the order's timeline; the effects here lock stock
rows in product order (so two confirmations never deadlock) and start or stop deadline
clocks. What goes to a customer leaves through the outbox (core.outbox).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from core import roles
from core.actions import perform
from core.errors import DomainError
from core.messages import MessageLike, Msg, date_param
from core.models import SlaClock, SlaKind
from core.roles import users_with_role
from core.services import notify_users, sla_clock_cancel, sla_clock_meet, sla_clock_start
from fulfillment.exceptions import (
    MSG_NO_NEGOTIATION,
    MSG_NOT_ENOUGH_STOCK,
    FulfillmentError,
    NotEnoughStock,
)
from fulfillment.models import (
    ZERO,
    FulfillmentLine,
    MovementKind,
    OrderFulfillment,
    ProgressEntry,
    PurchaseAlert,
    Shipment,
    ShipmentPreparation,
    ShippingMethod,
    Stage,
    StockLevel,
    StockMovement,
    Warehouse,
)
from fulfillment.selectors import (
    account_manager_choice,
    allocation_rule_for,
    order_account_manager,
)
from orders.models import Order, OrderStatus, Product

logger = logging.getLogger(__name__)

# The delivery-risk warning goes out this long before the promised date.
DELIVERY_RISK_LEAD = timedelta(hours=48)
# Apps above may ask for an earlier warning for an order (insights: a high delivery-risk
# score); the longest lead wins. A registry, so fulfillment imports nothing above it.
_delivery_risk_leads: list[Any] = []


def register_delivery_risk_lead(source: Any) -> None:
    """``source(order)`` → a longer lead (``timedelta``) for that order, or None."""
    if source not in _delivery_risk_leads:
        _delivery_risk_leads.append(source)


def delivery_risk_lead(order: Order) -> timedelta:
    leads = [DELIVERY_RISK_LEAD]
    for source in _delivery_risk_leads:
        lead = source(order)
        if lead is not None:
            leads.append(lead)
    return max(leads)


# The delivery notice goes out this long before the ETA (docs/workflow.md §4, "shipped").
DELIVERY_NOTICE_LEAD = timedelta(days=1)
# Promised and arrival dates are days; the clocks need a moment on that day.
DELIVERY_RISK_TIME = time(18, 0)  # end of the working day of the promised date
DELIVERY_NOTICE_TIME = time(9, 0)  # the morning of the ETA
# The outbox message of a shipment's delivery notice: one per shipment, ever.
DELIVERY_NOTICE_KIND = "fulfillment.delivery_notice"

PROGRESS_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PREPARING, OrderStatus.READY_TO_SHIP)


def delivery_notice_key(shipment: Shipment | int) -> str:
    return f"delivery-notice:{getattr(shipment, 'pk', shipment)}"


# --- people ---------------------------------------------------------------------------
_users_with_role = users_with_role


def sales_manager() -> Any:
    managers = _users_with_role(roles.SALES_MANAGER)
    return managers[0] if managers else None


def account_manager(order: Order) -> Any:
    """The order's named account manager (recorded at confirmation; fulfillment/selectors.py)."""
    return order_account_manager(order)


def warehouse_people(fulfillment: OrderFulfillment | None) -> list[Any]:
    """Who hears about an order's warehouse work: its responsible person, else the manager of
    its warehouse, else everybody in the warehouse role."""
    if fulfillment is not None:
        if fulfillment.responsible_id:
            return [fulfillment.responsible]
        warehouse = fulfillment.warehouse
        if warehouse is not None and warehouse.manager_id:
            return [warehouse.manager]
    return _users_with_role(roles.WAREHOUSE)


def notify(
    recipients: list[Any],
    *,
    title: MessageLike,
    body: MessageLike = "",
    target: Any = None,
    url: str = "",
) -> None:
    """Tell ``recipients`` about ``target`` (``url``: its page when the target has none)."""
    notify_users(recipients, title=title, body=body, target=target, url=url)


# --- stock and the ledger -------------------------------------------------------------
def stock_level_get(*, warehouse: Warehouse, product: Product) -> StockLevel:
    """The stock row of ``product`` in ``warehouse``, created empty on first use."""
    level, _created = StockLevel.objects.get_or_create(warehouse=warehouse, product=product)
    return level


def stock_move(
    level: StockLevel,
    *,
    kind: str,
    on_hand_delta: Decimal = ZERO,
    reserved_delta: Decimal = ZERO,
    actor: User | None = None,
    reason: str,
    order: Order | None = None,
    order_line: Any = None,
) -> StockMovement:
    """Apply one change to a stock level and write its ledger row (inside an action).

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
                "available": qty(level.available),
                "needed": qty(needed if needed > 0 else -on_hand_delta),
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
    _check_safety_stock(level, actor=actor, available_delta=on_hand_delta - reserved_delta)
    return movement


def qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _check_safety_stock(level: StockLevel, *, actor: User | None, available_delta: Decimal) -> None:
    """Raise (or resolve) the level's purchase alert when the movement crossed the safety
    stock — a nested action, in the movement's transaction."""
    below = level.safety_stock > 0 and level.available < level.safety_stock
    if not below and available_delta <= 0:
        # Less available and still at or above the safety stock: nothing to raise, and an
        # open alert cannot have been resolved by taking stock away (no query per line).
        return
    open_alert = PurchaseAlert.objects.filter(stock=level, resolved_at__isnull=True).exists()
    if below != open_alert:
        perform("fulfillment.purchase_alert", actor=actor, obj=level)


def purchase_alert_update(level: StockLevel) -> PurchaseAlert | None:
    """Raise a purchase alert when available stock is below safety stock, once.

    The alert stays open (and nobody is told again) until available stock is
    back at or above safety stock; then it is resolved and may be raised anew.
    """
    if not (level.safety_stock > 0 and level.available < level.safety_stock):
        PurchaseAlert.objects.filter(stock=level, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        return None
    if PurchaseAlert.objects.filter(stock=level, resolved_at__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            alert = PurchaseAlert.objects.create(
                stock=level, available=level.available, safety_stock=level.safety_stock
            )
    except IntegrityError:
        return None  # raised by a concurrent movement first: it notified
    values = {
        "product": str(level.product),
        "warehouse": str(level.warehouse),
        "available": qty(level.available),
        "safety": qty(level.safety_stock),
    }
    recipients = [level.warehouse.manager] if level.warehouse.manager_id else []
    # The alert has no page of its own: the stock list, filtered to this row.
    stock_url = (
        reverse("fulfillment:stock")
        + "?"
        + urlencode({"warehouse": level.warehouse.code, "q": level.product.code})
    )
    notify(
        recipients or _users_with_role(roles.WAREHOUSE),
        title=Msg(_l("Purchase alert: %(product)s in %(warehouse)s"), **values),
        body=Msg(_l("Available %(available)s is below the safety stock of %(safety)s."), **values),
        target=alert,
        url=stock_url,
    )
    logger.info("purchase alert %s raised", alert.pk)
    return alert


def line_reserve(
    fline: FulfillmentLine, *, warehouse: Warehouse, actor: User, order: Order
) -> None:
    """Reserve what the line still needs, all or nothing (raises NotEnoughStock)."""
    needed = fline.quantity - fline.shipped - fline.reserved
    if needed <= 0:
        return
    level = stock_level_get(warehouse=warehouse, product=fline.order_line.product)
    stock_move(
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


def line_release(
    fline: FulfillmentLine, *, warehouse: Warehouse, actor: User, order: Order, reason: str
) -> None:
    if fline.reserved <= 0:
        return
    level = stock_level_get(warehouse=warehouse, product=fline.order_line.product)
    stock_move(
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


def lines_locked(fulfillment: OrderFulfillment) -> list[FulfillmentLine]:
    # Stock rows are locked in product order by every action: no two
    # transactions wait for each other's rows in opposite orders (no deadlock).
    return list(
        FulfillmentLine.objects.select_for_update(of=("self",))
        .filter(fulfillment=fulfillment)
        .select_related("order_line__product")
        .order_by("order_line__product_id", "pk")
    )


# --- allocation -----------------------------------------------------------------------
def fulfillment_locked(order: Order) -> OrderFulfillment | None:
    return (
        OrderFulfillment.objects.select_for_update(of=("self",))
        .select_related("warehouse", "responsible", "warehouse__manager")
        .filter(order=order)
        .first()
    )


def fulfillment_create(order: Order) -> OrderFulfillment:
    """The order's fulfillment and its lines, with the warehouse the allocation rules pick
    and the named account manager (docs/workflow.md §2), recorded with why it is them."""
    rule = allocation_rule_for(order)
    warehouse = rule.warehouse if rule else None
    manager = account_manager_choice(order, rule)
    fulfillment = OrderFulfillment.objects.create(
        order=order,
        warehouse=warehouse,
        responsible=(rule.responsible if rule and rule.responsible_id else None)
        or (warehouse.manager if warehouse else None),
        rule=rule,
        account_manager=manager.user,
        account_manager_source=manager.source,
        promised_date=order.requested_delivery_date,
    )
    FulfillmentLine.objects.bulk_create(
        FulfillmentLine(fulfillment=fulfillment, order_line=line, quantity=line.quantity)
        for line in order.lines.all()
    )
    return fulfillment


def fulfillment_ensure(order: Order) -> OrderFulfillment:
    """The order's fulfillment (locked); created for an order allocation has not reached
    (e.g. confirmed before the warehouses existed)."""
    fulfillment = fulfillment_locked(order)
    if fulfillment is None:
        fulfillment = fulfillment_create(order)
        delivery_risk_start(order, fulfillment)
    return fulfillment


# --- deadlines: delivery risk and notice ------------------------------------------------------
def at(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def start_with_lead(
    *,
    target: Any,
    kind: str,
    owner: Any,
    due_at: datetime,
    lead: timedelta,
    escalate_to: Any = None,
    note: MessageLike = "",
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


def delivery_risk_start(order: Order, fulfillment: OrderFulfillment) -> None:
    """48 hours before the promised date, an order not yet shipped warns the account manager
    (clock on the order, escalated to the manager when missed) and the manager (clock on the
    order's fulfillment): two clocks, because each clock warns one person once."""
    promised = fulfillment.promised_date
    if promised is None:
        return
    due = at(promised, DELIVERY_RISK_TIME)
    note = Msg(_l("Promised for %(date)s and not shipped yet."), date=date_param(promised))
    manager = sales_manager()
    lead = delivery_risk_lead(order)
    start_with_lead(
        target=order,
        kind=SlaKind.DELIVERY_RISK,
        owner=account_manager(order),
        due_at=due,
        lead=lead,
        escalate_to=manager,
        note=note,
    )
    if manager is not None:
        start_with_lead(
            target=fulfillment,
            kind=SlaKind.DELIVERY_RISK,
            owner=manager,
            due_at=due,
            lead=lead,
            note=note,
        )


def delivery_risk_stop(order: Order, fulfillment: OrderFulfillment | None, *, met: bool) -> None:
    stop = sla_clock_meet if met else sla_clock_cancel
    stop(target=order, kind=SlaKind.DELIVERY_RISK)
    if fulfillment is not None:
        stop(target=fulfillment, kind=SlaKind.DELIVERY_RISK)


def delivery_risk_restart(order: Order, fulfillment: OrderFulfillment) -> None:
    delivery_risk_stop(order, fulfillment, met=False)
    delivery_risk_start(order, fulfillment)


def customer_emails(order: Order) -> list[str]:
    """The order's contact at the customer, else the primary contact: whoever has an e-mail."""
    contacts = [c for c in order.customer.contacts.all() if c.email]
    named = [c.email for c in contacts if c.name == order.contact_name]
    if named:
        return named[:1]
    primary = [c.email for c in contacts if c.is_primary]
    return (primary or [c.email for c in contacts])[:1]


def delivery_notice_messages(shipment: Shipment) -> tuple[Msg, Msg]:
    """The customer's delivery notice (subject, body) as messages: written in the customer's
    language when it is sent, not in the language of whoever shipped."""
    values: dict[str, Any] = {
        "order": str(shipment.order),
        "company": shipment.order.customer.name,
        "carrier": shipment.carrier,
        "tracking": shipment.tracking_number,
        "eta": date_param(shipment.eta),
        "method": ShippingMethod(shipment.method),
    }
    subject = Msg(_l("Your order %(order)s arrives on %(eta)s"), **values)
    body = Msg(
        _l(
            "Dear %(company)s,\n\nyour order %(order)s is on its way and is expected on %(eta)s.\n"
            "Carrier: %(carrier)s (%(method)s), tracking number %(tracking)s."
        ),
        **values,
    )
    return subject, body


def delivery_notice_text(shipment: Shipment, language: str | None = None) -> tuple[str, str]:
    """The customer's delivery notice (subject, body) in ``language`` (None: the active one)."""
    subject, body = delivery_notice_messages(shipment)
    return subject.render(language), body.render(language)


# --- preparation progress ---------------------------------------------------------------
def delay_risk_notify(entry: ProgressEntry, fulfillment: OrderFulfillment | None) -> None:
    order = entry.order
    values: dict[str, Any] = {
        "order": str(order),
        "stage": Stage(entry.stage),
        "planned": date_param(entry.planned_end),
        "promised": date_param(fulfillment.promised_date)
        if fulfillment and fulfillment.promised_date
        else "—",
    }
    notify(
        [sales_manager(), order.owner],
        title=Msg(_l("Delay risk on order %(order)s: %(stage)s"), **values),
        body=Msg(
            _l("Planned finish %(planned)s; promised to the customer for %(promised)s."), **values
        ),
        target=fulfillment or order,
    )
    ProgressEntry.objects.filter(pk=entry.pk).update(risk_notified_at=timezone.now())


def progress_entry_is_risky(entry: ProgressEntry, fulfillment: OrderFulfillment | None) -> bool:
    """A stage running late, or planned to finish after the promised date."""
    promised = fulfillment.promised_date if fulfillment else None
    after_promise = promised is not None and (entry.actual_end or entry.planned_end) > promised
    return entry.is_late() or after_promise


# --- the ways in: each one action of the engine (fulfillment/actions.py) -----------------
def stock_receive(
    *, actor: User, warehouse: Warehouse, product: Product, quantity: Decimal, reason: str
) -> StockMovement:
    """Goods arrive in ``warehouse`` (purchase, production output, return)."""
    return perform(
        "fulfillment.receive_stock",
        actor=actor,
        obj=None,
        warehouse=warehouse,
        product=product,
        quantity=quantity,
        reason=reason,
    )


def stock_adjust(
    *, actor: User, stock: StockLevel, on_hand_delta: Decimal, reason: str
) -> StockMovement:
    """Correct the counted quantity (stocktaking); never below what is reserved."""
    return perform(
        "fulfillment.adjust_stock",
        actor=actor,
        obj=stock,
        on_hand_delta=on_hand_delta,
        reason=reason,
    )


def fulfillment_allocate(*, order: Order, actor: User | None = None) -> OrderFulfillment | None:
    """Allocate a confirmed goods order (see ``fulfillment.allocate``); the approval's hook
    does this in the approval's transaction, this is the way in for orders that were
    confirmed before the warehouses existed (demo data, imports)."""
    result = perform("fulfillment.allocate", actor=actor, obj=order)
    return result if isinstance(result, OrderFulfillment) else None


def fulfillment_change_warehouse(
    *, actor: User, order: Order, warehouse: Warehouse
) -> OrderFulfillment:
    return perform("fulfillment.change_warehouse", actor=actor, obj=order, warehouse=warehouse)


def fulfillment_confirm_stock(
    *,
    actor: User,
    order: Order,
    line_statuses: dict[int, str],
    deliverable_date: date | None,
    note: str = "",
) -> OrderFulfillment:
    return perform(
        "fulfillment.confirm_stock",
        actor=actor,
        obj=order,
        note=note,
        line_statuses=line_statuses,
        deliverable_date=deliverable_date,
    )


def service_schedule(*, actor: User, order: Order, note: str = "") -> Order:
    return perform("fulfillment.schedule_service", actor=actor, obj=order, note=note)


def fulfillment_record_answer(
    *, actor: User, order: Order, answer: str, note: str = ""
) -> OrderFulfillment:
    fulfillment = OrderFulfillment.objects.filter(order=order).first()
    if fulfillment is None:
        raise FulfillmentError(MSG_NO_NEGOTIATION, code="no_negotiation")
    return perform(
        "fulfillment.record_answer", actor=actor, obj=fulfillment, note=note, answer=answer
    )


def progress_entry_add(*, actor: User, order: Order, entry: ProgressEntry) -> ProgressEntry:
    return perform("fulfillment.record_progress", actor=actor, obj=order, entry=entry)


def preparation_save(
    *, actor: User, order: Order, form_data: dict[str, Any]
) -> ShipmentPreparation:
    return perform("fulfillment.save_preparation", actor=actor, obj=order, form_data=form_data)


def fulfillment_mark_ready(*, actor: User, order: Order) -> Order:
    return perform("fulfillment.ready", actor=actor, obj=order)


def shipment_create(
    *,
    actor: User,
    order: Order,
    quantities: dict[int, Decimal],
    carrier: str,
    method: str,
    tracking_number: str,
    eta: date,
    note: str = "",
) -> Shipment:
    return perform(
        "fulfillment.dispatch",
        actor=actor,
        obj=order,
        quantities=quantities,
        carrier=carrier,
        method=method,
        tracking_number=tracking_number,
        eta=eta,
        shipment_note=note,
    )


def fulfillment_record_delivery(*, actor: User, order: Order) -> Order:
    return perform("fulfillment.deliver", actor=actor, obj=order)


# --- the deadline scans (Celery beat: fulfillment.scan_deadlines) ------------------------
def delivery_notices_send(*, now: datetime | None = None) -> int:
    """Complete the delivery notices the deadlines engine has fired.

    The engine warns the account manager the day before the ETA (the clock on the
    shipment, warned once by core's scan). For each such clock one action
    (``fulfillment.delivery_notice``) meets it and puts the customer's e-mail into
    the outbox, keyed by the shipment: two scans at once, or one run again, queue it
    once. Returns how many notices were completed now.
    """
    clock_rows = list(
        SlaClock.objects.open()
        .filter(
            kind=SlaKind.DELIVERY_NOTICE,
            content_type=ContentType.objects.get_for_model(Shipment),
            reminded_at__isnull=False,
        )
        .values_list("pk", "object_id")
    )
    shipments = Shipment.objects.in_bulk([object_id for _pk, object_id in clock_rows])
    done = 0
    for clock_pk, object_id in clock_rows:
        shipment = shipments.get(object_id)
        if shipment is None:
            continue
        try:
            notice = perform(
                "fulfillment.delivery_notice", actor=None, obj=shipment, clock=clock_pk, now=now
            )
        except DomainError as exc:
            logger.warning("delivery notice of shipment %s refused: %s", shipment.pk, exc)
            continue
        if notice is True:
            done += 1
    return done


def progress_delays_scan(*, today: date | None = None) -> int:
    """Stages whose planned finish passed without an actual finish: tell the manager, once
    per entry (the action re-reads the entry under the order's lock, so parallel scans
    never double). Returns how many were reported now."""
    today = today or timezone.localdate()
    entries = list(
        ProgressEntry.objects.filter(
            actual_end__isnull=True,
            planned_end__lt=today,
            risk_notified_at__isnull=True,
            order__status__in=PROGRESS_STATUSES,
        ).only("pk", "order_id")
    )
    reported = 0
    for entry in entries:
        try:
            report = perform("fulfillment.report_delay", actor=None, obj=entry, today=today)
        except DomainError as exc:
            logger.warning("delay report of progress entry %s refused: %s", entry.pk, exc)
            continue
        if report is True:
            reported += 1
    return reported
