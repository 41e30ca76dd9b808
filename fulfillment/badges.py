"""The delivery date as sales and logistics see it on the order page and in the order list
(``core.panels`` order badges, registered in ``FulfillmentConfig.ready()``): a deliverable
date later than requested that is still to agree with the customer, or the customer's answer
— the date agreed (docs/workflow.md §4, "date later than requested → flagged for
negotiation")."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core.panels import OrderBadge
from fulfillment.models import CustomerAnswer, OrderFulfillment


def delivery_date_badges(user: Any, order_ids: list[int]) -> dict[int, list[OrderBadge]]:
    """One query for a page of orders: the negotiation flag or the answer, per order."""
    rows = OrderFulfillment.objects.filter(
        order_id__in=order_ids, needs_negotiation=True, stopped_at__isnull=True
    ).values("order_id", "deliverable_date", "promised_date", "customer_answer")
    badges: dict[int, list[OrderBadge]] = {}
    for row in rows:
        deliverable = row["deliverable_date"].isoformat() if row["deliverable_date"] else "—"
        url = reverse("fulfillment:order", args=[row["order_id"]])
        answer = row["customer_answer"]
        if answer == CustomerAnswer.ACCEPTED and row["promised_date"]:
            badge = OrderBadge(
                label=_("Agreed delivery %(date)s") % {"date": row["promised_date"].isoformat()},
                tone="success",
                testid="agreed-date",
                url=url,
            )
        elif answer == CustomerAnswer.PARTIAL:
            badge = OrderBadge(
                label=_("Partial delivery agreed"),
                detail=_("Deliverable date %(date)s") % {"date": deliverable},
                tone="info",
                testid="agreed-date",
                url=url,
            )
        elif answer == CustomerAnswer.INSISTS:
            badge = OrderBadge(
                label=_("Customer insists on the requested date"),
                detail=_("Deliverable date %(date)s") % {"date": deliverable},
                tone="danger",
                testid="negotiation-flag",
                url=url,
            )
        else:
            badge = OrderBadge(
                label=_("To negotiate"),
                detail=_("Deliverable date %(date)s") % {"date": deliverable},
                tone="warning",
                testid="negotiation-flag",
                url=url,
            )
        badges[row["order_id"]] = [badge]
    return badges
