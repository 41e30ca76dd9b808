"""The month close: the data admin closes a month, its finished orders become archived.

The month close archives each order through the orders' own ``order.archive`` action
(core.actions): the same transition, timeline row and read-only rule as any step.
The month's archive package (xlsx + PDFs, zipped) is archive/packages.py.

The month to close is normally the last full one (:func:`last_full_month`, what the page
offers). A month that has not ended yet may be closed only with an explicit confirmation
(:data:`MSG_MONTH_NOT_OVER` says what it does); a month that has not begun is refused.
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.exceptions import ArchiveError, ArchiveInvalid
from archive.models import MonthClose
from archive.periods import month_bounds, month_end
from core.actions import perform
from core.errors import Forbidden, WrongState
from orders.models import Order, OrderEvent, OrderEventKind, OrderStatus

CLOSABLE = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)

MSG_MONTH_NOT_OVER = _(
    "%(period)s has not ended yet (it ends on %(last_day)s). Closing it now archives the "
    "orders completed or cancelled so far: they become read-only at once. Orders finished "
    "later this month stay open until the month is closed again."
)
MSG_MONTH_NOT_BEGUN = _("%(period)s has not begun; a month can be closed once it has begun.")


class MonthNotOver(ArchiveError):
    """Closing a month that has not ended needs the data admin's explicit confirmation (409)."""

    default_code = "month_not_over"


def last_full_month(today: date | None = None) -> tuple[int, int]:
    """The month before ``today``'s (the business calendar's today): what a close is for."""
    today = today or timezone.localdate()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def month_is_over(year: int, month: int) -> bool:
    """Whether the month has ended (in the business time zone)."""
    return timezone.now() >= month_end(year, month)


def month_not_over_message(year: int, month: int) -> str:
    """What closing the unfinished month does, for the confirmation the page asks for."""
    return str(
        MSG_MONTH_NOT_OVER
        % {"period": f"{year}-{month:02d}", "last_day": f"{month_bounds(year, month)[1]:%Y-%m-%d}"}
    )


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


def month_close(
    *,
    actor: User,
    year: int,
    month: int,
    batch: int = MONTH_CLOSE_BATCH,
    unfinished_confirmed: bool = False,
) -> MonthClose:
    """Archive the orders completed or cancelled by the end of the month; open ones carry over.

    A month not yet begun is refused (``ArchiveInvalid``); one not yet ended is refused
    (``MonthNotOver``) unless ``unfinished_confirmed`` says the data admin confirmed it.

    Each order takes its own ``order.archive`` action (the FSM transition, its timeline
    row, the hooks of other apps), ``batch`` orders per transaction; the batch adds its
    count to the month's record in the same transaction. Idempotent: closing again
    archives what finished late (or what a crashed run left) and records the run.
    """
    if not actor.has_perm("orders.archive_order"):
        raise Forbidden()
    period = f"{year}-{month:02d}"
    if date(year, month, 1) > timezone.localdate():
        raise ArchiveInvalid(MSG_MONTH_NOT_BEGUN % {"period": period})
    if not unfinished_confirmed and not month_is_over(year, month):
        raise MonthNotOver(month_not_over_message(year, month))
    end = month_end(year, month)
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
