"""Write operations of the orders app: the public functions other code calls.

Every state change is an action of the one engine (docs/architecture.md, "The action
engine"): each service here is a thin ``perform(...)`` of an action declared in
orders/actions/orders.py, which locks, checks the state and the predicate
(orders/predicates/orders.py), runs the effect, the transition and the hooks, and writes
the timeline row — in one transaction. Pages, tasks, the importer and other apps call
these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core import roles
from core.actions import perform
from core.messages import MessageLike
from core.services import notify_users
from orders.exceptions.orders import MSG_DELIVERY_BEFORE_ORDER, MSG_REQUIRED_FOR_SUBMIT
from orders.models import (
    CustomerContactLog,
    Order,
    OrderAttachment,
    OrderChange,
    OrderKind,
    OrderNumberCounter,
    OrderStatus,
    Product,
)

# --- catalog -------------------------------------------------------------------


@transaction.atomic
def product_save(*, actor: User, product: Product) -> Product:
    """Create or update a catalog product; history records ``actor`` as the author.

    ``Product.save`` derives the pinyin initials the entry form's picker searches from the
    name, so a renamed product is found by its new initials at once.
    """
    name = "product.create" if product.pk is None else "product.edit"
    obj = None if product.pk is None else product
    saved: Product = perform(name, actor=actor, obj=obj, product=product)
    return saved


# --- numbering -------------------------------------------------------------------


def order_number_next(*, on: date) -> str:
    """The next ``YYYYMM-NNN`` number of ``on``'s month.

    One counter row per month, incremented by a single upsert: concurrent
    submits queue on that row's lock, so no two get the same serial. The
    increment belongs to the caller's transaction — a failed submit gives its
    serial back, so there are no gaps either.
    """
    period = f"{on.year:04d}{on.month:02d}"
    table = OrderNumberCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (period, last_serial) VALUES (%s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (period) DO UPDATE SET last_serial = {table}.last_serial + 1 "
            "RETURNING last_serial",
            [period],
        )
        (serial,) = cursor.fetchone()
    return str(settings.ORDER_NUMBER_PATTERN).format(year=on.year, month=on.month, serial=serial)


# --- entry -----------------------------------------------------------------------


def order_recalculate_total(*, order: Order) -> Decimal:
    """Store the sum of the line amounts (computed by the database) on the order."""
    total = order.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    Order.objects.filter(pk=order.pk).update(total_amount=total)
    order.total_amount = total
    return total


def order_notify(
    recipients: Iterable[Any], *, title: MessageLike, body: MessageLike = "", order: Order
) -> None:
    """Tell ``recipients`` (in the app, and by e-mail / webhook after commit) about ``order``;
    None and repeats are skipped. For the orders app's effects and the apps above it."""
    notify_users(recipients, title=title, body=body, target=order)


