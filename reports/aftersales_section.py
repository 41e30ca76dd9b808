"""After-sales figures of the monthly review: satisfaction, complaints, acceptance issues.

Complaints and acceptance issues are kept apart: the complaint rate counts only the
tickets opened from a customer's complaint (``TicketSource.COMPLAINT``) against the orders
delivered in the month; the issues the customer raised when signing (acceptance issues,
and the tickets opened from them) have their own figure, against the orders accepted in
the month.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_lazy as _

from aftersales.models import (
    Acceptance,
    AcceptanceIssue,
    AftersalesTicket,
    FollowUpVisit,
    IssueType,
    TicketSource,
)
from orders.models import OrderEvent
from reports.selectors import NO_ACCEPTANCES, NO_DELIVERIES, NO_VISITS, Figure, rate, ratio


def _span(start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def aftersales_figures(start: date, end: date) -> dict[str, Any]:
    """A handful of aggregate queries, whatever the number of orders."""
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
    complaints = AftersalesTicket.objects.filter(
        opened_at__gte=begin, opened_at__lt=finish, source=TicketSource.COMPLAINT
    ).count()
    accepted = Acceptance.objects.filter(recorded_at__gte=begin, recorded_at__lt=finish).aggregate(
        orders=Count("pk"),
        with_issues=Count("pk", filter=Q(issues__isnull=False), distinct=True),
    )
    delivered = (
        OrderEvent.objects.filter(
            kind="transition", to_status="delivered", created_at__gte=begin, created_at__lt=finish
        )
        .values("order")
        .distinct()
        .count()
    )
    average = summary["average"]
    average = None if average is None else Decimal(str(average)).quantize(Decimal("0.01"))
    return {
        "average": average,
        "count": summary["count"],
        "distribution": [(score, counts.get(score, 0)) for score in range(1, 6)],
        "issue_types": issue_types,
        "issues": sum(row["count"] for row in issue_types),
        "complaints": complaints,
        "delivered": delivered,
        "complaint_rate": rate(complaints, delivered),
        "accepted": accepted["orders"],
        "accepted_with_issues": accepted["with_issues"],
        "acceptance_issue_rate": rate(accepted["with_issues"], accepted["orders"]),
        "figures": [
            Figure(
                "satisfaction",
                _("Satisfaction (1–5)"),
                average,
                summary["count"],
                empty=NO_VISITS,
            ),
            ratio("complaint_rate", _("Complaint rate"), complaints, delivered, NO_DELIVERIES),
            ratio(
                "acceptance_issue_rate",
                _("Orders accepted with issues"),
                accepted["with_issues"],
                accepted["orders"],
                NO_ACCEPTANCES,
            ),
        ],
    }
