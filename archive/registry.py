"""Which models of the lower apps hold documents, and how to file them in the register.

:func:`lower_app_sources` declares them; ``ArchiveConfig.ready()`` registers each (and
connects its post_save to the register, archive/document_services.py). The archive reads
these models (it may read everything) and writes only its own tables.
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


def lower_app_sources() -> list[DocumentSource]:
    """The lower apps' models that hold documents (docs/architecture.md: the archive reads everything)."""
    from archive.models import Confidentiality, DocumentCategory

    return [
        DocumentSource(
            model="customers.QualificationDocument",
            file_field="file",
            # Credit reports are credit data: confidential (docs/workflow.md §2, 保密範圍).
            category=lambda d: (
                DocumentCategory.CREDIT_FILE
                if d.kind == "credit_report"
                else DocumentCategory.CUSTOMER_FILE
            ),
            confidentiality=lambda d: (
                Confidentiality.CONFIDENTIAL
                if d.kind == "credit_report"
                else Confidentiality.NORMAL
            ),
            title=lambda d: f"{d.customer.name} · {d.get_kind_display()} · {d.original_name}",
            file_name=lambda d: d.original_name,
            customer_id=lambda d: d.customer_id,
            counted_from=lambda d: as_date(d.uploaded_at),
            select_related=("customer",),
        ),
        DocumentSource(
            model="contracts.Contract",
            file_field="signed_scan",
            category=lambda c: DocumentCategory.CONTRACT,
            # Contract terms (price, delivery, payment) are confidential (docs/workflow.md §2).
            confidentiality=lambda c: Confidentiality.CONFIDENTIAL,
            title=lambda c: f"{c.number} · {c.customer.name} · {c.title}",
            file_name=lambda c: c.signed_scan_name or f"{c.number}.pdf",
            customer_id=lambda c: c.customer_id,
            # Kept for N years after the contract has been performed.
            counted_from=lambda c: c.end_date,
            select_related=("customer",),
        ),
        DocumentSource(
            model="orders.OrderAttachment",
            file_field="file",
            category=lambda a: DocumentCategory.ORDER,
            confidentiality=lambda a: Confidentiality.NORMAL,
            title=lambda a: f"{a.order} · {a.original_name}",
            file_name=lambda a: a.original_name,
            customer_id=lambda a: a.order.customer_id,
            counted_from=lambda a: as_date(a.uploaded_at),
            select_related=("order",),
        ),
    ]
