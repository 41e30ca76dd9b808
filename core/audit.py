"""Audit history: who changed what and when, from django-simple-history records.

Models opt in with ``history = HistoricalRecords()``; pages show the result
of :func:`history_entries`, which turns the raw snapshots into readable
"field: old → new" rows with the users' labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.people import person_name

ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
# Bookkeeping fields nobody needs to read in a history.
IGNORED_FIELDS = {"id", "created_at", "updated_at", "created_by", "search_vector"}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class AuditEntry:
    when: datetime
    user: Any
    action: str
    subject: str
    object_label: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _display(model_field: models.Field, value: Any, fk_labels: dict[Any, str]) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        return fk_labels.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(model_field, models.FileField):
        return str(_("file uploaded"))
    return str(value)


def history_entries(
    *histories: Iterable[Any],
    hidden_fields: Iterable[str] = (),
    limit: int = 100,
) -> list[AuditEntry]:
    """Readable entries for the given history querysets, newest first.

    ``hidden_fields`` are left out of the changes, so a user without the right
    to see e.g. credit data does not read it from the history either.
    """
    hidden = set(hidden_fields) | IGNORED_FIELDS
    records: list[Any] = []
    for history in histories:
        records.extend(history.select_related("history_user")[:limit])  # type: ignore[attr-defined]

    # Resolve foreign keys shown in diffs with one query per related model.
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for record in records:
        for f in record.instance_type._meta.concrete_fields:
            if f.is_relation and f.name not in hidden:
                value = getattr(record, f.attname)
                if value is not None:
                    wanted[f.related_model].add(value)
    fk_labels: dict[Any, str] = {}
    for model, ids in wanted.items():
        for obj in model._default_manager.filter(pk__in=ids):
            label = person_name(obj) if hasattr(obj, "get_username") else str(obj)
            fk_labels[(model, obj.pk)] = label or str(obj)

    by_object: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
    for record in records:
        by_object[(record.instance_type, record.id)].append(record)

    entries: list[AuditEntry] = []
    for (model, _pk), object_records in by_object.items():
        object_records.sort(key=lambda r: r.history_date)
        previous = None
        for record in object_records:
            changes: list[Change] = []
            fields = {f.name: f for f in model._meta.concrete_fields}
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(previous, excluded_fields=hidden & fields.keys())
                for change in delta.changes:
                    model_field = fields[change.field]
                    changes.append(
                        Change(
                            label=str(model_field.verbose_name),
                            old=_display(model_field, change.old, fk_labels),
                            new=_display(model_field, change.new, fk_labels),
                        )
                    )
            previous = record
            if record.history_type == "~" and not changes:
                continue  # a save that changed nothing worth showing
            entries.append(
                AuditEntry(
                    when=record.history_date,
                    user=record.history_user,
                    action=str(ACTIONS.get(record.history_type, record.history_type)),
                    subject=str(model._meta.verbose_name),
                    object_label=str(record.instance),
                    reason=record.history_change_reason or "",
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
