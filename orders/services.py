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
from core.roles import users_with_role
from core.services import (
    notification_create,
    notify_users,
    sla_clock_cancel,
    sla_clock_meet,
    sla_clock_start,
)
from core.uploads import DOCUMENT_KINDS, safe_original_name, validate_upload
from orders.approval import approval_hints, order_credit_status
from orders.exceptions import (
    MSG_CANCEL_ALREADY_REQUESTED,
    MSG_CANNOT_CANCEL,
    MSG_CHANGE_DECIDED,
    MSG_CHANGE_PENDING,
    MSG_CUSTOMER_NOT_QUALIFIED,
    MSG_DELIVERY_BEFORE_ORDER,
    MSG_DUPLICATE_ORDER,
    MSG_LINES_ONLY_WHEN_CONFIRMED,
    MSG_NO_CANCEL_REQUEST,
    MSG_NO_CONTACT_LOGGED,
    MSG_NO_LINES,
    MSG_NOT_CHANGEABLE,
    MSG_NOT_EDITABLE,
    MSG_NOT_ON_HOLD,
    MSG_NOTHING_CHANGED,
    MSG_ON_CREDIT_HOLD,
    MSG_REASON_REQUIRED,
    MSG_REQUIRED_FOR_SUBMIT,
    MSG_WRONG_STATE,
    DuplicateOrderWarning,
    OrderError,
    OrderPermissionDenied,
)
from orders.models import (
    CANCELLABLE_STATUSES,
    EDITABLE_STATUSES,
    ApprovalPolicy,
    CustomerContactLog,
    Order,
    OrderAttachment,
    OrderChange,
    OrderChangeStatus,
    OrderEvent,
    OrderEventKind,
    OrderKind,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    Product,
)
from orders.signals import order_cancelled, order_changed, order_confirmed

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


def _transition(order: Order, *, actor: Any, name: str, note: str = "", **kwargs: Any) -> Order:
    method = getattr(order, name)
    # State first: django_fsm reports "no permission" for a move that does not exist.
    if not can_proceed(method, check_conditions=False):
        raise OrderError(
            MSG_WRONG_STATE % {"status": order.get_status_display()}, code="wrong_state"
        )
    if not has_transition_perm(method, actor):
        raise OrderPermissionDenied()
    from_status = order.status
    method(**kwargs)
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


# --- internal approval -------------------------------------------------------------


_users_with_role = users_with_role


def _notify(recipients: list[Any], *, title: str, body: str = "", order: Order) -> None:
    notify_users(recipients, title=title, body=body, target=order)


def _confirmed(order: Order, *, actor: Any) -> None:
    """Side effects of the final approval: warehouse and owner told, fulfillment signalled."""
    order.confirmed_at = timezone.now()
    order.approved_total = order.total_amount
    order.save(update_fields=["confirmed_at", "approved_total", "updated_at"])
    _notify(
        [*_users_with_role(roles.WAREHOUSE), order.owner],
        title=_("Order %(number)s is confirmed: please prepare it") % {"number": order.number},
        body=order.customer.name,
        order=order,
    )
    transaction.on_commit(lambda: order_confirmed.send(sender=Order, order=order, actor=actor))


