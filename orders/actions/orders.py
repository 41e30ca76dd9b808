"""The actions of an order's life (docs/architecture.md, "The action engine").

Each step an order can take is declared here once: its name, the ``django_fsm``
transition it runs (or the states it may run in), its predicate
(orders/predicates/orders.py) and its effect — what happens besides the transition:
deadline clocks, notifications, the credit check, the director threshold, the change window. ``core.actions.perform``
runs them; ``orders.services.orders`` exposes each as a thin public function.

Every action whose root is an order takes the archive rule from :func:`read_only_when`
below and writes its timeline row through :func:`write_order_event`. Higher apps take
part through hooks (``core.actions.on("order.approve")`` in fulfillment reserves stock),
inside the same transaction — the orders app sends no signal after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from core import roles
from core.actions import (
    Step,
    action,
    allowed,
    always,
    event_writer,
    get_action,
    has_perm,
    perform,
    read_only_when,
)
from core.messages import MessageLike, Msg, join_messages, message_store
from core.models import SlaKind
from core.roles import users_with_role
from core.services import (
    notification_create,
    sla_clock_cancel,
    sla_clock_meet,
    sla_clock_start,
)
from core.uploads import DOCUMENT_KINDS, safe_original_name, validate_upload
from orders.approval import approval_hints, order_credit_status
from orders.exceptions.orders import (
    MSG_CANCEL_ALREADY_REQUESTED,
    MSG_CHANGE_PENDING,
    MSG_CUSTOMER_NOT_QUALIFIED,
    MSG_DUPLICATE_ORDER,
    MSG_LINES_ONLY_WHEN_CONFIRMED,
    MSG_NO_CANCEL_REQUEST,
    MSG_NO_CONTACT_LOGGED,
    MSG_NO_LINES,
    MSG_NOT_CHANGEABLE,
    MSG_NOT_ON_HOLD,
    MSG_NOTHING_CHANGED,
    MSG_ON_CREDIT_HOLD,
    MSG_REASON_REQUIRED,
    MSG_REQUIRED_FOR_SUBMIT,
    DuplicateOrderWarning,
    OrderError,
    OrderInvalid,
    OrderPermissionDenied,
)
from orders.models import (
    CANCELLABLE_STATUSES,
    CHANGEABLE_STATUSES,
    EDITABLE_STATUSES,
    ApprovalPolicy,
    ContactChannel,
    CustomerContactLog,
    Order,
    OrderAttachment,
    OrderChange,
    OrderChangeStatus,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
)
from orders.predicates import orders as p
from orders.services.orders import (
    order_escalation_manager,
    order_find_duplicate,
    order_notify,
    order_number_next,
    order_recalculate_total,
    order_submit_problems,
)

# An archived order is read-only for every action whose root is an order (docs/workflow.md §2).
read_only_when(Order, lambda order: order.status == OrderStatus.ARCHIVED)


# --- the timeline -------------------------------------------------------------------------


def order_event(step: Step[Any]) -> OrderEvent:
    """The timeline row of ``step`` (not saved: the importer inserts them in bulk).

    A transition of the order itself is a "status change" with from / to — the rows the
    monthly review reads; any other step is recorded with the kind it sets (or declares).
    ``action`` keeps the names the reports know: the transition's (``approve``,
    ``return_to_creator`` …), else the verb of the action or what the effect set.
    """
    order = step.root
    moved = step.transitioned and step.obj is order
    kind = step.event_kind or (
        OrderEventKind.TRANSITION if moved else step.action.event or OrderEventKind.NOTE
    )
    payload = dict(step.payload)
    if step.transitioned and step.obj is not order:
        # A part of the order moved (e.g. a shipment): its states go to the details.
        payload.setdefault("from", step.from_state)
        payload.setdefault("to", step.to_state)
    # From / to when the order's own state moved (a credit hold keeps it: no from / to).
    show_move = moved and (kind == OrderEventKind.TRANSITION or step.from_state != order.status)
    note, note_msg = step.note_message()
    return OrderEvent(
        order=order,
        kind=kind,
        action=step.event_action
        or (step.action.transition if kind == OrderEventKind.TRANSITION else "")
        or step.action.name.split(".", 1)[-1],
        from_status=step.from_state if show_move else "",
        to_status=order.status if show_move else "",
        actor=step.actor if getattr(step.actor, "pk", None) is not None else None,
        note=note,
        note_msg=note_msg,
        payload=payload,
    )


@event_writer(Order)
def write_order_event(step: Step[Any]) -> OrderEvent:
    event = order_event(step)
    event.save()
    return event


def _record_now(step: Step[Any]) -> None:
    """Write the step's row before a nested step writes its own (the timeline's order)."""
    write_order_event(step)
    step.skip_event = True


def _require_reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise OrderInvalid(
            MSG_REASON_REQUIRED,
            code="reason_required",
            fields={"reason": [str(MSG_REASON_REQUIRED)]},
        )
    return reason


# --- entry --------------------------------------------------------------------------------

# What the entry form may set on an order (status and numbers are the actions').
ENTRY_FIELDS = tuple(
    f.attname
    for f in Order._meta.concrete_fields
    if f.editable and f.name not in ("id", "status", "contract")
)


def _save_lines(order: Order, lines: Any) -> None:
    """Save a validated inline formset of the order's lines; the total follows."""
    lines.instance = order
    saved = lines.save(commit=False)
    for line in lines.deleted_objects:
        line.delete()
    for position, line in enumerate(saved, start=1):
        line.order = order
        line.position = line.position or position
        line.save()
    order_recalculate_total(order=order)


