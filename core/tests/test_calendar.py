"""The business calendar against China's real 2025 / 2026 schedules (chinesecalendar 1.11)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.calendar import BusinessCalendar
from core.tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar()


def test_clock_started_friday_1730_is_due_next_working_day_1030(calendar):
    # 2025-11-21 is an ordinary Friday; Monday 2025-11-24 an ordinary working day.
    assert calendar.add_working_hours(at(2025, 11, 21, 17, 30), 2) == at(2025, 11, 24, 10, 30)


def test_clock_started_before_opening_counts_from_opening(calendar):
    assert calendar.add_working_hours(at(2025, 11, 24, 7, 0), 2) == at(2025, 11, 24, 11, 0)


def test_clock_ending_at_closing_time_ends_that_day(calendar):
    assert calendar.add_working_hours(at(2025, 11, 24, 16, 0), 2) == at(2025, 11, 24, 18, 0)


def test_clock_started_last_working_afternoon_before_national_day_2025_is_due_after_it(calendar):
    # Tuesday 2025-09-30 is the last working day; 1–8 October are off.
    start = at(2025, 9, 30, 16, 30)
    assert calendar.add_working_hours(start, 2) == at(2025, 10, 9, 9, 30)
    assert calendar.add_working_days(start, 1) == at(2025, 10, 9, 16, 30)


def test_national_day_2025_holidays_are_days_off(calendar):
    for day in range(1, 9):
        assert not calendar.is_working_day(date(2025, 10, day)), day


def test_worked_sunday_2025_09_28_is_a_working_day(calendar):
    assert date(2025, 9, 28).weekday() == 6
    assert calendar.is_working_day(date(2025, 9, 28))
    # A clock started on the Saturday runs on the Sunday, not on Monday.
    assert calendar.add_working_hours(at(2025, 9, 27, 10), 1) == at(2025, 9, 28, 10)


def test_worked_saturday_2025_10_11_is_a_working_day(calendar):
    assert calendar.is_working_day(date(2025, 10, 11))


def test_spring_festival_2026_clock_started_last_working_afternoon_is_due_after_it(calendar):
    # 2026: Saturday 14 Feb is worked, 15–23 Feb are off, work resumes Tuesday 24 Feb.
    assert date(2026, 2, 14).weekday() == 5
    assert calendar.is_working_day(date(2026, 2, 14))
    for day in range(15, 24):
        assert not calendar.is_working_day(date(2026, 2, day)), day
    start = at(2026, 2, 14, 17, 0)
    assert calendar.add_working_hours(start, 2) == at(2026, 2, 24, 10, 0)
    assert calendar.add_working_days(start, 1) == at(2026, 2, 24, 17, 0)


def test_worked_saturday_2026_02_28_is_a_working_day(calendar):
    assert date(2026, 2, 28).weekday() == 5
    assert calendar.is_working_day(date(2026, 2, 28))


def test_working_time_between_skips_nights_weekends_and_holidays(calendar):
    # Friday 17:00 → Monday 10:00 is one hour on Friday and one on Monday.
    assert calendar.working_time_between(at(2025, 11, 21, 17), at(2025, 11, 24, 10)) == timedelta(
        hours=2
    )
    # Across National Day: 30 Sep 16:30–18:00 plus 9 Oct 09:00–09:30.
    assert calendar.working_time_between(at(2025, 9, 30, 16, 30), at(2025, 10, 9, 9, 30)) == (
        timedelta(hours=2)
    )
    assert calendar.working_time_between(at(2025, 10, 9, 9, 30), at(2025, 9, 30, 16, 30)) == (
        -timedelta(hours=2)
    )


def test_add_working_days_from_a_weekend_counts_from_the_next_opening(calendar):
    # Saturday 2025-11-22 11:00 → counts from Monday 09:00 → third working day after: Thursday.
    assert calendar.add_working_days(at(2025, 11, 22, 11), 3) == at(2025, 11, 27, 9)


def test_company_override_wins_over_the_package(calendar):
    from core.models import CalendarOverride

    CalendarOverride.objects.create(date=date(2025, 11, 24), is_working_day=False, note="团建")
    CalendarOverride.objects.create(date=date(2025, 11, 22), is_working_day=True, note="盘点")
    fresh = BusinessCalendar()
    assert not fresh.is_working_day(date(2025, 11, 24))
    assert fresh.is_working_day(date(2025, 11, 22))
    assert fresh.add_working_hours(at(2025, 11, 21, 17, 30), 2) == at(2025, 11, 22, 10, 30)


def test_overrides_are_loaded_once_per_year_not_once_per_day(django_assert_num_queries):
    calendar = BusinessCalendar()
    with django_assert_num_queries(2):  # 2025 and 2026
        calendar.add_working_days(at(2025, 12, 1, 10), 60)
        calendar.working_time_between(at(2025, 12, 1, 10), at(2026, 2, 1, 10))


def test_naive_datetimes_are_refused(calendar):
    from datetime import datetime

    with pytest.raises(ValueError):
        calendar.add_working_hours(datetime(2025, 11, 21, 17, 30), 2)