@transaction.atomic
def order_approve(*, actor: Any, order: Order, note: str = "") -> Order:
    """Sales manager approval (seed 000 step 2).

    The credit check runs first; a failing check puts the order on credit hold
    (kept — the caller sees ``order.credit_hold``) and it is not approved. Orders
    above the director threshold or with special terms go on to the director.
    """
    order = _locked(order)
    if not order.user_may_approve(actor):
        raise OrderPermissionDenied()
    if order.status != OrderStatus.PENDING_APPROVAL:
        raise OrderError(
            MSG_WRONG_STATE % {"status": order.get_status_display()}, code="wrong_state"
        )
    if order.credit_hold:
        raise OrderError(MSG_ON_CREDIT_HOLD, code="credit_hold")
    policy = ApprovalPolicy.current()
    if order.credit_released_by_id is None:
        credit = order_credit_status(order, policy)
        if not credit.passes:
            order.credit_hold = True
            order.credit_hold_reason = "\n".join(credit.reasons())
            order.save(update_fields=["credit_hold", "credit_hold_reason", "updated_at"])
            _event(
                order,
                actor=actor,
                kind=OrderEventKind.NOTE,
                action="credit_hold",
                note=order.credit_hold_reason,
            )
            _notify(
                [order.owner],
                order=order,
                body=order.credit_hold_reason,
                title=_("Order %(number)s is on credit hold") % {"number": order.number},
            )
            return order
    hints = approval_hints(order, policy)
    order.director_reasons = "\n".join(hints.director_reasons)
    order.approved_by, order.approved_at = actor, timezone.now()
    order = _transition(
        order, actor=actor, name="approve", note=note.strip(), needs_director=hints.needs_director
    )
    if order.status == OrderStatus.CONFIRMED:
        _confirmed(order, actor=actor)
    else:
        _notify(
            _users_with_role(roles.SALES_DIRECTOR),
            order=order,
            body=order.director_reasons,
            title=_("Order %(number)s waits for your approval") % {"number": order.number},
        )
    return order


@transaction.atomic
def order_director_approve(*, actor: Any, order: Order, note: str = "") -> Order:
    """Final approval of a large order or one with special terms by the sales director."""
    order = _locked(order)
    order.director_approved_by, order.director_approved_at = actor, timezone.now()
    order = _transition(order, actor=actor, name="director_approve", note=note.strip())
    _confirmed(order, actor=actor)
    return order


@transaction.atomic
def order_return(*, actor: Any, order: Order, reason: str) -> Order:
    """Send the order back to its creator to edit and resubmit; the reason is shown to them."""
    reason = _require_reason(reason)
    order = _locked(order)
    order.return_reason = reason
    order = _transition(order, actor=actor, name="return_to_creator", note=reason)
    _notify(
        [order.created_by],
        order=order,
        body=reason,
        title=_("Order %(number)s was returned to you") % {"number": order.number},
    )
    return order


@transaction.atomic
def order_credit_release(*, actor: Any, order: Order, reason: str) -> Order:
    """Only a sales manager releases a credit hold, with a reason on the timeline."""
    reason = _require_reason(reason)
    order = _locked(order)
    if not actor.has_perm("orders.release_credit_hold") or actor.pk == order.created_by_id:
        raise OrderPermissionDenied()
    if not order.credit_hold:
        raise OrderError(MSG_NOT_ON_HOLD, code="not_on_hold")
    order.credit_hold = False
    order.credit_released_by = actor
    order.save(update_fields=["credit_hold", "credit_released_by", "updated_at"])
    _event(order, actor=actor, kind=OrderEventKind.NOTE, action="credit_release", note=reason)
    return order


# --- cancellation --------------------------------------------------------------------


def _may_request_cancel(order: Order, user: Any) -> bool:
    return (
        user.has_perm("orders.add_order") and user.pk in (order.created_by_id, order.owner_id)
    ) or user.has_perm("orders.approve_cancellation")


@transaction.atomic
def order_cancel_request(*, actor: Any, order: Order, reason: str) -> Order:
    """The owner asks to cancel (any state before shipped); a manager decides."""
    reason = _require_reason(reason)
    order = _locked(order)
    if not _may_request_cancel(order, actor):
        raise OrderPermissionDenied()
    if order.status not in CANCELLABLE_STATUSES:
        raise OrderError(MSG_CANNOT_CANCEL, code="not_cancellable")
    if order.cancel_requested_at is not None:
        raise OrderError(MSG_CANCEL_ALREADY_REQUESTED, code="already_requested")
    order.cancel_requested_at, order.cancel_requested_by = timezone.now(), actor
    order.cancel_reason = reason
    order.save(
        update_fields=["cancel_requested_at", "cancel_requested_by", "cancel_reason", "updated_at"]
    )
    _event(order, actor=actor, kind=OrderEventKind.NOTE, action="cancel_request", note=reason)
    _notify(
        _users_with_role(roles.SALES_MANAGER),
        order=order,
        body=reason,
        title=_("Cancellation of order %(number)s requested") % {"number": order},
    )
    return order


