"""Keyset pagination and incremental sync (docs/api.md, "Lists and sync").

A list is read page by page with an opaque ``cursor`` (the ``next_cursor`` of the page
before): the query continues after the last row seen on an index, so page 10,000 costs
what page 1 costs. Without ``updated_since`` a list is newest first
(``created_at, id`` descending); with it, oldest change first (``updated_at, id``
ascending) — an ERP keeps its last ``next_cursor`` (or the greatest ``updated_at`` it
saw) and asks again later for what changed since.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.errors import Invalid

MSG_BAD_MOMENT = _("This moment is out of range.")
MSG_BAD_CURSOR = _("This cursor is not valid; start again without one.")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def as_utc(moment: datetime, name: str) -> datetime:
    """``moment`` in UTC (a naive one is local time): the database takes any moment in UTC,
    but not every offset a client may write (PostgreSQL stops at ±15:59)."""
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise Invalid(fields={name: [str(MSG_BAD_MOMENT)]}) from None


def _encode(field: str, value: datetime, pk: int) -> str:
    raw = json.dumps([field, value.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, field: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, pk = json.loads(raw)
        moment = parse_datetime(value)
        if name != field or moment is None or not isinstance(pk, int):
            raise ValueError(cursor)
        return moment, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(MSG_BAD_CURSOR, fields={"cursor": [str(MSG_BAD_CURSOR)]}) from None


def keyset_page(
    queryset: QuerySet[Any],
    *,
    cursor: str | None,
    limit: int,
    updated_since: datetime | None = None,
    newest: str = "created_at",
    changed: str = "updated_at",
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` and the cursor of the next (None on the last page).

    ``newest``: the moment a list is sorted by, newest first; ``changed``: the moment of a
    row's last change, for ``updated_since``."""
    limit = max(1, min(limit, MAX_LIMIT))
    if updated_since is not None:
        updated_since = as_utc(updated_since, "updated_since")
        field, descending = changed, False
        queryset = queryset.filter(**{f"{changed}__gte": updated_since})
    else:
        field, descending = newest, True
    if cursor:
        value, pk = _decode(cursor, field)
        value = as_utc(value, "cursor")
        # The bound on ``field`` alone is what the index can seek to; the OR then only
        # sorts out the rows of that one moment (without it the planner walks the index
        # from the top: page 10,000 would cost 10,000 pages).
        if descending:
            after = Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
        else:
            after = Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))
        queryset = queryset.filter(after)
    sign = "-" if descending else ""
    rows = list(queryset.order_by(f"{sign}{field}", f"{sign}pk")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        if isinstance(last, dict):  # a .values() queryset
            next_cursor = _encode(field, last[field], last["id"])
        else:
            next_cursor = _encode(field, getattr(last, field), last.pk)
    return rows, next_cursor
