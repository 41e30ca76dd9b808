"""Receivers of the orders app's signals (connected in FulfillmentConfig.ready()).

orders sends them from ``transaction.on_commit``: the approval or cancellation is
already committed, so a failure here must not turn the approver's page into an
error. It is logged; the warehouse can still allocate and confirm by hand.
"""

from __future__ import annotations

import logging
from typing import Any

from fulfillment import services

logger = logging.getLogger(__name__)


def on_order_confirmed(sender: Any, *, order: Any, actor: Any = None, **kwargs: Any) -> None:
    """Confirmed: pick the warehouse by the allocation rules and reserve what it has."""
    try:
        services.fulfillment_allocate(order=order, actor=actor)
    except Exception:
        logger.exception("allocating order %s failed", getattr(order, "pk", order))


def on_order_cancelled(
    sender: Any, *, order: Any, actor: Any = None, reason: str = "", **kwargs: Any
) -> None:
    """Cancelled: release reserved stock and tell the warehouse to stop."""
    try:
        services.fulfillment_stop(order=order, actor=actor, reason=reason or "")
    except Exception:
        logger.exception("stopping order %s failed", getattr(order, "pk", order))


def after_sla_scan(sender: Any = None, **kwargs: Any) -> None:
    """Right after each deadlines scan (Celery's task_postrun of core.scan_sla_clocks):
    e-mail the customers whose delivery notice the scan just fired, and report stages
    that ran past their planned finish. No extra beat entry is needed."""
    if getattr(sender, "name", "") != "core.scan_sla_clocks":
        return
    try:
        services.delivery_notices_send()
        services.progress_delays_scan()
    except Exception:
        logger.exception("fulfillment deadlines after the scan failed")