@transaction.atomic
def order_cancel_approve(*, actor: Any, order: Order, note: str = "") -> Order:
    """Cancel the order: stock is released (fulfillment listens) and the warehouse is told."""
    order = _locked(order)
    if order.cancel_requested_at is None:
        raise OrderError(MSG_NO_CANCEL_REQUEST, code="no_request")
    order = _transition(order, actor=actor, name="cancel", note=note.strip() or order.cancel_reason)
    for kind in (SlaKind.CLARIFICATION,):
        sla_clock_cancel(target=order, kind=kind)
    _notify(
        [*_users_with_role(roles.WAREHOUSE), order.owner, order.cancel_requested_by],
        order=order,
        body=order.cancel_reason,
        title=_("Order %(number)s was cancelled: stop preparing it") % {"number": order},
    )
    reason = order.cancel_reason
    transaction.on_commit(
        lambda: order_cancelled.send(sender=Order, order=order, actor=actor, reason=reason)
    )
    return order


@transaction.atomic
def order_cancel_decline(*, actor: Any, order: Order, note: str) -> Order:
    note = _require_reason(note)
    order = _locked(order)
    if not actor.has_perm("orders.approve_cancellation"):
        raise OrderPermissionDenied()
    if order.cancel_requested_at is None:
        raise OrderError(MSG_NO_CANCEL_REQUEST, code="no_request")
    requester = order.cancel_requested_by
    order.cancel_requested_at, order.cancel_requested_by, order.cancel_reason = None, None, ""
    order.save(
        update_fields=["cancel_requested_at", "cancel_requested_by", "cancel_reason", "updated_at"]
    )
    _event(order, actor=actor, kind=OrderEventKind.NOTE, action="cancel_decline", note=note)
    _notify(
        [requester],
        order=order,
        body=note,
        title=_("Cancellation of order %(number)s was declined") % {"number": order},
    )
    return order


# --- changes after confirmation ----------------------------------------------------------

CHANGEABLE_STATUSES = (
    OrderStatus.CONFIRMED,
    OrderStatus.SERVICE_SCHEDULED,
    OrderStatus.PREPARING,
    OrderStatus.READY_TO_SHIP,
)
CHANGEABLE_FIELDS = (
    "requested_delivery_date",
    "delivery_address",
    "delivery_postcode",
    "special_requirements",
)


def _describe_changes(order: Order, payload: dict[str, Any]) -> list[dict[str, str]]:
    changes = []
    for name, new in payload.get("order", {}).items():
        old = getattr(order, name)
        label = str(Order._meta.get_field(name).verbose_name)
        changes.append(
            {"field": name, "label": label, "old": str(old or "—"), "new": str(new or "—")}
        )
    lines = {line.pk: line for line in order.lines.select_related("product")}
    for pk, values in payload.get("lines", {}).items():
        line = lines[int(pk)]
        for name, new in values.items():
            label = f"{line.product.name} · {OrderLine._meta.get_field(name).verbose_name}"
            changes.append(
                {
                    "field": f"line{line.pk}.{name}",
                    "label": label,
                    "old": str(getattr(line, name)),
                    "new": str(new),
                }
            )
    return changes


def _apply_change(order: Order, payload: dict[str, Any], *, actor: Any, reason: str) -> Order:
    for name, value in payload.get("order", {}).items():
        setattr(
            order, name, date.fromisoformat(value) if name.endswith("_date") and value else value
        )
    order.full_clean(exclude=["status"])
    order.save()
    lines_changed = False
    for pk, values in payload.get("lines", {}).items():
        line = order.lines.get(pk=int(pk))
        for name, value in values.items():
            setattr(line, name, Decimal(value))
        line.full_clean()
        line.save()
        lines_changed = True
    order_recalculate_total(order=order)
    if lines_changed:
        # Any change to lines or amounts after approval re-runs the approval rules.
        order.credit_released_by = None
        order.save(update_fields=["credit_released_by"])
        _transition(order, actor=actor, name="require_reapproval", note=reason)
        transaction.on_commit(lambda: order_changed.send(sender=Order, order=order, actor=actor))
    return order


