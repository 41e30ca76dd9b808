"""The improvement list's writes as actions of the engine (docs/architecture.md §2)."""

from __future__ import annotations

from typing import Any

import rules
from django.utils import timezone

from core.actions import Step, action
from core.roles import SALES_MANAGER, has_role
from reports.models import ImprovementItem, ImprovementStatus


@rules.predicate
def may_manage_improvements(user: Any, item: Any = None) -> bool:
    """The sales manager owns the monthly review's action items (docs/workflow.md §2)."""
    return bool(user.is_superuser or has_role(user, SALES_MANAGER))


def _save(step: Step[Any], item: ImprovementItem) -> ImprovementItem:
    if item.status == ImprovementStatus.DONE and item.done_at is None:
        item.done_at = timezone.now()
    item.full_clean()
    item.save()
    return item


@action(
    "improvement.create",
    model=ImprovementItem,
    predicate=may_manage_improvements,
    creates=True,
    records=False,
)
def create(step: Step[Any]) -> ImprovementItem:
    item: ImprovementItem = step.params["item"]
    item.created_by = step.actor
    return _save(step, item)


@action(
    "improvement.set_status",
    model=ImprovementItem,
    predicate=may_manage_improvements,
    records=False,
)
def set_status(step: Step[Any]) -> ImprovementItem:
    item: ImprovementItem = step.obj
    item.status = step.params["status"]
    return _save(step, item)
