"""After-sales figures of the monthly review: satisfaction, complaints, acceptance issues.

Like every figure of the report, these count the month's own orders (reports.selectors):
their follow-up visits, acceptances and tickets, whenever they happened.

Complaints and acceptance issues are kept apart: the complaint rate counts only the
tickets opened from a customer's complaint (``TicketSource.COMPLAINT``) against the
month's orders delivered so far; the issues the customer raised when signing (acceptance
issues, and the tickets opened from them) have their own figure, against the month's
orders accepted so far.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_lazy as _

from aftersales.models import (
    Acceptance,
    AcceptanceIssue,
    AftersalesTicket,
    FollowUpVisit,
    IssueType,
    SatisfactionSurvey,
    TicketSource,
)
from orders.models import OrderEvent
from reports.selectors import (
    NO_ACCEPTANCES,
    NO_DELIVERIES,
    NO_VISITS,
    Figure,
    month_orders,
    rate,
    ratio,
)

# Said in the review when no customer answered the online survey.
NO_SURVEYS = _("No online surveys this month; cannot be calculated.")


def aftersales_figures(start: date, end: date) -> dict[str, Any]:
    """A handful of aggregate queries, whatever the number of orders."""
    month_ids = month_orders(start, end).values("pk")
    visits = FollowUpVisit.objects.filter(order__in=month_ids)
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
        for row in AcceptanceIssue.objects.filter(acceptance__order__in=month_ids)
        .values("issue_type")
        .annotate(n=Count("pk"))
        .order_by("-n", "issue_type")
    ]
    # A request the customer opened on their page (source "online") is a complaint too.
    complaints = AftersalesTicket.objects.filter(
        order__in=month_ids, source__in=(TicketSource.COMPLAINT, TicketSource.ONLINE)
    ).count()
    # The customers' own online surveys (customer_portal); a low score is a call to make.
    surveys = SatisfactionSurvey.objects.filter(order__in=month_ids).aggregate(
        average=Avg("score"), count=Count("pk"), low=Count("pk", filter=Q(low_score=True))
    )
    survey_average = surveys["average"]
    if survey_average is not None:
        survey_average = Decimal(str(survey_average)).quantize(Decimal("0.01"))
    accepted = Acceptance.objects.filter(order__in=month_ids).aggregate(
        orders=Count("pk"),
        with_issues=Count("pk", filter=Q(issues__isnull=False), distinct=True),
    )
    delivered = (
        OrderEvent.objects.filter(kind="transition", to_status="delivered", order__in=month_ids)
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
        "survey_average": survey_average,
        "survey_count": surveys["count"],
        "survey_low": surveys["low"],
        "figures": [
            Figure(
                "satisfaction",
                _("Satisfaction (1–5)"),
                average,
                summary["count"],
                empty=NO_VISITS,
            ),
            Figure(
                "survey",
                _("Online survey (1–5)"),
                survey_average,
                surveys["count"],
                empty=NO_SURVEYS,
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
