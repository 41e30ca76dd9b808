"""Which models of the lower apps hold documents, and how to file them in the register.

Filled in ArchiveConfig.ready(); the archive reads these models (it may read
everything) and writes only its own tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone


def as_date(value: date | datetime | None) -> date:
    if value is None:
        return timezone.localdate()
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


@dataclass(frozen=True)
class DocumentSource:
    model: str  # "app_label.ModelName"
    file_field: str
    category: Callable[[Any], str]
    confidentiality: Callable[[Any], str]
    title: Callable[[Any], str]
    file_name: Callable[[Any], str]
    customer_id: Callable[[Any], int | None]
    counted_from: Callable[[Any], date]
    select_related: tuple[str, ...] = ()

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def has_file(self, obj: Any) -> bool:
        return bool(getattr(obj, self.file_field, None))


_sources: dict[str, DocumentSource] = {}


def register_source(source: DocumentSource) -> None:
    _sources[source.model.lower()] = source


def sources() -> list[DocumentSource]:
    return list(_sources.values())


def source_for(obj_or_model: Any) -> DocumentSource | None:
    return _sources.get(obj_or_model._meta.label_lower)
