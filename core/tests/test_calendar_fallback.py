"""A year without an official schedule (2027 with chinesecalendar 1.11): statutory holidays by rule.

The rule (core.calendar.statutory_holidays, docs/decisions/0005-holiday-fallback.md)
knows the statutory days; the swapped working days (调休) only come with the
official schedule, so the admin pages say so.
"""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest
from django.urls import reverse

from core.calendar import BusinessCalendar, package_covers, statutory_holidays
from core.services import calendar_override_save
from core.tests.conftest import at

pytestmark = pytest.mark.django_db

# The pages speak Chinese by default; these tests read the English source strings.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}

TIAOXIU_TEXT = "swapped working days (调休) not known until the official schedule is imported"


@pytest.fixture
def calendar() -> BusinessCalendar:
    assert not package_covers(2027), "the package knows 2027 now: these tests need a later year"
    return BusinessCalendar()


def test_two_working_hours_from_new_years_eve_1730_fall_due_after_new_years_day(calendar):
    # 1 Jan 2027 (Friday) is New Year's Day, 2–3 Jan the weekend.
    assert calendar.add_working_hours(at(2026, 12, 31, 17, 30), 2) == at(2027, 1, 4, 10, 30)


def test_spring_festival_2027_eve_and_first_three_days_are_off(calendar):
    # Lunar new year: Saturday 6 Feb 2027; 除夕 Friday 5 Feb; statutory up to Monday 8 Feb.
    for day in (5, 6, 7, 8):
        assert not calendar.is_working_day(date(2027, 2, day)), day
    assert calendar.is_working_day(date(2027, 2, 4))
    # The longer golden week is made by 调休, which only the official schedule knows.
    assert calendar.is_working_day(date(2027, 2, 9))


@pytest.mark.parametrize(
    "day",
    [
        date(2027, 4, 5),  # 清明 (the solar term), a Monday
        date(2027, 6, 9),  # 端午, lunar 5/5, a Wednesday
        date(2027, 9, 15),  # 中秋, lunar 8/15, a Wednesday
        date(2027, 10, 1),  # 国庆 1–3 October
        date(2027, 10, 2),
        date(2027, 10, 3),
    ],
)
def test_2027_statutory_holidays_are_days_off(calendar, day):
    assert not calendar.is_working_day(day)


def test_days_around_the_lunar_holidays_stay_working_days(calendar):
    for day in (date(2027, 4, 6), date(2027, 6, 8), date(2027, 9, 16), date(2027, 10, 4)):
        assert calendar.is_working_day(day), day


def test_labour_day_is_1_and_2_may():
    holidays = statutory_holidays(2028)  # a Monday and a Tuesday in 2028
    assert date(2028, 5, 1) in holidays
    assert date(2028, 5, 2) in holidays
    assert date(2028, 5, 3) not in holidays
    assert not BusinessCalendar().is_working_day(date(2028, 5, 2))


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_agrees_with_the_official_schedules_the_package_knows(year):
    # Every day the rule gives is a public holiday in the State Council's schedule.
    for day, name in statutory_holidays(year).items():
        assert chinese_calendar.is_holiday(day), (day, name)
        assert chinese_calendar.get_holiday_detail(day)[1] is not None, (day, name)


def test_the_official_schedule_still_decides_the_years_the_package_knows(calendar):
    # 2026-02-14 is a worked Saturday and 2026-02-20 a bridge day: neither is in the rule.
    assert calendar.is_working_day(date(2026, 2, 14))
    assert not calendar.is_working_day(date(2026, 2, 20))


def test_overrides_win_over_the_rule():
    calendar_override_save(day=date(2027, 10, 2), is_working_day=True, note="值班")
    calendar_override_save(day=date(2027, 10, 4), is_working_day=False, note="国庆")
    calendar = BusinessCalendar()
    assert calendar.is_working_day(date(2027, 10, 2))
    assert not calendar.is_working_day(date(2027, 10, 4))


def test_years_past_the_lunar_tables_fall_back_to_weekends():
    calendar = BusinessCalendar()
    assert statutory_holidays(2101) == {}
    assert calendar.is_working_day(date(2101, 1, 3))  # a Monday


def test_calendar_override_changelist_says_swapped_days_are_unknown(admin_client, start_clock):
    start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    response = admin_client.get(reverse("admin:core_calendaroverride_changelist"), **ENGLISH)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"2027: holidays by statutory rule; {TIAOXIU_TEXT}" in page
    assert 'data-testid="calendar-fallback-help"' in page
    assert "calendar_import FILE.csv" in page


def test_calendar_override_form_explains_the_fallback(admin_client):
    response = admin_client.get(reverse("admin:core_calendaroverride_add"), **ENGLISH)
    assert response.status_code == 200
    assert "Swapped working days (调休)" in response.content.decode()


def test_data_admin_home_says_swapped_days_are_unknown(role_client, start_clock):
    start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    page = role_client("data_admin").get("/", **ENGLISH).content.decode()
    assert f"2027: holidays by statutory rule; {TIAOXIU_TEXT}" in page
