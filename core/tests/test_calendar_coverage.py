"""Years chinesecalendar does not know (2027 with 1.11): fall back, warn, follow overrides.

The fallback knows the statutory holidays by rule (test_calendar_fallback.py);
here 1 January 2027 (a Friday) is such a holiday, and the admins "enter" what
only the official schedule can say, e.g. Saturday 2 January worked (调休).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.checks import run_checks
from django.urls import reverse
from django.utils import translation

from core.calendar import BusinessCalendar, calendar_coverage_warnings, package_covers
from core.models import SlaClock
from core.services import calendar_override_save
from core.tests.conftest import at

pytestmark = pytest.mark.django_db

NEW_YEAR_2027 = date(2027, 1, 1)
SATURDAY_2027_01_02 = date(2027, 1, 2)


def test_the_installed_package_really_stops_at_2026():
    assert package_covers(2026)
    assert not package_covers(2027)


def test_2027_falls_back_to_weekends_and_statutory_holidays_without_error():
    calendar = BusinessCalendar()
    assert not calendar.is_working_day(NEW_YEAR_2027)  # a Friday, but New Year's Day
    assert not calendar.is_working_day(SATURDAY_2027_01_02)
    assert calendar.is_working_day(date(2027, 1, 4))  # Monday


def test_three_working_day_clock_started_2026_12_30_is_due_in_january_2027(start_clock):
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    # 31 Dec, Monday 4 Jan, Tuesday 5 Jan (1 Jan is New Year's Day by rule).
    assert clock.due_at == at(2027, 1, 5, 15)
    assert clock.warn_at is not None
    assert clock.started_at < clock.warn_at < clock.due_at


def test_missing_2027_schedule_is_warned_by_the_helper(start_clock):
    start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    with translation.override("en"):
        warnings = calendar_coverage_warnings(today=date(2026, 6, 1))
    assert len(warnings) == 1
    assert "2027" in warnings[0]
    assert "swapped working days (调休) not known" in warnings[0]


def test_next_year_is_warned_from_november_even_without_clocks():
    assert calendar_coverage_warnings(today=date(2026, 10, 31)) == []
    assert any("2027" in w for w in calendar_coverage_warnings(today=date(2026, 11, 1)))


def test_missing_2027_schedule_is_shown_on_the_admin_index(admin_client, start_clock):
    start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "2027" in response.content.decode()
    assert "chinesecalendar" in response.content.decode()
    assert "calendar_import" in response.content.decode()


def test_missing_2027_schedule_is_shown_to_data_admin_on_home_but_not_to_sales(
    role_client, start_clock, make_user
):
    start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    client = role_client("data_admin")
    assert 'data-testid="calendar-warning"' in client.get("/").content.decode()
    client.force_login(make_user("sales_assistant"))
    assert 'data-testid="calendar-warning"' not in client.get("/").content.decode()


def test_missing_2027_schedule_is_a_system_check_warning(start_clock):
    start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    messages = run_checks(databases=["default"])
    assert [m.id for m in messages if m.id == "core.W001"] == ["core.W001"]
    # Without a database (plain `manage.py check`) the check stays quiet.
    assert "core.W001" not in [m.id for m in run_checks()]


def test_after_2027_overrides_are_entered_the_due_date_follows_them(start_clock):
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    assert clock.due_at == at(2027, 1, 5, 15)
    calendar_override_save(day=NEW_YEAR_2027, is_working_day=False, note="元旦")
    calendar_override_save(day=SATURDAY_2027_01_02, is_working_day=True, note="调休")

    # The running clock was rescheduled: 31 Dec, Saturday 2 Jan (worked), Monday 4 Jan.
    clock.refresh_from_db()
    assert clock.due_at == at(2027, 1, 4, 15)
    # A clock started now gets the same date, and the warning is gone.
    again = start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    assert again.due_at == at(2027, 1, 4, 15)
    assert calendar_coverage_warnings(today=date(2026, 12, 30)) == []


def test_an_extra_working_day_alone_does_not_count_as_the_schedule(start_clock):
    calendar_override_save(day=date(2027, 1, 9), is_working_day=True, note="加班")
    assert any("2027" in w for w in calendar_coverage_warnings(today=date(2026, 12, 1)))


def test_a_worked_weekend_day_entered_for_2027_moves_due_dates(start_clock):
    calendar_override_save(day=NEW_YEAR_2027, is_working_day=False, note="元旦")
    calendar_override_save(day=SATURDAY_2027_01_02, is_working_day=True, note="调休")
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    # 31 Dec, Saturday 2 Jan (worked), Monday 4 Jan.
    assert clock.due_at == at(2027, 1, 4, 15)


def test_breached_clocks_are_not_rescheduled(start_clock):
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    SlaClock.objects.filter(pk=clock.pk).update(breached_at=at(2027, 1, 5, 15))
    calendar_override_save(day=SATURDAY_2027_01_02, is_working_day=True)
    clock.refresh_from_db()
    assert clock.due_at == at(2027, 1, 5, 15)


def test_admin_saves_overrides_through_the_service(admin_client, start_clock):
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2026, 12, 30, 15))
    response = admin_client.post(
        reverse("admin:core_calendaroverride_add"),
        {"date": "2027-01-02", "is_working_day": "on", "note": "调休"},
    )
    assert response.status_code == 302
    clock.refresh_from_db()
    assert clock.due_at == at(2027, 1, 4, 15)
