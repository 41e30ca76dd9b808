"""Who may take which fulfillment step — the rules of docs/workflow.md §2 in one place.

``rules`` predicates over ``(user, object)``, composed with ``&``, ``|`` and ``~``; the
actions in fulfillment/actions.py use them, and so do the pages (through
``core.actions.allowed``) to decide which forms and buttons to show.

Warehouse and logistics change only orders that have been approved (confirmed and
later, not cancelled). The archived rule needs nothing here: every action whose root is
the order refuses an archived one (orders declares ``read_only_when``).
"""

from __future__ import annotations

from typing import Any

import rules

from core.actions import has_perm, one_of, via
from orders.models import OrderKind, OrderStatus

# The states of an order the manager (and director) approved, up to its completion.
APPROVED_STATUSES = frozenset(
    {
        OrderStatus.CONFIRMED,
        OrderStatus.SERVICE_SCHEDULED,
        OrderStatus.PREPARING,
        OrderStatus.READY_TO_SHIP,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.ACCEPTED,
        OrderStatus.COMPLETED,
    }
)


@rules.predicate
def order_approved(user: Any, order: Any) -> bool:
    return order is not None and order.status in APPROVED_STATUSES


@rules.predicate
def goods_order(user: Any, order: Any) -> bool:
    return order is not None and order.kind == OrderKind.GOODS


@rules.predicate
def service_order(user: Any, order: Any) -> bool:
    return order is not None and order.kind == OrderKind.SERVICE


# Steps nobody takes by hand: the approval's and the cancellation's hooks, the deadline
# scans and stock movements run them (they are reached from code only, never a page).
system_step = rules.always_allow

# --- the warehouse --------------------------------------------------------------------
may_confirm_stock = has_perm("orders.confirm_stock") & order_approved & goods_order
may_schedule_service = has_perm("orders.confirm_stock") & order_approved & service_order
may_change_warehouse = has_perm("fulfillment.change_allocation") & order_approved & goods_order
may_record_progress = has_perm("fulfillment.record_progress") & order_approved
may_save_preparation = has_perm("fulfillment.record_progress") & order_approved
may_mark_ready = has_perm("orders.confirm_stock") & order_approved
may_manage_stock = has_perm("fulfillment.manage_stock")

# --- logistics ------------------------------------------------------------------------
may_ship = has_perm("orders.ship_order") & order_approved
may_record_delivery = has_perm("orders.record_delivery") & order_approved

# --- sales: the customer's answer to a later delivery date ------------------------------
# The order's owner, or a manager (who may approve orders), on the order's fulfillment.
may_record_answer = via(
    "order", (one_of("owner") | has_perm("orders.approve_order")) & order_approved
)
