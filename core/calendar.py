"""The business calendar: working hours and working days in China (docs/workflow.md §5).

A day is a working day when

1. the company's own :class:`~core.models.CalendarOverride` says so (it always wins);
2. else ``chinesecalendar`` knows the year: its official schedule, holidays and
   the weekend days worked instead (调休) included;
3. else (a year the package does not cover yet, e.g. 2027 with 1.11): Monday to
   Friday less the statutory public holidays, computed by rule
   (:func:`statutory_holidays`, with the lunar calendar of ``borax``; why that
   library: docs/decisions/0005-holiday-fallback.md). The rule knows the
   statutory days only: the extra days off of the official schedule and the
   weekend days worked instead (调休) are decided by the State Council each
   year and cannot be computed, so :func:`calendar_coverage_warnings` tells the
   admins until the year's official schedule has been imported as overrides
   (``manage.py calendar_import``).

Working hours are ``BUSINESS_DAY_START``–``BUSINESS_DAY_END`` (default 09:00–18:00)
in ``BUSINESS_TIME_ZONE`` (default Asia/Shanghai), the same on every working day.

A :class:`BusinessCalendar` caches what it looked up: overrides are loaded one
year at a time with one query, so a loop over many days costs one query per year
touched. Create one per request / scan; it does not notice later admin edits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from borax.calendars.lunardate import LunarDate, TermUtils
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# A safety net: nothing in the business adds years of working time; a loop that
# runs longer than this is a bug (e.g. every day overridden as a day off).
MAX_DAYS_SCANNED = 3 * 366


@functools.cache
def package_covers(year: int) -> bool:
    """Whether ``chinesecalendar`` has the official schedule of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


# The statutory public holidays (全国年节及纪念日放假办法) as in force since 2025:
# 元旦 1 day, 春节 4 days (除夕 and lunar 1/1–1/3), 清明 1 day (the solar term),
# 劳动节 2 days (1–2 May), 端午 1 day (lunar 5/5), 中秋 1 day (lunar 8/15),
# 国庆 3 days (1–3 October). Earlier years had other rules and are all known to
# chinesecalendar; ``borax`` knows the lunar calendar up to 2100.
STATUTORY_RULES_FIRST_YEAR = 2025
STATUTORY_RULES_LAST_YEAR = 2100

NEW_YEAR = gettext_noop("New Year's Day")
SPRING_FESTIVAL = gettext_noop("Spring Festival")
QINGMING = gettext_noop("Qingming Festival")
LABOUR_DAY = gettext_noop("Labour Day")
DRAGON_BOAT = gettext_noop("Dragon Boat Festival")
MID_AUTUMN = gettext_noop("Mid-Autumn Festival")
NATIONAL_DAY = gettext_noop("National Day")


@functools.cache
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory public holidays of ``year`` by rule: day -> holiday name (untranslated).

    Only the statutory days: the official schedule adds bridge days and moves
    weekend days (调休), which no rule can know. Empty for years the rule does
    not describe (see ``STATUTORY_RULES_FIRST_YEAR``).
    """
    if not STATUTORY_RULES_FIRST_YEAR <= year <= STATUTORY_RULES_LAST_YEAR:
        return {}
    lunar_new_year = LunarDate(year, 1, 1).to_solar_date()
    days = {
        date(year, 1, 1): NEW_YEAR,
        # 除夕 is the last day of the 12th lunar month, 29th or 30th: the day before 1/1.
        **{lunar_new_year + timedelta(days=n): SPRING_FESTIVAL for n in range(-1, 3)},
        TermUtils.nth_term_day(year, term_name="清明"): QINGMING,
        date(year, 5, 1): LABOUR_DAY,
        date(year, 5, 2): LABOUR_DAY,
        LunarDate(year, 5, 5).to_solar_date(): DRAGON_BOAT,
    }
    # Mid-Autumn can fall on 1–3 October (e.g. 2028): one day off either way.
    days.update({date(year, 10, n): NATIONAL_DAY for n in (1, 2, 3)})
    days.setdefault(LunarDate(year, 8, 15).to_solar_date(), MID_AUTUMN)
    return days


def _parse_time(value: str | time) -> time:
    if isinstance(value, time):
        return value
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class BusinessCalendar:
    """Working days and hours, with per-instance caches (see the module docstring)."""

    def __init__(
        self,
        *,
        day_start: str | time | None = None,
        day_end: str | time | None = None,
        tz: str | None = None,
    ) -> None:
        self.tz = ZoneInfo(str(tz or settings.BUSINESS_TIME_ZONE))
        self.day_start = _parse_time(day_start or str(settings.BUSINESS_DAY_START))
        self.day_end = _parse_time(day_end or str(settings.BUSINESS_DAY_END))
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")
        self._overrides: dict[date, bool] = {}
        self._years_loaded: set[int] = set()
        self._days: dict[date, bool] = {}

    # --- days -------------------------------------------------------------------
    def _load_year(self, year: int) -> None:
        if year in self._years_loaded:
            return
        from core.models import CalendarOverride

        rows = CalendarOverride.objects.filter(date__year=year).values_list(
            "date", "is_working_day"
        )
        self._overrides.update(dict(rows))
        self._years_loaded.add(year)

    def is_working_day(self, day: date) -> bool:
        cached = self._days.get(day)
        if cached is not None:
            return cached
        self._load_year(day.year)
        if day in self._overrides:
            result = self._overrides[day]
        elif package_covers(day.year):
            result = bool(chinese_calendar.is_workday(day))
        else:
            result = day.weekday() < 5 and day not in statutory_holidays(day.year)
        self._days[day] = result
        return result

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days from ``start`` to ``end``, both included."""
        days = []
        day = start
        while day <= end:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day``."""
        for _i in range(MAX_DAYS_SCANNED):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {MAX_DAYS_SCANNED} days after {day}")

    # --- moments ----------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        if timezone.is_naive(moment):
            raise ValueError("the business calendar needs aware datetimes")
        return moment.astimezone(self.tz)

    def _open(self, day: date) -> datetime:
        return datetime.combine(day, self.day_start, tzinfo=self.tz)

    def _close(self, day: date) -> datetime:
        return datetime.combine(day, self.day_end, tzinfo=self.tz)

    @property
    def working_day_length(self) -> timedelta:
        return datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)

    def is_working_time(self, moment: datetime) -> bool:
        local = self._local(moment)
        day = local.date()
        return self.is_working_day(day) and self._open(day) <= local < self._close(day)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of working time has passed after ``start``.

        Time outside working hours does not count: 2 working hours from 17:30
        on a Friday end at 10:30 on the next working day. A duration that ends
        exactly at closing time ends at closing time, not at the next opening.
        """
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        current = self._local(start)
        if duration == timedelta(0):
            return current
        remaining = duration
        for _i in range(MAX_DAYS_SCANNED):
            day = current.date()
            if self.is_working_day(day):
                current = max(current, self._open(day))
                close = self._close(day)
                if current < close:
                    available = close - current
                    if remaining <= available:
                        return current + remaining
                    remaining -= available
            current = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        raise ValueError(f"no end within {MAX_DAYS_SCANNED} days of {start}")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_time(start, timedelta(hours=hours))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same time of day on the ``days``-th working day after ``start``.

        A start outside working hours counts from the next opening: 3 working
        days from Saturday 11:00 end at 09:00 on the third working day after
        the following Monday.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        current = self._local(start)
        day = current.date()
        if not self.is_working_day(day) or current >= self._close(day):
            day = self.next_working_day(day)
            current = self._open(day)
        elif current < self._open(day):
            current = self._open(day)
        for _i in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, current.timetz())

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_time_between(end, start)
        start, end = self._local(start), self._local(end)
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                begin = max(start, self._open(day))
                finish = min(end, self._close(day))
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total