@action(
    "order.create",
    model=Order,
    predicate=p.may_enter,
    creates=True,
    event=OrderEventKind.CREATED,
)
def create(step: Step[Order]) -> Order:
    """A new draft with its lines; whoever enters it owns it unless they name an owner."""
    order: Order = step.params["order"]
    order.created_by = step.actor
    if order.owner_id is None:
        order.owner = step.actor
    # The protected FSM field cannot be re-assigned by clean_fields; transitions own it.
    order.full_clean(exclude=["status"])
    order.save()
    _save_lines(order, step.params["lines"])
    return order


@action(
    "order.edit",
    model=Order,
    predicate=p.may_submit,
    states=EDITABLE_STATUSES,
    event=OrderEventKind.EDIT,
)
def edit(step: Step[Order]) -> Order:
    """The entered values of the form (``order``) onto the locked order, lines and total."""
    order, entered = step.obj, step.params["order"]
    for name in ENTRY_FIELDS:
        setattr(order, name, getattr(entered, name))
    if order.owner_id is None:
        order.owner_id = order.created_by_id
    order.full_clean(exclude=["status"])
    order.save()
    _save_lines(order, step.params["lines"])
    if not step.note:
        step.set_note(Msg(_l("Order details edited.")))
    return order


@action("order.submit", model=Order, transition="submit", predicate=p.may_submit)
def submit(step: Step[Order]) -> Order:
    """To preliminary review; complete, not a duplicate (or confirmed), numbered on first submit."""
    order = step.obj
    if not order.has_lines():
        raise OrderError(MSG_NO_LINES, code="no_lines")
    problems = order_submit_problems(order)
    if problems:
        raise OrderInvalid(MSG_REQUIRED_FOR_SUBMIT, code="incomplete", fields=problems)
    confirmed = bool(step.params.get("confirm_duplicate"))
    if not confirmed:
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
    step.set_note(Msg(_l("Confirmed not a duplicate.")) if confirmed else "")
    step.transition()
    return order


# --- preliminary review ---------------------------------------------------------------------


@action("order.request_info", model=Order, transition="request_info", predicate=p.may_review)
def request_info(step: Step[Order]) -> Order:
    """The reviewer needs more from the customer: the 2-working-hour clarification clock."""
    reason = step.note = _require_reason(step.note)
    step.transition()
    order = step.obj
    sla_clock_start(
        target=order,
        kind=SlaKind.CLARIFICATION,
        owner=order.created_by,
        escalate_to=order_escalation_manager(),
        working_hours=settings.ORDER_CLARIFICATION_WORKING_HOURS,
        note=reason,
    )
    notification_create(
        recipient=order.created_by,
        title=Msg(_l("Order %(number)s needs information"), number=order.number),
        body=reason,
        target=order,
    )
    return order


