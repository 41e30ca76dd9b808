"""The month close: the data admin closes a month, its finished orders become archived.

The month close archives each order through the orders' own ``order.archive`` action
(core.actions): the same transition, timeline row and read-only rule as any step.
The month's archive package (xlsx + PDFs, zipped) is archive/packages.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from archive.models import MonthClose
from archive.periods import month_end
from core.actions import perform
from core.errors import Forbidden, WrongState
from orders.models import Order, OrderEvent, OrderEventKind, OrderStatus

CLOSABLE = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)

# Orders archived per transaction: a crash keeps the batches done (closing again finishes
# the month), and no transaction holds thousands of row locks at once.
MONTH_CLOSE_BATCH = 500


def _to_archive(end: datetime) -> list[int]:
    """The orders of the month to archive: completed or cancelled by ``end`` (or imported
    finished, without a transition of their own, and dated before it)."""
    finished_in_time = OrderEvent.objects.filter(
        order=OuterRef("pk"),
        kind=OrderEventKind.TRANSITION,
        to_status__in=CLOSABLE,
        created_at__lt=end,
    )
    any_finish = OrderEvent.objects.filter(
        order=OuterRef("pk"), kind=OrderEventKind.TRANSITION, to_status__in=CLOSABLE
    )
    return list(
        Order.objects.filter(status__in=CLOSABLE)
        .filter(Exists(finished_in_time) | (~Exists(any_finish) & Q(order_date__lt=end.date())))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def month_close(*, actor: Any, year: int, month: int, batch: int = MONTH_CLOSE_BATCH) -> MonthClose:
    """Archive the orders completed or cancelled by the end of the month; open ones carry over.

    Each order takes its own ``order.archive`` action (the FSM transition, its timeline
    row, the hooks of other apps), ``batch`` orders per transaction; the batch adds its
    count to the month's record in the same transaction. Idempotent: closing again
    archives what finished late (or what a crashed run left) and records the run.
    """
    if not actor.has_perm("orders.archive_order"):
        raise Forbidden()
    end = month_end(year, month)
    period = f"{year}-{month:02d}"
    with transaction.atomic():
        close, created = MonthClose.objects.select_for_update().get_or_create(
            period=period, defaults={"closed_by": actor, "archived": 0, "carried_over": 0}
        )
        if not created:
            close.closed_by, close.closed_at = actor, timezone.now()
            close.runs += 1
            close.save(update_fields=["closed_by", "closed_at", "runs"])
    ids = _to_archive(end)
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            archived = 0
            # Read in the batch's transaction; each order is locked by its action.
            for order in Order.objects.filter(pk__in=ids[start : start + batch]).order_by("pk"):
                try:
                    perform("order.archive", actor=actor, obj=order, note=period)
                except WrongState:
                    continue  # moved meanwhile (another close archived it): not ours to count
                archived += 1
            MonthClose.objects.filter(pk=close.pk).update(archived=F("archived") + archived)
    carried = (
        # Still open at the end of the month: everything not archived now (late finishers too).
        Order.objects.exclude(
            status__in=[OrderStatus.ARCHIVED, OrderStatus.DRAFT, OrderStatus.REJECTED]
        )
        .filter(order_date__lt=end.date())
        .count()
    )
    MonthClose.objects.filter(pk=close.pk).update(carried_over=carried)
    close.refresh_from_db()
    return close
