"""``manage.py calendar_import FILE.csv``: a year's official schedule in one go, all rows or none."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import gettext as _

from core.calendar import BusinessCalendar, calendar_coverage_warnings
from core.management.commands.calendar_import import (
    MSG_COLUMNS,
    MSG_DATE,
    MSG_EMPTY,
    MSG_FLAG,
    MSG_IMPORTED,
    MSG_NOTE,
    MSG_NOTHING_SAVED,
    MSG_REPEATED,
)
from core.models import CalendarOverride
from core.tests.conftest import at

pytestmark = pytest.mark.django_db

# A made-up 2027 Spring Festival schedule: statutory 5–8 Feb, bridge days 9–11 Feb,
# Sunday 31 Jan and Saturday 20 Feb worked instead.
SCHEDULE = """\ufeffdate,is_working_day,note
2027-01-31,true,春节调休
2027-02-05,false,春节
2027-02-09,false,春节
2027-02-10,false,春节
2027-02-11,false,春节
2027-02-20,1,春节调休
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.csv"
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path) -> str:
    out = StringIO()
    call_command("calendar_import", str(path), stdout=out)
    return out.getvalue()


def test_import_loads_the_schedule_and_reschedules_open_clocks(tmp_path, start_clock):
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2027, 2, 4, 15))
    # By rule only: Tuesday 9, Wednesday 10, Thursday 11 February.
    assert clock.due_at == at(2027, 2, 11, 15)

    output = run(write(tmp_path, SCHEDULE))

    assert _(MSG_IMPORTED) % {"count": 6, "years": "2027"} in output
    assert CalendarOverride.objects.count() == 6
    assert CalendarOverride.objects.get(date=date(2027, 2, 20)).is_working_day
    assert CalendarOverride.objects.get(date=date(2027, 2, 9)).note == "春节"
    calendar = BusinessCalendar()
    assert calendar.is_working_day(date(2027, 1, 31))  # a Sunday, worked
    assert not calendar.is_working_day(date(2027, 2, 10))
    # Friday 12, Monday 15, Tuesday 16 February.
    clock.refresh_from_db()
    assert clock.due_at == at(2027, 2, 16, 15)
    # The 2027 schedule is entered: no more warning about 调休.
    assert not any("2027" in w for w in calendar_coverage_warnings(today=date(2026, 12, 1)))


def test_import_again_updates_the_days(tmp_path):
    run(write(tmp_path, SCHEDULE))
    run(write(tmp_path, "2027-02-11,true,改为上班\n"))
    assert CalendarOverride.objects.count() == 6
    override = CalendarOverride.objects.get(date=date(2027, 2, 11))
    assert override.is_working_day
    assert override.note == "改为上班"


def test_an_invalid_row_names_its_row_and_nothing_is_saved(tmp_path, start_clock):
    clock = start_clock(kind="followup_visit", working_days=3, started_at=at(2027, 2, 4, 15))
    text = "date,is_working_day,note\n2027-02-05,false,春节\n2027-02-30,false,春节\n"

    with pytest.raises(CommandError) as refused:
        run(write(tmp_path, text))

    message = str(refused.value)
    assert _(MSG_DATE) % {"row": 3, "value": "2027-02-30"} in message
    assert message.count("\n") == 1  # row 2 is fine
    assert _(MSG_NOTHING_SAVED) in message
    assert not CalendarOverride.objects.exists()
    clock.refresh_from_db()
    assert clock.due_at == at(2027, 2, 11, 15)


def test_every_invalid_row_is_reported(tmp_path):
    text = (
        "2027-02-05,false,春节\n"
        "2027-02-09,maybe,春节\n"
        "2027-02-05,false,again\n"
        "2027-02-10\n"
        f"2027-02-11,false,{'x' * 201}\n"
    )
    with pytest.raises(CommandError) as refused:
        run(write(tmp_path, text))
    message = str(refused.value)
    assert message.splitlines() == [
        _(MSG_FLAG) % {"row": 2, "value": "maybe"},
        _(MSG_REPEATED) % {"row": 3, "date": date(2027, 2, 5), "first": 1},
        _(MSG_COLUMNS) % {"row": 4},
        _(MSG_NOTE) % {"row": 5, "max": 200},
        _(MSG_NOTHING_SAVED),
    ]
    assert not CalendarOverride.objects.exists()


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(CommandError) as refused:
        run(write(tmp_path, "date,is_working_day,note\n"))
    assert str(refused.value) == "\n".join([_(MSG_EMPTY), _(MSG_NOTHING_SAVED)])


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path / "missing.csv")