@action(
    "order.log_contact",
    model=Order,
    predicate=p.may_log_contact,
    event=OrderEventKind.CONTACT,
)
def log_contact(step: Step[Order]) -> CustomerContactLog:
    """A conversation with the customer; it meets the clarification clock."""
    order = step.obj
    log = CustomerContactLog(
        order=order,
        channel=step.params["channel"],
        person=(step.params.get("person") or "").strip(),
        result=(step.params.get("result") or "").strip(),
        logged_by=step.actor,
    )
    log.full_clean()
    log.save()
    sla_clock_meet(target=order, kind=SlaKind.CLARIFICATION, at=log.created_at)
    step.set_note(
        Msg(
            _l("%(channel)s · %(person)s: %(result)s"),
            channel=ContactChannel(log.channel),
            person=log.person,
            result=log.result,
        )
    )
    return log


@action("order.resubmit", model=Order, transition="resubmit", predicate=p.may_submit)
def resubmit(step: Step[Order]) -> Order:
    """Back to review once the customer has been contacted since the request."""
    if not step.obj.has_contact_since_info_request():
        raise OrderError(MSG_NO_CONTACT_LOGGED, code="no_contact")
    step.transition()
    return step.obj


@action("order.reject", model=Order, transition="reject", predicate=p.may_review)
def reject(step: Step[Order]) -> Order:
    reason = step.note = _require_reason(step.note)
    order = step.obj
    order.reviewed_by, order.reviewed_at, order.review_note = step.actor, timezone.now(), reason
    step.transition()
    notification_create(
        recipient=order.created_by,
        title=Msg(_l("Order %(number)s was rejected"), number=order.number),
        body=reason,
        target=order,
    )
    return order


@action("order.pass_review", model=Order, transition="pass_review", predicate=p.may_review)
def pass_review(step: Step[Order]) -> Order:
    """The review passes; the customer must be qualified (business licence on file)."""
    order = step.obj
    if not order.customer_is_qualified():
        raise OrderError(MSG_CUSTOMER_NOT_QUALIFIED, code="not_qualified")
    order.reviewed_by, order.reviewed_at, order.review_note = step.actor, timezone.now(), step.note
    step.transition()
    return order


