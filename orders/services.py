"""Write operations of the orders app: catalog, order entry and the preliminary review.

Views and tasks call these; each runs in one transaction, locks what it changes,
checks the user's permission, runs the ``django_fsm`` transition, writes the
timeline and starts or stops deadline clocks (STYLE.md, habits 2–3).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from core import roles
from core.models import SlaKind
from core.services import notification_create, sla_clock_meet, sla_clock_start
from core.uploads import DOCUMENT_KINDS, safe_original_name, validate_upload
from orders.exceptions import (
    MSG_CUSTOMER_NOT_QUALIFIED,
    MSG_DELIVERY_BEFORE_ORDER,
    MSG_DUPLICATE_ORDER,
    MSG_NO_CONTACT_LOGGED,
    MSG_NO_LINES,
    MSG_NOT_EDITABLE,
    MSG_REASON_REQUIRED,
    MSG_REQUIRED_FOR_SUBMIT,
    MSG_WRONG_STATE,
    DuplicateOrderWarning,
    OrderError,
    OrderPermissionDenied,
)
from orders.models import (
    EDITABLE_STATUSES,
    CustomerContactLog,
    Order,
    OrderAttachment,
    OrderEvent,
    OrderEventKind,
    OrderKind,
    OrderNumberCounter,
    OrderStatus,
    Product,
)

# --- catalog -------------------------------------------------------------------


@transaction.atomic
def product_save(*, actor: Any, product: Product) -> Product:
    """Create or update a catalog product; history records ``actor`` as the author."""
    product._history_user = actor  # type: ignore[attr-defined]
    product.code = product.code.strip().upper()
    product.full_clean()
    product.save()
    return product


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
    return settings.ORDER_NUMBER_PATTERN.format(year=on.year, month=on.month, serial=serial)


# --- entry -----------------------------------------------------------------------


def order_recalculate_total(*, order: Order) -> Decimal:
    """Store the sum of the line amounts (computed by the database) on the order."""
    total = order.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    Order.objects.filter(pk=order.pk).update(total_amount=total)
    order.total_amount = total
    return total


def _event(
    order: Order,
    *,
    actor: Any,
    kind: str,
    action: str = "",
    from_status: str = "",
    note: str = "",
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=order.status if kind == OrderEventKind.TRANSITION else "",
        actor=actor,
        note=note,
    )


@transaction.atomic
def order_save(*, actor: Any, order: Order, lines: Any) -> Order:
    """Save an order being entered (draft, returned or needing information) with its lines.

    ``lines`` is a validated inline formset of :class:`OrderLine`. The total is
    recomputed from the saved lines in the same transaction.
    """
    creating = order.pk is None
    if creating:
        order.created_by = actor
    else:
        stored = Order.objects.select_for_update().get(pk=order.pk)
        if stored.status not in EDITABLE_STATUSES:
            raise OrderError(MSG_NOT_EDITABLE, code="not_editable")
        if not stored.user_may_submit(actor):
            raise OrderPermissionDenied()
    if order.owner_id is None:
        order.owner = actor if creating else order.created_by
    # The protected FSM field cannot be re-assigned by clean_fields; transitions own it.
    order.full_clean(exclude=["status"])
    order.save()
    lines.instance = order
    saved = lines.save(commit=False)
    for line in lines.deleted_objects:
        line.delete()
    for position, line in enumerate(saved, start=1):
        line.order = order
        line.position = line.position or position
        line.save()
    order_recalculate_total(order=order)
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.CREATED if creating else OrderEventKind.EDIT,
        note="" if creating else _("Order details edited."),
    )
    return order


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


def _locked(order: Order) -> Order:
    """Re-read ``order`` under a row lock: the transition below sees the latest state."""
    return Order.objects.select_for_update().select_related("customer").get(pk=order.pk)


def _transition(order: Order, *, actor: Any, name: str, note: str = "") -> Order:
    method = getattr(order, name)
    # State first: django_fsm reports "no permission" for a move that does not exist.
    if not can_proceed(method, check_conditions=False):
        raise OrderError(
            MSG_WRONG_STATE % {"status": order.get_status_display()}, code="wrong_state"
        )
    if not has_transition_perm(method, actor):
        raise OrderPermissionDenied()
    from_status = order.status
    method()
    order.save()
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.TRANSITION,
        action=name,
        from_status=from_status,
        note=note,
    )
    return order


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [MSG_REASON_REQUIRED]})
    return reason


@transaction.atomic
def order_submit(*, actor: Any, order: Order, confirm_duplicate: bool = False) -> Order:
    """Send an entered order to preliminary review; it gets its number on first submit."""
    order = _locked(order)
    if not order.user_may_submit(actor):
        raise OrderPermissionDenied()
    if not order.has_lines():
        raise OrderError(MSG_NO_LINES, code="no_lines")
    problems = order_submit_problems(order)
    if problems:
        raise ValidationError(problems)
    if not confirm_duplicate:
        duplicate = order_find_duplicate(order=order)
        if duplicate is not None:
            raise DuplicateOrderWarning(
                MSG_DUPLICATE_ORDER
                % {
                    "customer": order.customer.name,
                    "number": duplicate.number or duplicate.pk,
                    "date": duplicate.order_date.isoformat(),
                },
                duplicate_pk=duplicate.pk,
            )
    if not order.number:
        order.number = order_number_next(on=timezone.localdate())
    note = _("Confirmed not a duplicate.") if confirm_duplicate else ""
    return _transition(order, actor=actor, name="submit", note=note)


def _escalation_manager() -> Any:
    user_model = get_user_model()
    return (
        user_model.objects.filter(groups__name=roles.SALES_MANAGER, is_active=True)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def order_request_info(*, actor: Any, order: Order, reason: str) -> Order:
    """The reviewer needs more from the customer: starts the 2-working-hour clarification clock."""
    reason = _require_reason(reason)
    order = _transition(_locked(order), actor=actor, name="request_info", note=reason)
    sla_clock_start(
        target=order,
        kind=SlaKind.CLARIFICATION,
        owner=order.created_by,
        escalate_to=_escalation_manager(),
        working_hours=settings.ORDER_CLARIFICATION_WORKING_HOURS,
        note=reason,
    )
    notification_create(
        recipient=order.created_by,
        title=_("Order %(number)s needs information") % {"number": order.number},
        body=reason,
        target=order,
    )
    return order


@transaction.atomic
def order_log_contact(
    *, actor: Any, order: Order, channel: str, person: str, result: str
) -> CustomerContactLog:
    """Record a conversation with the customer; it meets the clarification clock."""
    order = _locked(order)
    if not (order.user_may_submit(actor) or order.user_may_review(actor)):
        raise OrderPermissionDenied()
    log = CustomerContactLog(
        order=order, channel=channel, person=person.strip(), result=result.strip(), logged_by=actor
    )
    log.full_clean()
    log.save()
    sla_clock_meet(target=order, kind=SlaKind.CLARIFICATION, at=log.created_at)
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.CONTACT,
        note=f"{log.get_channel_display()} · {log.person}：{log.result}",
    )
    return log


@transaction.atomic
def order_resubmit(*, actor: Any, order: Order) -> Order:
    """Back to review after the customer has been contacted."""
    order = _locked(order)
    if order.status == OrderStatus.NEEDS_INFO and not order.has_contact_since_info_request():
        if not order.user_may_submit(actor):
            raise OrderPermissionDenied()
        raise OrderError(MSG_NO_CONTACT_LOGGED, code="no_contact")
    return _transition(order, actor=actor, name="resubmit")


@transaction.atomic
def order_reject(*, actor: Any, order: Order, reason: str) -> Order:
    reason = _require_reason(reason)
    order = _locked(order)
    order.reviewed_by, order.reviewed_at, order.review_note = actor, timezone.now(), reason
    order = _transition(order, actor=actor, name="reject", note=reason)
    notification_create(
        recipient=order.created_by,
        title=_("Order %(number)s was rejected") % {"number": order.number},
        body=reason,
        target=order,
    )
    return order


@transaction.atomic
def order_pass_review(*, actor: Any, order: Order, note: str = "") -> Order:
    """The preliminary review passes; the customer must be qualified (licence on file)."""
    order = _locked(order)
    if not order.user_may_review(actor):
        raise OrderPermissionDenied()
    if order.status == OrderStatus.PENDING_REVIEW and not order.customer_is_qualified():
        raise OrderError(MSG_CUSTOMER_NOT_QUALIFIED, code="not_qualified")
    order.reviewed_by, order.reviewed_at, order.review_note = actor, timezone.now(), note.strip()
    return _transition(order, actor=actor, name="pass_review", note=note.strip())


@transaction.atomic
def order_attachment_add(*, actor: Any, order: Order, upload: Any) -> OrderAttachment:
    if not (
        order.user_may_submit(actor)
        or order.user_may_review(actor)
        or actor.has_perm("orders.change_order")
    ):
        raise OrderPermissionDenied()
    validate_upload(upload, kinds=DOCUMENT_KINDS)
    attachment = OrderAttachment(
        order=order,
        original_name=safe_original_name(upload.name),
        size=upload.size,
        uploaded_by=actor,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    _event(order, actor=actor, kind=OrderEventKind.ATTACHMENT, note=attachment.original_name)
    return attachment
