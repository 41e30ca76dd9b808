"""Calendar months, the unit of the month close and its packages (the reports app reads
the same months)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and the last day of the month."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def month_end(year: int, month: int) -> datetime:
    """The first moment after the month, in the business time zone."""
    _start, end = month_bounds(year, month)
    return datetime.combine(end + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
