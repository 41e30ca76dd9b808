"""Write operations on customers: thin calls of the actions in customers/actions.py."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.forms import BaseInlineFormSet

from core.actions import perform
from core.models import OutboxMessage
from core.outbox import outbox_handler
from customers.actions import DELETE_FILE
from customers.models import Customer, QualificationDocument

CUSTOMER_CODE_SEQUENCE = "customers_customer_code_seq"


def customer_next_code() -> str:
    """C00001, C00002, … from a PostgreSQL sequence: unique under concurrent saves."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [CUSTOMER_CODE_SEQUENCE])
        (value,) = cursor.fetchone()
    return f"C{value:05d}"


def customer_save(
    *,
    actor: User,
    customer: Customer,
    contacts: BaseInlineFormSet | None = None,
    addresses: BaseInlineFormSet | None = None,
) -> Customer:
    """Create or update a customer together with its contacts and addresses, in one
    transaction: a failing contact leaves the customer unchanged too."""
    if customer.pk is None:
        result: Customer = perform(
            "customer.create",
            actor=actor,
            obj=None,
            customer=customer,
            contacts=contacts,
            addresses=addresses,
        )
        return result
    edited: Customer = perform(
        "customer.edit",
        actor=actor,
        obj=customer,
        customer=customer,
        contacts=contacts,
        addresses=addresses,
    )
    return edited


def qualification_document_add(
    *,
    actor: User,
    customer: Customer,
    kind: str,
    upload: UploadedFile,
    valid_until: date | None = None,
) -> QualificationDocument:
    """Store a qualification document after checking its type (by content) and size."""
    document: QualificationDocument = perform(
        "customer.document_add",
        actor=actor,
        obj=customer,
        kind=kind,
        upload=upload,
        valid_until=valid_until,
    )
    return document


def qualification_document_delete(*, actor: User, document: QualificationDocument) -> None:
    """Delete the document (its file goes after the commit, through the outbox)."""
    perform("customer.document_delete", actor=actor, obj=document)


@outbox_handler(DELETE_FILE)
def qualification_file_delete(message: OutboxMessage) -> None:
    """Remove a deleted qualification document's file (again: nothing left is fine)."""
    storage = QualificationDocument._meta.get_field("file").storage
    name = str(message.payload.get("name") or "")
    if name and storage.exists(name):
        storage.delete(name)
