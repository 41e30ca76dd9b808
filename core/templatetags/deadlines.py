from __future__ import annotations

from django import template

from core.calendar import calendar_coverage_warnings

register = template.Library()


@register.simple_tag
def calendar_warnings() -> list[str]:
    """The business calendar's gaps, for the admin index page."""
    return calendar_coverage_warnings()
