"""Signals the orders app sends so that higher apps (fulfillment, aftersales) can react
without orders importing them (DESIGN.md §3, layering).

Sent from ``transaction.on_commit``, so receivers see the committed order.
"""

from django.dispatch import Signal

# order, actor: the order was confirmed (final approval) — fulfillment allocates a warehouse.
order_confirmed = Signal()
# order, actor, reason: the order was cancelled — fulfillment releases reserved stock.
order_cancelled = Signal()
# order, actor: lines or amounts changed after confirmation.
order_changed = Signal()
