"""Write operations on customers. Views call these; they hold the business rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.forms import BaseInlineFormSet

from core.models import OutboxMessage
from core.outbox import outbox_handler, outbox_put
from core.uploads import DOCUMENT_KINDS, safe_original_name, validate_upload
from customers.models import Customer, QualificationDocument

CUSTOMER_CODE_SEQUENCE = "customers_customer_code_seq"
# Outbox kind: delete the stored file of a deleted qualification document.
DELETE_FILE = "customers.delete_file"


def customer_next_code() -> str:
    """C00001, C00002, … from a PostgreSQL sequence: unique under concurrent saves."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [CUSTOMER_CODE_SEQUENCE])
        (value,) = cursor.fetchone()
    return f"C{value:05d}"


@transaction.atomic
def customer_save(
    *,
    actor: Any,
    customer: Customer,
    contacts: BaseInlineFormSet | None = None,
    addresses: BaseInlineFormSet | None = None,
) -> Customer:
    """Create or update a customer together with its contacts and addresses.

    Everything is saved in one transaction: a failing contact leaves the
    customer unchanged too.
    """
    creating = customer.pk is None
    if creating:
        customer.created_by = actor
        if not customer.code:
            customer.code = customer_next_code()
    customer.full_clean()
    customer.save()
    for formset in (contacts, addresses):
        if formset is not None:
            formset.instance = customer
            formset.save()
    return customer


@transaction.atomic
def qualification_document_add(
    *,
    actor: Any,
    customer: Customer,
    kind: str,
    upload: UploadedFile,
    valid_until: date | None = None,
) -> QualificationDocument:
    """Store a qualification document after checking its type (by content) and size."""
    file_kind = validate_upload(upload, kinds=DOCUMENT_KINDS)
    document = QualificationDocument(
        customer=customer,
        kind=kind,
        original_name=safe_original_name(upload.name or "document"),
        content_type=file_kind.content_type,
        size=upload.size or 0,
        valid_until=valid_until,
        uploaded_by=actor,
    )
    document.file.save(upload.name or "document", upload, save=False)
    try:
        document.full_clean()
        document.save()
    except ValidationError:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def qualification_document_delete(*, actor: Any, document: QualificationDocument) -> None:
    """Delete the document; its stored file goes through the outbox after the commit (a
    rolled-back delete keeps the file, a worker crash after the commit never keeps it)."""
    name = document.file.name
    document.delete()
    if name:
        outbox_put(DELETE_FILE, {"name": name})


@outbox_handler(DELETE_FILE)
def qualification_file_delete(message: OutboxMessage) -> None:
    """Remove a deleted qualification document's file (again: nothing left is fine)."""
    storage = QualificationDocument._meta.get_field("file").storage
    name = str(message.payload.get("name") or "")
    if name and storage.exists(name):
        storage.delete(name)
