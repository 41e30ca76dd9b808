"""System checks of core: the business calendar must know the coming years."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def check_calendar_coverage(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """Warn (e.g. on ``migrate`` or ``check --database default``) about years only guessed.

    Tagged "database" so Django runs it only when a database may be queried.
    """
    if not databases:
        return []
    from core.calendar import calendar_coverage_warnings

    try:
        messages = calendar_coverage_warnings()
    except DatabaseError:
        return []  # tables not migrated yet
    return [
        Warning(message, hint=None, obj="core.CalendarOverride", id="core.W001")
        for message in messages
    ]