@transaction.atomic
def order_change(*, actor: Any, order: Order, payload: dict[str, Any], reason: str) -> OrderChange:
    """Change a confirmed order. Inside the change window (a setting of the approval policy)
    the owner's change applies at once; after it, it is a request for the manager.
    Lines and prices change only before preparation starts."""
    reason = _require_reason(reason)
    order = _locked(order)
    if not (
        actor.has_perm("orders.add_order") and actor.pk in (order.created_by_id, order.owner_id)
    ):
        raise OrderPermissionDenied()
    if order.status not in CHANGEABLE_STATUSES:
        raise OrderError(MSG_NOT_CHANGEABLE, code="not_changeable")
    if payload.get("lines") and order.status != OrderStatus.CONFIRMED:
        raise OrderError(MSG_LINES_ONLY_WHEN_CONFIRMED, code="lines_locked")
    if order.changes.filter(status=OrderChangeStatus.PENDING).exists():
        raise OrderError(MSG_CHANGE_PENDING, code="change_pending")
    changes = _describe_changes(order, payload)
    if not changes:
        raise OrderError(MSG_NOTHING_CHANGED, code="nothing_changed")
    policy = ApprovalPolicy.current()
    window_open = (
        order.confirmed_at is not None
        and timezone.now() <= order.confirmed_at + timedelta(hours=policy.change_window_hours)
    )
    change = OrderChange.objects.create(
        order=order,
        changes=changes,
        payload=payload,
        reason=reason,
        requested_by=actor,
        status=OrderChangeStatus.APPLIED if window_open else OrderChangeStatus.PENDING,
    )
    summary = "\n".join(f"{c['label']}: {c['old']} → {c['new']}" for c in changes)
    if window_open:
        _event(
            order,
            actor=actor,
            kind=OrderEventKind.EDIT,
            action="change",
            note=f"{summary}\n{reason}",
        )
        _apply_change(order, payload, actor=actor, reason=reason)
    else:
        _event(
            order,
            actor=actor,
            kind=OrderEventKind.EDIT,
            action="change_request",
            note=f"{summary}\n{reason}",
        )
        _notify(
            _users_with_role(roles.SALES_MANAGER),
            order=order,
            body=summary,
            title=_("Change of order %(number)s waits for approval") % {"number": order},
        )
    return change


@transaction.atomic
def order_change_decide(
    *, actor: Any, change: OrderChange, approve: bool, note: str = ""
) -> OrderChange:
    """A manager approves (applies) or declines a late change request."""
    change = OrderChange.objects.select_for_update().get(pk=change.pk)
    order = _locked(change.order)
    if not actor.has_perm("orders.approve_cancellation") or actor.pk == change.requested_by_id:
        raise OrderPermissionDenied()
    if change.status != OrderChangeStatus.PENDING:
        raise OrderError(MSG_CHANGE_DECIDED, code="decided")
    if not approve:
        note = _require_reason(note)
    change.status = OrderChangeStatus.APPROVED if approve else OrderChangeStatus.DECLINED
    change.decided_by, change.decided_at, change.decision_note = actor, timezone.now(), note
    change.save()
    _event(
        order,
        actor=actor,
        kind=OrderEventKind.EDIT,
        action="change_approved" if approve else "change_declined",
        note=note,
    )
    if approve:
        if order.status not in CHANGEABLE_STATUSES:
            raise OrderError(MSG_NOT_CHANGEABLE, code="not_changeable")
        _apply_change(order, change.payload, actor=actor, reason=change.reason)
    _notify(
        [change.requested_by],
        order=order,
        body=note,
        title=_("Your change of order %(number)s was decided") % {"number": order},
    )
    return change


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
