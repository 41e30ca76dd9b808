"""After-sales figures of the monthly review: satisfaction, acceptance issues, complaint rate."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count

from aftersales.models import AcceptanceIssue, AftersalesTicket, FollowUpVisit, IssueType
from orders.models import OrderEvent


def _span(start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def aftersales_figures(start: date, end: date) -> dict[str, Any]:
    """Four aggregate queries, whatever the number of orders."""
    begin, finish = _span(start, end)
    visits = FollowUpVisit.objects.filter(visit_date__gte=start, visit_date__lte=end)
    summary = visits.aggregate(average=Avg("satisfaction"), count=Count("pk"))
    counts = dict(
        visits.values_list("satisfaction").annotate(n=Count("pk")).values_list("satisfaction", "n")
    )
    labels = dict(IssueType.choices)
    issue_types = [
        {
            "type": row["issue_type"],
            "label": labels.get(row["issue_type"], row["issue_type"]),
            "count": row["n"],
        }
        for row in AcceptanceIssue.objects.filter(created_at__gte=begin, created_at__lt=finish)
        .values("issue_type")
        .annotate(n=Count("pk"))
        .order_by("-n", "issue_type")
    ]
    tickets = AftersalesTicket.objects.filter(opened_at__gte=begin, opened_at__lt=finish).count()
    delivered = (
        OrderEvent.objects.filter(
            kind="transition", to_status="delivered", created_at__gte=begin, created_at__lt=finish
        )
        .values("order")
        .distinct()
        .count()
    )
    average = summary["average"]
    return {
        "average": None if average is None else Decimal(str(average)).quantize(Decimal("0.01")),
        "count": summary["count"],
        "distribution": [(score, counts.get(score, 0)) for score in range(1, 6)],
        "issue_types": issue_types,
        "tickets": tickets,
        "delivered": delivered,
        "complaint_rate": None
        if not delivered
        else (Decimal(tickets) * 100 / delivered).quantize(Decimal("0.1")),
    }
