"""The customer side's part in other apps' steps (core.actions.on), inside their transaction.

* Every customer-facing step (approval, production start, each shipment, delivery,
  acceptance, completion, cancellation) re-sends the order's link to every contact who
  holds one, with the news (SMS + e-mail through the outbox, once per step).
* The final approval: when production waits for the customer's confirmation (company
  setting), the link goes to the order's contact (one is made if needed) and the
  confirmation clock starts, owned by the sales owner.
* Stock confirmation / service scheduling (production start) is refused while the
  customer has not confirmed, when the setting says production waits.
* A cancellation stops the confirmation clock.

Registered by CustomerPortalConfig.ready().
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.actions import Step, on
from core.errors import WrongState
from core.services import sla_clock_cancel
from customer_portal import services
from orders.models import Order, OrderStatus

MSG_WAITS_FOR_CUSTOMER = _(
    "The customer has not confirmed the order yet: production waits for the customer's "
    "confirmation (company setting)."
)

# Steps the customer hears about: action name → the order statuses after which they do.
CUSTOMER_FACING = {
    "order.approve": (OrderStatus.CONFIRMED,),
    "order.director_approve": (OrderStatus.CONFIRMED,),
    "fulfillment.confirm_stock": (OrderStatus.PREPARING,),
    "fulfillment.schedule_service": (OrderStatus.SERVICE_SCHEDULED,),
    "fulfillment.dispatch": None,  # each (partial) shipment
    "fulfillment.deliver": (OrderStatus.DELIVERED,),
    "aftersales.accept": (OrderStatus.ACCEPTED,),
    "order.complete": (OrderStatus.COMPLETED,),
    "order.cancel_approve": (OrderStatus.CANCELLED,),
}


def _order(step: Step[Any]) -> Order | None:
    root = step.root
    return root if isinstance(root, Order) else None


def _occasion(step: Step[Any], order: Order) -> str:
    ref = getattr(step.result, "pk", None) or ""
    return f"{step.action.name}:{order.status}:{ref}:{order.updated_at.timestamp()}"


def notify_customer(step: Step[Any]) -> None:
    order = _order(step)
    if order is None:
        return
    statuses = CUSTOMER_FACING.get(step.action.name)
    if statuses is not None and order.status not in statuses:
        return
    confirmed_now = step.action.name in ("order.approve", "order.director_approve")
    company = services.portal_settings()
    ensure = confirmed_now and company.confirmation_required
    template = "link" if confirmed_now else "update"
    services.links_notify(order, occasion=_occasion(step, order), template=template, ensure=ensure)
    if ensure:
        services.confirmation_clock_start(order)


def production_waits(step: Step[Any]) -> None:
    """Refuse to start production before the customer's confirmation (when required)."""
    order = _order(step)
    if order is None or not services.portal_settings().confirmation_required:
        return
    if services.confirmation_of(order) is None:
        raise WrongState(MSG_WAITS_FOR_CUSTOMER)


def confirmation_clock_stop(step: Step[Any]) -> None:
    order = _order(step)
    if order is not None and order.status == OrderStatus.CANCELLED:
        sla_clock_cancel(target=order, kind=services.CONFIRMATION_CLOCK)


def register() -> None:
    # Production waits first: a refused start sends nothing.
    on("fulfillment.confirm_stock")(production_waits)
    on("fulfillment.schedule_service")(production_waits)
    on("order.cancel_approve")(confirmation_clock_stop)
    for name in CUSTOMER_FACING:
        on(name)(notify_customer)
