"""Keep the register in step with the lower apps: new uploads and generated PDFs."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from archive.models import Confidentiality, DocumentCategory
from archive.registry import sources


def _on_source_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata: the register is synced separately
        return
    from archive.document_services import document_register

    document_register(obj=instance)


def _on_quotation_pdf(sender: Any, quotation: Any, pdf: bytes, user: Any, **kwargs: Any) -> None:
    from archive.document_services import document_register_generated

    document_register_generated(
        obj=quotation,
        pdf=pdf,
        file_name=f"{quotation.number}.pdf",
        title=f"{quotation.number} · {quotation.customer.name}",
        category=DocumentCategory.QUOTATION,
        counted_from=quotation.valid_until,
        customer_id=quotation.customer_id,
        confidentiality=Confidentiality.NORMAL,
        actor=user,
    )


def connect() -> None:
    for source in sources():
        post_save.connect(
            _on_source_saved,
            sender=source.model_class,
            dispatch_uid=f"archive-register-{source.model}",
        )
    from orders.quotation_services import quotation_pdf_generated

    quotation_pdf_generated.connect(_on_quotation_pdf, dispatch_uid="archive-quotation-pdf")
