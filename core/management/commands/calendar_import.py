"""Import a year's official holiday schedule as calendar overrides, in one go.

For a year the chinesecalendar package does not know yet, core.calendar knows
the statutory holidays by rule but not the swapped working days (调休) nor the
extra days off; the State Council's schedule brings them. The CSV has the
columns ``date,is_working_day,note`` (a header row is optional), e.g.::

    date,is_working_day,note
    2027-02-05,false,春节
    2027-02-20,true,春节调休

Every row is checked first; any error names its row and nothing is saved.
The rows are saved in one transaction and the open deadlines are rescheduled
once (core.services.calendar_overrides_import).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import services
from core.models import CalendarOverride

TRUE_VALUES = {"1", "true", "yes", "y", "t", "是", "班"}
FALSE_VALUES = {"0", "false", "no", "n", "f", "否", "休"}

# Marked for makemessages, translated when shown.
MSG_COLUMNS = gettext_noop("row %(row)s: expected the columns date,is_working_day,note")
MSG_DATE = gettext_noop("row %(row)s: %(value)r is not a date (YYYY-MM-DD)")
MSG_FLAG = gettext_noop("row %(row)s: is_working_day %(value)r is not true/false (or 1/0, yes/no)")
MSG_NOTE = gettext_noop("row %(row)s: the note is longer than %(max)s characters")
MSG_REPEATED = gettext_noop("row %(row)s: %(date)s is already in row %(first)s")
MSG_EMPTY = gettext_noop("the file has no rows to import")
MSG_NOTHING_SAVED = gettext_noop("Nothing was saved.")
MSG_IMPORTED = gettext_noop(
    "Imported %(count)s calendar days (%(years)s); open deadlines rescheduled."
)


def parse_rows(lines: list[str]) -> tuple[list[tuple[date, bool, str]], list[str]]:
    """The valid days of a CSV, and one message per invalid row (row numbers count from 1)."""
    note_max = CalendarOverride._meta.get_field("note").max_length or 200
    days: list[tuple[date, bool, str]] = []
    errors: list[str] = []
    first_row_of: dict[date, int] = {}
    for row_number, row in enumerate(csv.reader(lines), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if row_number == 1 and cells[0].lower() == "date":
            continue  # the header
        if len(cells) not in (2, 3):
            errors.append(_(MSG_COLUMNS) % {"row": row_number})
            continue
        raw_date, raw_flag = cells[0], cells[1]
        note = cells[2] if len(cells) == 3 else ""
        row_errors = []
        try:
            day = date.fromisoformat(raw_date)
            if len(raw_date) != 10:  # fromisoformat also takes 20270101
                raise ValueError(raw_date)
        except ValueError:
            row_errors.append(_(MSG_DATE) % {"row": row_number, "value": raw_date})
            day = None
        flag = raw_flag.lower()
        if flag not in TRUE_VALUES | FALSE_VALUES:
            row_errors.append(_(MSG_FLAG) % {"row": row_number, "value": raw_flag})
        if len(note) > note_max:
            row_errors.append(_(MSG_NOTE) % {"row": row_number, "max": note_max})
        if day is not None and day in first_row_of:
            row_errors.append(
                _(MSG_REPEATED) % {"row": row_number, "date": day, "first": first_row_of[day]}
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        assert day is not None
        first_row_of[day] = row_number
        days.append((day, flag in TRUE_VALUES, note))
    if not days and not errors:
        errors.append(_(MSG_EMPTY))
    return days, errors


class Command(BaseCommand):
    help = (
        "Import an official holiday schedule as calendar overrides from a CSV file "
        "(columns: date,is_working_day,note). All rows or none; open deadlines are "
        "rescheduled."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file: date,is_working_day,note")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            # utf-8-sig: spreadsheets save CSV with a byte-order mark.
            lines = file.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        days, errors = parse_rows(lines)
        if errors:
            raise CommandError("\n".join([*errors, _(MSG_NOTHING_SAVED)]))
        count = services.calendar_overrides_import(days=days)
        years = ", ".join(str(year) for year in sorted({day.year for day, _flag, _note in days}))
        self.stdout.write(self.style.SUCCESS(_(MSG_IMPORTED) % {"count": count, "years": years}))
