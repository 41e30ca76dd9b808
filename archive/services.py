"""Monthly archive: closing a month and the improvement list."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from archive.monthly import ImprovementItem, ImprovementStatus, MonthClose
from archive.reports import month_bounds
from orders.models import Order, OrderEvent, OrderEventKind, OrderStatus

CLOSABLE = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


def _month_end(year: int, month: int) -> datetime:
    """The first moment after the month, in the business time zone."""
    _start, end = month_bounds(year, month)
    return datetime.combine(end + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


@transaction.atomic
def month_close(*, actor: Any, year: int, month: int) -> MonthClose:
    """Archive the orders completed or cancelled by the end of the month; open ones carry over.

    Idempotent: closing again archives what finished late and updates the record. The
    orders move in one statement guarded by the same source states as ``Order.archive``
    (a month can hold thousands of orders); each gets its timeline entry.
    """
    if not actor.has_perm("orders.archive_order"):
        raise PermissionDenied
    end = _month_end(year, month)
    finished_in_time = OrderEvent.objects.filter(
        order=OuterRef("pk"),
        kind=OrderEventKind.TRANSITION,
        to_status__in=CLOSABLE,
        created_at__lt=end,
    )
    any_finish = OrderEvent.objects.filter(
        order=OuterRef("pk"), kind=OrderEventKind.TRANSITION, to_status__in=CLOSABLE
    )
    # Row locks: a concurrent change cannot slip in between the choice and the update.
    to_archive = list(
        Order.objects.select_for_update()
        .filter(status__in=CLOSABLE)
        # Finished in time, or imported finished (no transition of its own) and dated in time.
        .filter(Exists(finished_in_time) | (~Exists(any_finish) & Q(order_date__lt=end.date())))
        .values_list("pk", "status")
    )
    ids = [pk for pk, _status in to_archive]
    Order.objects.filter(pk__in=ids, status__in=CLOSABLE).update(
        status=OrderStatus.ARCHIVED, updated_at=timezone.now()
    )
    period = f"{year}-{month:02d}"
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=pk,
            kind=OrderEventKind.TRANSITION,
            action="archive",
            from_status=status,
            to_status=OrderStatus.ARCHIVED,
            actor=actor,
            note=period,
        )
        for pk, status in to_archive
    )
    carried = (
        # Still open at the end of the month: everything not archived now (late finishers too).
        Order.objects.exclude(
            status__in=[OrderStatus.ARCHIVED, OrderStatus.DRAFT, OrderStatus.REJECTED]
        )
        .filter(order_date__lt=end.date())
        .count()
    )
    close, created = MonthClose.objects.get_or_create(
        period=period,
        defaults={"closed_by": actor, "archived": len(ids), "carried_over": carried},
    )
    if not created:
        close.closed_by, close.closed_at = actor, timezone.now()
        close.archived += len(ids)
        close.carried_over = carried
        close.runs += 1
        close.save()
    return close


@transaction.atomic
def improvement_save(*, actor: Any, item: ImprovementItem) -> ImprovementItem:
    if item.pk is None:
        item.created_by = actor
    if item.status == ImprovementStatus.DONE and item.done_at is None:
        item.done_at = timezone.now()
    item.full_clean()
    item.save()
    return item


def improvements_for(*, year: int, month: int) -> list[ImprovementItem]:
    """Items raised up to this month that are still open, plus those finished in it."""
    period = f"{year}-{month:02d}"
    start = datetime.combine(
        month_bounds(year, month)[0], time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )
    return list(
        ImprovementItem.objects.filter(period__lte=period)
        .filter(~Q(status=ImprovementStatus.DONE) | Q(done_at__gte=start))
        .select_related("owner")
        .order_by("status", "due_date")
    )