def order_escalation_manager() -> Any:
    """Who an order's missed deadline escalates to: the first active sales manager."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(groups__name=roles.SALES_MANAGER, is_active=True)
        .order_by("pk")
        .first()
    )


def order_submit_problems(order: Order) -> dict[str, list[str]]:
    """The fields an order still lacks before it can be submitted (field -> messages)."""
    problems: dict[str, list[str]] = {}
    required = ["contact_name", "contact_phone", "requested_delivery_date", "payment_terms"]
    if order.kind == OrderKind.GOODS:
        required.append("delivery_address")
    for field in required:
        if not getattr(order, field):
            problems.setdefault(field, []).append(str(MSG_REQUIRED_FOR_SUBMIT))
    if order.requested_delivery_date and order.requested_delivery_date < order.order_date:
        problems.setdefault("requested_delivery_date", []).append(str(MSG_DELIVERY_BEFORE_ORDER))
    return problems


def order_find_duplicate(*, order: Order) -> Order | None:
    """Another recent order of the same customer with exactly the same products, if any."""
    product_ids = sorted(set(order.lines.values_list("product_id", flat=True)))
    if not product_ids:
        return None
    since = timezone.now() - timedelta(days=settings.ORDER_DUPLICATE_WINDOW_DAYS)
    return (
        Order.objects.filter(customer_id=order.customer_id, created_at__gte=since)
        .exclude(pk=order.pk)
        .exclude(status__in=[OrderStatus.DRAFT, OrderStatus.REJECTED, OrderStatus.CANCELLED])
        .annotate(
            n_products=Count("lines__product", distinct=True),
            n_same=Count(
                "lines__product", filter=Q(lines__product_id__in=product_ids), distinct=True
            ),
        )
        .filter(n_products=len(product_ids), n_same=len(product_ids))
        .order_by("-created_at")
        .first()
    )


# --- the steps of an order's life (orders/actions/orders.py declares each) -----------------


def order_save(*, actor: User, order: Order, lines: Any) -> Order:
    """Save an order being entered (draft, returned or needing information) with its lines.

    ``order`` carries the values the entry form set; ``lines`` is a validated inline
    formset of :class:`OrderLine`. The total is recomputed from the saved lines.
    """
    if order.pk is None:
        return perform("order.create", actor=actor, obj=None, order=order, lines=lines)
    return perform("order.edit", actor=actor, obj=order, order=order, lines=lines)


def order_submit(*, actor: User, order: Order, confirm_duplicate: bool = False) -> Order:
    """Send an entered order to preliminary review; it gets its number on first submit."""
    return perform("order.submit", actor=actor, obj=order, confirm_duplicate=confirm_duplicate)


def order_request_info(*, actor: User, order: Order, reason: str) -> Order:
    """The reviewer needs more from the customer: starts the 2-working-hour clarification clock."""
    return perform("order.request_info", actor=actor, obj=order, note=reason)


def order_log_contact(
    *, actor: User, order: Order, channel: str, person: str, result: str
) -> CustomerContactLog:
    """Record a conversation with the customer; it meets the clarification clock."""
    return perform(
        "order.log_contact", actor=actor, obj=order, channel=channel, person=person, result=result
    )


def order_resubmit(*, actor: User, order: Order) -> Order:
    """Back to review after the customer has been contacted."""
    return perform("order.resubmit", actor=actor, obj=order)


def order_reject(*, actor: User, order: Order, reason: str) -> Order:
    return perform("order.reject", actor=actor, obj=order, note=reason)


def order_pass_review(*, actor: User, order: Order, note: str = "") -> Order:
    """The preliminary review passes; the customer must be qualified (licence on file)."""
    return perform("order.pass_review", actor=actor, obj=order, note=note)


def order_attachment_add(*, actor: User, order: Order, upload: Any) -> OrderAttachment:
    return perform("order.attach", actor=actor, obj=order, upload=upload)


def order_approve(*, actor: User, order: Order, note: str = "", release_reason: str = "") -> Order:
    """Sales manager approval: a failing credit check puts the order on credit hold instead
    (the caller sees ``order.credit_hold``) unless ``release_reason`` releases it in the same
    step; large orders or special terms go to the director."""
    return perform(
        "order.approve", actor=actor, obj=order, note=note, release_reason=release_reason
    )


def order_director_approve(*, actor: User, order: Order, note: str = "") -> Order:
    """Final approval of a large order or one with special terms by the sales director."""
    return perform("order.director_approve", actor=actor, obj=order, note=note)


def order_return(*, actor: User, order: Order, reason: str) -> Order:
    """Send the order back to its creator to edit and resubmit; the reason is shown to them."""
    return perform("order.return", actor=actor, obj=order, note=reason)


def order_credit_release(*, actor: User, order: Order, reason: str) -> Order:
    """Only a sales manager releases a credit hold, with a reason on the timeline."""
    return perform("order.credit_release", actor=actor, obj=order, note=reason)


def order_discard(*, actor: User, order: Order) -> Order:
    """Withdraw a draft at once (its creator or owner): cancelled, without a manager."""
    return perform("order.discard", actor=actor, obj=order)


def order_cancel_request(*, actor: User, order: Order, reason: str) -> Order:
    """The owner asks to cancel (any state before shipped); a manager decides."""
    return perform("order.cancel_request", actor=actor, obj=order, note=reason)


def order_cancel_approve(*, actor: User, order: Order, note: str = "") -> Order:
    """Cancel the order: the warehouse is told, fulfillment releases its stock (a hook)."""
    return perform("order.cancel_approve", actor=actor, obj=order, note=note)


def order_cancel_decline(*, actor: User, order: Order, note: str) -> Order:
    return perform("order.cancel_decline", actor=actor, obj=order, note=note)


def order_change(*, actor: User, order: Order, payload: dict[str, Any], reason: str) -> OrderChange:
    """Change a confirmed order: at once inside the change window, else a request."""
    return perform("order.change", actor=actor, obj=order, payload=payload, reason=reason)


def order_change_decide(
    *, actor: User, change: OrderChange, approve: bool, note: str = ""
) -> OrderChange:
    """A manager approves (applies) or declines a late change request."""
    return perform("order.change_decide", actor=actor, obj=change, note=note, approve=approve)


def order_complete(*, actor: User, order: Order, note: str = "") -> Order:
    """Complete an order (after-sales decides when: see ``order.complete``)."""
    return perform("order.complete", actor=actor, obj=order, note=note)


def order_archive(*, actor: User, order: Order, note: str = "") -> Order:
    """Archive a completed or cancelled order (the month close); read-only after."""
    return perform("order.archive", actor=actor, obj=order, note=note)


def order_import_state(*, actor: User, order: Order, status: str, note: str = "") -> Order:
    """A historical draft enters its recorded ``status`` (one order; the spreadsheet
    importer uses the batch form, ``orders.actions.orders.import_steps``)."""
    return perform("order.import", actor=actor, obj=order, note=note, status=status)


# --- the order list's status counters (OrderStatusCount, kept by triggers) ------------
_COMPACT_LOCK = 0x6F72_6463  # pg advisory lock id: one compaction at a time


def order_status_counts_compact() -> int:
    """Replace the counter rows by one row per status; returns how many rows it folded.

    One statement: the rows it deletes are summed and written back in the same snapshot,
    so rows that concurrent transactions append meanwhile are left for the next run and
    the sums never change. The advisory lock keeps two schedulers from working at once.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            """
            WITH folded AS (DELETE FROM orders_orderstatuscount RETURNING status, n),
                 sums AS (INSERT INTO orders_orderstatuscount (status, n)
                          SELECT status, sum(n) FROM folded GROUP BY status HAVING sum(n) <> 0
                          RETURNING 1)
            SELECT (SELECT count(*) FROM folded), (SELECT count(*) FROM sums)
            """
        )
        folded, _kept = cursor.fetchone()
    return folded


def order_status_counts_rebuild() -> None:
    """Count again from the orders (after a load that bypassed the triggers)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE orders_order IN SHARE MODE")
        cursor.execute("DELETE FROM orders_orderstatuscount")
        cursor.execute(
            "INSERT INTO orders_orderstatuscount (status, n) "
            "SELECT status, count(*) FROM orders_order GROUP BY status"
        )