# --- module-level shortcuts (a fresh calendar each call: always current overrides) --
def is_working_day(day: date) -> bool:
    return BusinessCalendar().is_working_day(day)


def add_working_hours(start: datetime, hours: float) -> datetime:
    return BusinessCalendar().add_working_hours(start, hours)


def add_working_days(start: datetime, days: int) -> datetime:
    return BusinessCalendar().add_working_days(start, days)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    return BusinessCalendar().working_time_between(start, end)


# --- coverage -------------------------------------------------------------------
def year_schedule_entered(year: int) -> bool:
    """Whether the admins entered ``year``'s official schedule as overrides.

    Every official schedule has public holidays on weekdays (New Year, Spring
    Festival, National Day…), so one weekday entered as a day off counts as
    "entered"; an extra company working day alone does not.
    """
    from core.models import CalendarOverride

    return CalendarOverride.objects.filter(
        date__year=year, is_working_day=False, date__iso_week_day__lte=5
    ).exists()


def uncovered_years(years: Iterable[int]) -> list[int]:
    """The years among ``years`` with no official schedule: not in the package, not entered.

    Their statutory holidays are known by rule, their 调休 is not.
    """
    return sorted(
        year for year in set(years) if not package_covers(year) and not year_schedule_entered(year)
    )


def years_to_check(today: date | None = None) -> set[int]:
    """This year, next year once its schedule is due, and the years open clocks fall due in."""
    from core.models import SlaClock

    today = today or timezone.localdate()
    years = {today.year}
    if today.month >= settings.CALENDAR_WARN_NEXT_YEAR_FROM_MONTH:
        years.add(today.year + 1)
    years.update(moment.year for moment in SlaClock.objects.open().datetimes("due_at", "year"))
    return years


def calendar_coverage_warnings(today: date | None = None) -> list[str]:
    """Messages for the admins about years whose working days are partly guessed.

    Safe to call from any page: it never raises because of the calendar package.
    """
    return [
        _(
            "%(year)s: holidays by statutory rule; swapped working days (调休) not known "
            "until the official schedule is imported. The chinesecalendar package does not "
            "know %(year)s yet, so deadlines in %(year)s skip weekends and the statutory "
            "public holidays only: the official schedule's extra days off and the weekend "
            "days worked instead are missing. Import the %(year)s schedule with "
            '"manage.py calendar_import FILE.csv" (or enter it as calendar overrides), '
            "or upgrade the chinesecalendar package."
        )
        % {"year": year}
        for year in uncovered_years(years_to_check(today))
    ]


def calendar_fallback_help() -> str:
    """How days are known for a year without an official schedule (admin help text)."""
    return _(
        "For a year the chinesecalendar package does not know yet, the statutory public "
        "holidays are known by rule (New Year's Day, Spring Festival eve and first three "
        "days, Qingming, 1–2 May, Dragon Boat, Mid-Autumn, 1–3 October) and weekends are "
        "off. Swapped working days (调休) and the extra days off of the official schedule "
        "are not known until the official schedule is imported: "
        '"manage.py calendar_import FILE.csv" with the columns date, is_working_day, note.'
    )
