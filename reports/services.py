"""Writes of the reports app — its own table only (the improvement list) — as thin calls
of the actions in reports/actions.py."""

from __future__ import annotations

from django.contrib.auth.models import User

from core.actions import perform
from reports.models import ImprovementItem


def improvement_save(*, actor: User, item: ImprovementItem) -> ImprovementItem:
    """A new action item of the monthly review."""
    result: ImprovementItem = perform("improvement.create", actor=actor, obj=None, item=item)
    return result


def improvement_set_status(*, actor: User, item: ImprovementItem, status: str) -> ImprovementItem:
    """Move an action item on (open → in progress → done); done items get their date."""
    result: ImprovementItem = perform(
        "improvement.set_status", actor=actor, obj=item, status=status
    )
    return result
