"""Core's read queries: "my work", notifications and the counts on every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from core.models import Notification, SlaClock


def my_open_clocks(*, user: Any, now: datetime | None = None) -> QuerySet[SlaClock]:
    """Open clocks ``user`` owns or that were escalated to them; overdue first, then by due time.

    Overdue clocks come most-late first; the others soonest first.
    """
    now = now or timezone.now()
    return (
        SlaClock.objects.open()
        .filter(Q(owner=user) | Q(escalate_to=user, escalated_at__isnull=False))
        .annotate(
            overdue=Case(
                When(due_at__lte=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("owner", "content_type")
        .prefetch_related("target")
        .order_by("-overdue", "due_at", "pk")
    )


def clock_counts(*, user: Any, now: datetime | None = None) -> dict[str, int]:
    """How many open clocks ``user`` owns and how many of them are overdue (one query)."""
    now = now or timezone.now()
    return (
        SlaClock.objects.open()
        .filter(owner=user)
        .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lte=now)))
    )


def unread_notification_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user).unread().count()


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.unread()
    return notifications.order_by("-created_at", "-id")
