"""Who may do what in after-sales: ``rules`` predicates over ``(user, object)``
(docs/architecture.md §3, "Where each rule lives").

The roles are granted their permissions in aftersales/apps.py: the account manager
records the customer's acceptance, logs follow-up visits and opens tickets from
complaints; after-sales (and the sales manager, to whom breaches escalate) handles
tickets. The actions (aftersales/actions.py) refuse with these, the pages show their
buttons with the same ones (``core.actions.allowed``).
"""

from __future__ import annotations

from core.actions import has_perm

may_record_acceptance = has_perm("orders.accept_delivery")
"""The account manager records the signed acceptance of a delivered order."""

may_log_visit = has_perm("aftersales.log_visit")
"""The account manager logs the follow-up visit (回访)."""

may_open_ticket = has_perm("aftersales.open_ticket")
"""Account manager, after-sales or sales manager open a ticket from a complaint."""

may_handle_ticket = has_perm("aftersales.handle_ticket")
"""After-sales (or the sales manager) respond, repair, replace, refund, resolve, reassign."""

may_rate_ticket = may_handle_ticket | may_log_visit
"""Whoever hears the customer's verdict on a resolved ticket records the rating."""

may_plan_replacement = may_handle_ticket
"""After-sales names what a replacement ticket replaces (order line, what, how many)."""

may_ship_replacement = has_perm("aftersales.ship_replacement")
"""Logistics ships a replacement: carrier, tracking number, ETA."""

may_confirm_replacement = has_perm("aftersales.confirm_replacement")
"""The account manager or after-sales confirms, on the customer's word, that it arrived."""

may_cancel_replacement = may_handle_ticket
"""After-sales (or the sales manager) cancels a replacement with a reason."""
