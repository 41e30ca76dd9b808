"""Writes of the reports app: its own table only (the improvement list)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from reports.models import ImprovementItem, ImprovementStatus


@transaction.atomic
def improvement_save(*, actor: Any, item: ImprovementItem) -> ImprovementItem:
    if item.pk is None:
        item.created_by = actor
    if item.status == ImprovementStatus.DONE and item.done_at is None:
        item.done_at = timezone.now()
    item.full_clean()
    item.save()
    return item
