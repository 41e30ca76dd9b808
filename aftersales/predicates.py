"""Who may do what in after-sales: ``rules`` predicates over ``(user, object)``
(docs/architecture.md §3, "Where each rule lives").

The roles are granted their permissions in aftersales/apps.py: the account manager
records the customer's acceptance, logs follow-up visits and opens tickets from
complaints; after-sales (and the sales manager, to whom breaches escalate) handles
tickets. The actions (aftersales/actions.py) refuse with these, the pages show their
buttons with the same ones (``core.actions.allowed``).
"""

from __future__ import annotations

from typing import Any

import rules

from core.actions import has_perm

# Who counts as "the customer of this order", told by a higher app (customer_portal
# registers its link check in ready()): after-sales cannot import it (layering).
_customer_rules: list[rules.Predicate] = []


def admit_customer(predicate: rules.Predicate) -> None:
    """Register the predicate that recognises the order's own customer acting online."""
    if predicate not in _customer_rules:
        _customer_rules.append(predicate)


@rules.predicate(name="order_customer")
def order_customer(user: Any, obj: Any) -> bool:
    """The customer of this very order, through a link valid now (customer_portal): their
    electronic receipt, survey, complaint and rating run the same actions as the staff's."""
    return any(rule.test(user, obj) for rule in _customer_rules)


may_record_acceptance = has_perm("orders.accept_delivery") | order_customer
"""The account manager records the signed acceptance of a delivered order — or the
customer signs the electronic receipt themselves."""

may_log_visit = has_perm("aftersales.log_visit") | order_customer
"""The account manager logs the follow-up visit (回访) — or the customer's online survey
is the follow-up record."""

may_open_ticket = has_perm("aftersales.open_ticket") | order_customer
"""Account manager, after-sales or sales manager open a ticket from a complaint — or the
customer opens one from their page."""

may_handle_ticket = has_perm("aftersales.handle_ticket")
"""After-sales (or the sales manager) respond, repair, replace, refund, resolve, reassign."""

may_rate_ticket = may_handle_ticket | may_log_visit
"""Whoever hears the customer's verdict on a resolved ticket records the rating (the
customer rates it themselves online: ``may_log_visit`` admits them)."""

may_plan_replacement = may_handle_ticket
"""After-sales names what a replacement ticket replaces (order line, what, how many)."""

may_ship_replacement = has_perm("aftersales.ship_replacement")
"""Logistics ships a replacement: carrier, tracking number, ETA."""

may_confirm_replacement = has_perm("aftersales.confirm_replacement")
"""The account manager or after-sales confirms, on the customer's word, that it arrived."""

may_cancel_replacement = may_handle_ticket
"""After-sales (or the sales manager) cancels a replacement with a reason."""
