"""What the customer side says about an order beside its delivery date (``core.panels``
order badges, registered in ``CustomerPortalConfig.ready()``): production waiting for the
customer's online confirmation, and the customer's choice on a delivery at risk — what
logistics and sales need to see in the order list and on the order page."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from core.panels import OrderBadge
from customer_portal.models import (
    ConfirmationKind,
    CustomerConfirmation,
    CustomerPortalSettings,
    DeliveryRiskOffer,
    RiskChoice,
)
from orders.models import Order, OrderStatus


def customer_badges(user: Any, order_ids: list[int]) -> dict[int, list[OrderBadge]]:
    """Two queries for a page of orders (three when production waits for customers)."""
    badges: dict[int, list[OrderBadge]] = {}
    if CustomerPortalSettings.current().confirmation_required:
        confirmed = CustomerConfirmation.objects.filter(
            order=OuterRef("pk"),
            kind=ConfirmationKind.CONFIRMED,
            created_at__gte=OuterRef("confirmed_at"),
        )
        waiting = (
            Order.objects.filter(pk__in=order_ids, status=OrderStatus.CONFIRMED)
            .exclude(Exists(confirmed))
            .values_list("pk", flat=True)
        )
        for order_id in waiting:
            badges.setdefault(order_id, []).append(
                OrderBadge(
                    label=_("Waiting for the customer's confirmation"),
                    tone="warning",
                    testid="customer-confirmation-badge",
                )
            )
    answers = (
        DeliveryRiskOffer.objects.filter(order_id__in=order_ids, answered_at__isnull=False)
        .order_by("order_id", "-answered_at")
        .values("order_id", "choice", "new_date")
    )
    seen: set[int] = set()
    for row in answers:
        if row["order_id"] in seen:
            continue
        seen.add(row["order_id"])
        badges.setdefault(row["order_id"], []).append(
            OrderBadge(
                label=_("Customer's choice: %(choice)s")
                % {"choice": RiskChoice(row["choice"]).label},
                tone="info",
                testid="customer-risk-badge",
            )
        )
    return badges
