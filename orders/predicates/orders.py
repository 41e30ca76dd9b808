"""Who may do what with an order: the rules of docs/workflow.md §2 as ``rules`` predicates
over ``(user, order)`` (docs/architecture.md, "Where each rule lives").

Every rule is written once here; the actions (orders/actions/orders.py) use them to
refuse a step, the pages (through ``core.actions.allowed``) to decide which buttons to
show, and the inboxes and "my work" (:func:`exclude_authored`, used by orders/selectors.py)
to list only what the user may decide on.

* **Creator or owner** — the people who enter and look after an order;
* **four eyes** — nobody who created, owns or edited the lines of an order reviews,
  approves or decides on it (:data:`order_four_eyes`);
* the facts an action's state cannot say (a pending cancellation request, a credit
  hold, a pending change) are predicates too, so the page and the effect read the same.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Exists, OuterRef, Q, QuerySet

from core import roles
from core.actions import has_perm, not_author, one_of, via
from orders.models import Order, OrderChange, OrderChangeStatus, OrderEvent, OrderEventKind

# The timeline kinds that mean "this person wrote the order's lines": entered or edited.
LINE_EDIT_KINDS = (OrderEventKind.CREATED, OrderEventKind.EDIT)

# --- the people of an order ---------------------------------------------------------

is_creator_or_owner = one_of("created_by", "owner")
"""The user entered the order or is its sales owner (the one place this rule is written)."""


def line_editor_ids(order: Order) -> set[int]:
    """Who wrote the order's lines: the timeline's created / edited entries and whoever
    asked for a change after confirmation. Cached on the instance (one query per page or
    per action: the engine locks a fresh instance for every step)."""
    cached: set[int] | None = getattr(order, "_line_editor_ids", None)
    if cached is None:
        if order.pk is None:
            return set()
        events = (
            OrderEvent.objects.filter(
                order_id=order.pk, kind__in=LINE_EDIT_KINDS, actor__isnull=False
            )
            .order_by()
            .values_list("actor_id", flat=True)
        )
        changes = (
            OrderChange.objects.filter(order_id=order.pk)
            .order_by()
            .values_list("requested_by_id", flat=True)
        )
        cached = set(events.union(changes))
        order._line_editor_ids = cached  # type: ignore[attr-defined]
    return cached


order_four_eyes = not_author("created_by", "owner", extra=line_editor_ids)
"""Four eyes (docs/workflow.md §2): not the creator, not the owner, not one who edited the lines."""

may_enter = has_perm("orders.add_order")
may_submit = may_enter & is_creator_or_owner
"""Edit, submit, resubmit, change: the assistant's own orders."""

may_review = has_perm("orders.review_order") & order_four_eyes
may_approve = has_perm("orders.approve_order") & order_four_eyes
may_approve_as_director = (
    has_perm("orders.approve_large_order") & order_four_eyes & not_author("approved_by")
)
"""The director's step is a second approver: not the manager who approved the order first."""
may_release_credit = has_perm("orders.release_credit_hold") & order_four_eyes


@rules.predicate
def is_pending_approval(user: Any, order: Order) -> bool:
    return order is not None and order.status == "pending_approval"


@rules.predicate
def is_pending_director(user: Any, order: Order) -> bool:
    return order is not None and order.status == "pending_director"


may_return = (is_pending_approval & may_approve) | (is_pending_director & may_approve_as_director)
"""Return belongs to the approver of the step the order waits at (docs/workflow.md §4): the
manager at the manager's step, the director at the director's — never the director at the
manager's step nor the manager at the director's. Whoever may approve the step may send the
order back to its creator instead."""

may_log_contact = may_submit | may_review
may_attach = may_submit | may_review | has_perm("orders.change_order")

# --- cancellation -------------------------------------------------------------------

may_request_cancel = may_submit | has_perm("orders.approve_cancellation")
may_decide_cancel = (
    has_perm("orders.approve_cancellation") & order_four_eyes & not_author("cancel_requested_by")
)
"""A manager decides a cancellation, never one they asked for or an order of their own."""

# --- changes after confirmation -----------------------------------------------------

may_change = may_submit
may_decide_change = (
    has_perm("orders.approve_cancellation")
    & not_author("requested_by")
    & via("order", order_four_eyes)
)
"""On an :class:`OrderChange`: a manager, neither the requester nor an author of the order."""
may_require_reapproval = has_perm("orders.add_order") | has_perm("orders.approve_order")

# --- the facts a button needs besides the state ---------------------------------------


@rules.predicate
def cancel_requested(user: Any, order: Order) -> bool:
    return order is not None and order.cancel_requested_at is not None


@rules.predicate
def on_credit_hold(user: Any, order: Order) -> bool:
    return order is not None and order.credit_hold


@rules.predicate
def change_pending(user: Any, order: Order) -> bool:
    return order is not None and order.changes.filter(status=OrderChangeStatus.PENDING).exists()


# --- the importer -------------------------------------------------------------------

IMPORT_ROLES = (roles.DATA_ADMIN, roles.SALES_MANAGER)


@rules.predicate
def may_import(user: Any, obj: Any = None) -> bool:
    """Only data administrators and sales managers (or a superuser) load old orders."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or roles.has_role(user, *IMPORT_ROLES))


# --- the same rules as querysets (inboxes, work lists) ----------------------------------


def exclude_authored(orders: QuerySet[Order], user: Any) -> QuerySet[Order]:
    """``orders`` without those ``user`` may not decide on by four eyes: created, owned,
    or whose lines they edited — :data:`order_four_eyes` as one query."""
    edited = OrderEvent.objects.filter(
        order_id=OuterRef("pk"), actor_id=user.pk, kind__in=LINE_EDIT_KINDS
    )
    asked = OrderChange.objects.filter(order_id=OuterRef("pk"), requested_by_id=user.pk)
    return orders.exclude(Q(created_by_id=user.pk) | Q(owner_id=user.pk)).exclude(
        Exists(edited) | Exists(asked)
    )