@action(
    "order.attach",
    model=Order,
    predicate=p.may_attach,
    event=OrderEventKind.ATTACHMENT,
)
def attach(step: Step[Order]) -> OrderAttachment:
    upload = step.params["upload"]
    validate_upload(upload, kinds=DOCUMENT_KINDS)
    attachment = OrderAttachment(
        order=step.obj,
        original_name=safe_original_name(upload.name),
        size=upload.size,
        uploaded_by=step.actor,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    step.note = attachment.original_name
    return attachment


# --- internal approval ------------------------------------------------------------------------


def _confirmed(step: Step[Order]) -> None:
    """The final approval: the approved total is kept and the owner told. Stock is
    reserved by fulfillment's hook on this action, in this transaction; the warehouse
    hears from that hook (once: it knows the order's warehouse and responsible person)."""
    order = step.obj
    order.confirmed_at = timezone.now()
    order.approved_total = order.total_amount
    order.save(update_fields=["confirmed_at", "approved_total", "updated_at"])
    order_notify(
        [order.owner],
        title=Msg(_l("Order %(number)s is confirmed: please prepare it"), number=order.number),
        body=order.customer.name,
        order=order,
    )


@action("order.approve", model=Order, transition="approve", predicate=p.may_approve)
def approve(step: Step[Order]) -> Order:
    """Sales manager approval.

    The credit check runs first (only the part not paid in advance counts,
    orders/approval.py). A failing check puts the order on credit hold (kept: the step
    commits the hold and leaves the order waiting) — unless the manager gives a reason to
    release it (``release_reason``): then the release is a step of its own
    (``order.credit_release``, its own predicate and timeline row) and the approval goes on
    in the same transaction (docs/decisions/0009-credit-policy.md).
    Orders above the director threshold, or with special terms, go on to the director.
    """
    order = step.obj
    release_reason = (step.params.get("release_reason") or "").strip()
    policy = ApprovalPolicy.current()
    if order.credit_hold and release_reason:
        order = step.obj = step.root = _release(step, order, release_reason, reasons=None)
    if order.credit_hold:
        raise OrderError(MSG_ON_CREDIT_HOLD, code="credit_hold")
    if order.credit_released_by_id is None:
        credit = order_credit_status(order, policy)
        if not credit.passes and release_reason:
            order = step.obj = step.root = _release(
                step, order, release_reason, reasons=credit.messages()
            )
        elif not credit.passes:
            order.credit_hold = True
            hold_reasons = join_messages(*credit.messages())
            order.credit_hold_reason, order.credit_hold_reason_msg = message_store(hold_reasons)
            order.save(
                update_fields=[
                    "credit_hold",
                    "credit_hold_reason",
                    "credit_hold_reason_msg",
                    "updated_at",
                ]
            )
            step.stay(
                event_kind=OrderEventKind.NOTE,
                event_action="credit_hold",
                note=hold_reasons,
            )
            order_notify(
                [order.owner],
                title=Msg(_l("Order %(number)s is on credit hold"), number=order.number),
                body=hold_reasons,
                order=order,
            )
            return order
    hints = approval_hints(order, policy)
    director_reasons = join_messages(*hints.director_messages)
    order.director_reasons, order.director_reasons_msg = message_store(
        director_reasons if hints.director_messages else None
    )
    order.approved_by, order.approved_at = step.actor, timezone.now()
    step.transition(needs_director=hints.needs_director)
    if order.status == OrderStatus.CONFIRMED:
        _confirmed(step)
    else:
        order_notify(
            users_with_role(roles.SALES_DIRECTOR),
            title=Msg(_l("Order %(number)s waits for your approval"), number=order.number),
            body=director_reasons,
            order=order,
        )
    return order


def _release(step: Step[Order], order: Order, reason: str, *, reasons: list[Msg] | None) -> Order:
    """The credit release inside an approval: a nested step (its predicate — a manager
    with the release right, four eyes — and its own timeline row before the approval's).
    Returns the order as the nested step left it."""
    released: Order = perform(
        "order.credit_release", actor=step.actor, obj=order, note=reason, reasons=reasons
    )
    step.payload["credit_released"] = True
    return released


@action(
    "order.director_approve",
    model=Order,
    transition="director_approve",
    predicate=p.may_approve_as_director,
)
def director_approve(step: Step[Order]) -> Order:
    """Final approval of a large order or one with special terms by the sales director."""
    order = step.obj
    order.director_approved_by, order.director_approved_at = step.actor, timezone.now()
    step.transition()
    _confirmed(step)
    return order


@action("order.return", model=Order, transition="return_to_creator", predicate=p.may_return)
def return_to_creator(step: Step[Order]) -> Order:
    """Back to the creator to edit and resubmit; the reason is shown to them."""
    reason = step.note = _require_reason(step.note)
    order = step.obj
    order.return_reason = reason
    # The order comes back edited: its credit is checked again at the next approval.
    order.credit_hold, order.credit_released_by = False, None
    step.transition()
    order_notify(
        [order.created_by],
        title=Msg(_l("Order %(number)s was returned to you"), number=order.number),
        body=reason,
        order=order,
    )
    return order


@action("order.credit_release", model=Order, predicate=p.may_release_credit)
def credit_release(step: Step[Order]) -> Order:
    """Only a sales manager releases a credit hold, with a reason on the timeline.

    Run alone on an order on hold, or nested in ``order.approve`` (``reasons``: the failing
    check the manager releases before the hold was ever set — "release and approve")."""
    step.note = _require_reason(step.note)
    order = step.obj
    reasons: list[Msg] | None = step.params.get("reasons")
    if not order.credit_hold and not reasons:
        raise OrderError(MSG_NOT_ON_HOLD, code="not_on_hold")
    if reasons:
        order.credit_hold_reason, order.credit_hold_reason_msg = message_store(
            join_messages(*reasons)
        )
    step.payload["credit_check"] = order.credit_hold_reason
    order.credit_hold = False
    order.credit_released_by = step.actor
    order.save(
        update_fields=[
            "credit_hold",
            "credit_hold_reason",
            "credit_hold_reason_msg",
            "credit_released_by",
            "updated_at",
        ]
    )
    return order


# --- cancellation ----------------------------------------------------------------------------


@action(
    "order.discard",
    model=Order,
    transition="discard",
    predicate=p.may_submit,
)
def discard(step: Step[Order]) -> Order:
    """The creator or owner withdraws a draft at once: nobody has reviewed it, it has no
    number and no stock, so there is no cancellation for a manager to decide
    (docs/workflow.md §4); the timeline keeps it."""
    step.transition()
    return step.obj


@action(
    "order.cancel_request",
    model=Order,
    predicate=p.may_request_cancel,
    # A draft is discarded by its maker (order.discard), not asked to be cancelled.
    states=[s for s in CANCELLABLE_STATUSES if s != OrderStatus.DRAFT],
)
def cancel_request(step: Step[Order]) -> Order:
    """The owner asks to cancel (any state before shipped); a manager decides."""
    order = step.obj
    if order.cancel_requested_at is not None:
        raise OrderError(MSG_CANCEL_ALREADY_REQUESTED, code="already_requested")
    reason = step.note = _require_reason(step.note)
    order.cancel_requested_at, order.cancel_requested_by = timezone.now(), step.actor
    order.cancel_reason = reason
    order.save(
        update_fields=["cancel_requested_at", "cancel_requested_by", "cancel_reason", "updated_at"]
    )
    order_notify(
        users_with_role(roles.SALES_MANAGER),
        title=Msg(_l("Cancellation of order %(number)s requested"), number=str(order)),
        body=reason,
        order=order,
    )
    return order


@action("order.cancel_approve", model=Order, transition="cancel", predicate=p.may_decide_cancel)
def cancel_approve(step: Step[Order]) -> Order:
    """Cancel the order; the warehouse is told and fulfillment's hook releases its stock."""
    order = step.obj
    if order.cancel_requested_at is None:
        raise OrderError(MSG_NO_CANCEL_REQUEST, code="no_request")
    step.note = step.note or order.cancel_reason
    step.payload["reason"] = order.cancel_reason
    step.transition()
    sla_clock_cancel(target=order, kind=SlaKind.CLARIFICATION)
    # The warehouse is told to stop by fulfillment's hook (once, and only when it had
    # the order), not here.
    order_notify(
        [order.owner, order.cancel_requested_by],
        title=Msg(_l("Order %(number)s was cancelled: stop preparing it"), number=str(order)),
        body=order.cancel_reason,
        order=order,
    )
    return order


@action(
    "order.cancel_decline",
    model=Order,
    predicate=p.may_decide_cancel,
    # A request may wait while the order moves on (even past shipping); it is declined
    # until the order is cancelled.
    states=[
        s for s in OrderStatus.values if s not in (OrderStatus.CANCELLED, OrderStatus.ARCHIVED)
    ],
)
def cancel_decline(step: Step[Order]) -> Order:
    order = step.obj
    if order.cancel_requested_at is None:
        raise OrderError(MSG_NO_CANCEL_REQUEST, code="no_request")
    note = step.note = _require_reason(step.note)
    requester = order.cancel_requested_by
    order.cancel_requested_at, order.cancel_requested_by, order.cancel_reason = None, None, ""
    order.save(
        update_fields=["cancel_requested_at", "cancel_requested_by", "cancel_reason", "updated_at"]
    )
    order_notify(
        [requester],
        title=Msg(_l("Cancellation of order %(number)s was declined"), number=str(order)),
        body=note,
        order=order,
    )
    return order


# --- changes after confirmation --------------------------------------------------------------


def describe_changes(order: Order, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """What a change would do, field by field ({"field", "label", "old", "new"}; and
    "label_msg": the label as a message, shown in the reader's language)."""
    changes: list[dict[str, Any]] = []
    for name, new in payload.get("order", {}).items():
        old = getattr(order, name)
        verbose_name = Order._meta.get_field(name).verbose_name
        changes.append(
            {
                "field": name,
                "label": str(verbose_name),
                "label_msg": Msg(verbose_name).as_json(),
                "old": str(old or "—"),
                "new": str(new or "—"),
            }
        )
    lines = {line.pk: line for line in order.lines.select_related("product")}
    for pk, values in payload.get("lines", {}).items():
        line = lines[int(pk)]
        for name, new in values.items():
            field_label = getattr(OrderLine._meta.get_field(name), "verbose_name", name)
            label = Msg("%(product)s · %(field)s", product=line.product.name, field=field_label)
            changes.append(
                {
                    "field": f"line{line.pk}.{name}",
                    "label": str(label),
                    "label_msg": label.as_json(),
                    "old": str(getattr(line, name)),
                    "new": str(new),
                }
            )
    return changes


def _change_messages(changes: list[dict[str, Any]]) -> list[Msg]:
    """Each change of :func:`describe_changes` as a message: the field's label in the
    reader's language, the values as entered."""
    return [
        Msg(
            _l("%(label)s: %(old)s → %(new)s"),
            label=Msg.from_json(change["label_msg"]),
            old=change["old"],
            new=change["new"],
        )
        for change in changes
    ]


def _apply_change(step: Step[Any], order: Order, payload: dict[str, Any], reason: str) -> Order:
    """Write a change; a change to lines or amounts sends the order back for approval
    (a nested step, with its own timeline row). Returns the order as it is now."""
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
    if not lines_changed:
        return order
    _record_now(step)
    return perform("order.require_reapproval", actor=step.actor, obj=order, note=reason)


@action(
    "order.require_reapproval",
    model=Order,
    transition="require_reapproval",
    predicate=p.may_require_reapproval,
)
def require_reapproval(step: Step[Order]) -> Order:
    """Lines or amounts changed after approval: the approval rules run again, credit too.
    Only ever a nested step of ``order.change`` / ``order.change_decide``."""
    step.obj.credit_released_by = None
    step.transition()
    return step.obj


@action("order.change", model=Order, predicate=p.may_change, states=CHANGEABLE_STATUSES)
def change(step: Step[Order]) -> OrderChange:
    """Change a confirmed order. Inside the change window (a setting of the approval
    policy) the owner's change applies at once; after it, it is a request for a manager.
    Lines and prices change only before preparation starts."""
    order = step.obj
    payload: dict[str, Any] = step.params["payload"]
    reason = _require_reason(step.params.get("reason", ""))
    if payload.get("lines") and order.status != OrderStatus.CONFIRMED:
        raise OrderError(MSG_LINES_ONLY_WHEN_CONFIRMED, code="lines_locked")
    if order.changes.filter(status=OrderChangeStatus.PENDING).exists():
        raise OrderError(MSG_CHANGE_PENDING, code="change_pending")
    changes = describe_changes(order, payload)
    if not changes:
        raise OrderError(MSG_NOTHING_CHANGED, code="nothing_changed")
    policy = ApprovalPolicy.current()
    window_open = (
        order.confirmed_at is not None
        and timezone.now() <= order.confirmed_at + timedelta(hours=policy.change_window_hours)
    )
    record = OrderChange.objects.create(
        order=order,
        changes=changes,
        payload=payload,
        reason=reason,
        requested_by=step.actor,
        status=OrderChangeStatus.APPLIED if window_open else OrderChangeStatus.PENDING,
    )
    summary = join_messages(*_change_messages(changes))
    step.event_kind = OrderEventKind.EDIT
    step.event_action = "change" if window_open else "change_request"
    step.set_note(join_messages(summary, reason))
    step.payload["changes"] = changes
    if window_open:
        step.obj = step.root = _apply_change(step, order, payload, reason)
    else:
        order_notify(
            users_with_role(roles.SALES_MANAGER),
            title=Msg(_l("Change of order %(number)s waits for approval"), number=str(order)),
            body=summary,
            order=order,
        )
    return record


@action(
    "order.change_decide",
    model=OrderChange,
    root="order",
    predicate=p.may_decide_change,
    states=(OrderChangeStatus.PENDING,),
)
def change_decide(step: Step[OrderChange]) -> OrderChange:
    """A manager approves (applies) or declines a late change request."""
    record, order = step.obj, step.root
    approve_it = bool(step.params.get("approve"))
    note = (step.note or "").strip()
    if not approve_it:
        note = _require_reason(note)
    record.status = OrderChangeStatus.APPROVED if approve_it else OrderChangeStatus.DECLINED
    record.decided_by, record.decided_at, record.decision_note = step.actor, timezone.now(), note
    record.save()
    step.event_kind = OrderEventKind.NOTE
    step.event_action = "change_approved" if approve_it else "change_declined"
    step.note = note
    step.payload["change"] = record.pk
    if approve_it:
        if order.status not in CHANGEABLE_STATUSES:
            raise OrderError(MSG_NOT_CHANGEABLE, code="not_changeable")
        step.root = _apply_change(step, order, record.payload, record.reason)
    order_notify(
        [record.requested_by],
        title=Msg(_l("Your change of order %(number)s was decided"), number=str(order)),
        body=note,
        order=order,
    )
    return record


# --- later steps of the order's life ----------------------------------------------------------


@action("order.complete", model=Order, transition="complete", predicate=always)
def complete(step: Step[Order]) -> Order:
    """The system's move (docs/workflow.md §4, "system / account_manager"): after-sales completes
    an accepted order once its visit is logged and no ticket is open — whoever closed the
    last gap triggers it, so the caller's own action holds the rule and the permission."""
    step.transition()
    return step.obj


@action(
    "order.archive",
    model=Order,
    transition="archive",
    predicate=has_perm("orders.archive_order"),
)
def archive(step: Step[Order]) -> Order:
    """The month close archives a completed or cancelled order; it is read-only after."""
    step.transition()
    return step.obj


# --- the importer -----------------------------------------------------------------------------


@action(
    "order.import",
    model=Order,
    transition="record_import",
    predicate=p.may_import,
    event=OrderEventKind.IMPORTED,
)
def record_import(step: Step[Order]) -> Order:
    """A historical order (a draft just written by the importer) enters the state the old
    spreadsheet recorded, through its own transition, with an "imported" timeline row."""
    _import_labels(step)
    step.transition(status=step.params["status"])
    return step.obj


def _import_labels(step: Step[Order]) -> None:
    step.event_kind = OrderEventKind.IMPORTED
    step.event_action = "import"
    step.payload["status"] = step.params["status"]


def import_steps(
    *, actor: User, orders: Iterable[Order], statuses: Iterable[str], note: MessageLike
) -> list[Step[Order]]:
    """``order.import`` for a whole file: the batch form the spreadsheet importer uses.

    The same predicate (once), the same transition and the same event row as the single
    action, on orders not yet written — nobody else can see them, so there is nothing to
    lock; the caller inserts the orders and then :func:`order_event` of each step in bulk
    (one statement per batch instead of four per order: 10,000 rows stay seconds).
    """
    act = get_action("order.import")
    if not act.predicate.test(actor, None):
        raise OrderPermissionDenied()
    note_text, note_msg = message_store(note)
    steps = []
    for order, status in zip(orders, statuses, strict=True):
        step: Step[Order] = Step(
            action=act,
            actor=actor,
            obj=order,
            root=order,
            note=note_text,
            note_msg=note_msg,
            params={"status": status},
            from_state=order.status,
        )
        # The transition itself, without the save: the caller inserts the orders in bulk.
        order.record_import(status=status)
        step.transitioned = True
        _import_labels(step)
        steps.append(step)
    return steps


# --- what the order page offers -----------------------------------------------------------------

PAGE_ACTIONS = (
    "order.edit",
    "order.submit",
    "order.pass_review",
    "order.log_contact",
    "order.resubmit",
    "order.attach",
    "order.approve",
    "order.director_approve",
    "order.return",
    "order.credit_release",
    "order.cancel_request",
    "order.cancel_approve",
    "order.cancel_decline",
    "order.change",
    "order.discard",
)


def page_actions(
    user: Any,
    order: Order,
    *,
    pending_change: OrderChange | None,
    credit_fails: bool = False,
) -> dict[str, bool]:
    """Which steps the order page offers ``user``: the engine's ``allowed`` for each, and
    the facts a state cannot say (a hold to release, a request to decide, a change open).

    ``credit_fails``: the credit check the approval would run fails now (the view read it,
    orders/approval.py) — the manager then approves with a reason that releases the hold."""
    can = {name: allowed(name, user, order) for name in PAGE_ACTIONS}
    on_hold = p.on_credit_hold.test(user, order)
    to_release = on_hold or (credit_fails and order.credit_released_by_id is None)
    release_and_approve = can["order.approve"] and can["order.credit_release"] and to_release
    requested = p.cancel_requested.test(user, order)
    if pending_change is not None:
        pending_change.order = order  # the same instance: its four-eyes facts are read once
    return {
        "edit": can["order.edit"],
        "submit": can["order.submit"],
        "review": can["order.pass_review"],
        # The contact form belongs to the clarification step of the page.
        "log_contact": can["order.log_contact"] and order.status == OrderStatus.NEEDS_INFO,
        "resubmit": can["order.resubmit"],
        "attach": can["order.attach"],
        "approve": (can["order.approve"] and not on_hold and not release_and_approve)
        or can["order.director_approve"],
        "release_and_approve": release_and_approve,
        "return": can["order.return"],
        "cancel_request": can["order.cancel_request"] and not requested,
        "discard": can["order.discard"],
        "cancel_decide": requested and (can["order.cancel_approve"] or can["order.cancel_decline"]),
        "change": can["order.change"] and pending_change is None,
        "change_decide": pending_change is not None
        and allowed("order.change_decide", user, pending_change),
    }
