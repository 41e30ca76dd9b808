"""The customer's writes as actions of the engine (docs/architecture.md §2): the customer
file with its contacts and addresses, and its qualification documents. The audit trail is
django-simple-history's (customers/models.py); no timeline row of their own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from core.actions import Step, action
from core.outbox import outbox_put
from core.uploads import DOCUMENT_KINDS, safe_original_name, validate_upload
from customers import predicates as p
from customers.models import Customer, QualificationDocument

# Outbox kind: delete the stored file of a deleted qualification document.
DELETE_FILE = "customers.delete_file"


def _save_with_parts(step: Step[Any], customer: Customer) -> Customer:
    customer.full_clean()
    customer.save()
    for formset in (step.params.get("contacts"), step.params.get("addresses")):
        if formset is not None:
            formset.instance = customer
            formset.save()
    return customer


@action("customer.create", model=Customer, predicate=p.may_create, creates=True, records=False)
def create(step: Step[Any]) -> Customer:
    """A new customer with its contacts and addresses, numbered C00001, C00002, …"""
    from customers.services import customer_next_code

    customer: Customer = step.params["customer"]
    customer.created_by = step.actor
    if not customer.code:
        customer.code = customer_next_code()
    return _save_with_parts(step, customer)


@action("customer.edit", model=Customer, predicate=p.may_edit, records=False)
def edit(step: Step[Any]) -> Customer:
    """The customer file changed (the form's instance, applied on the locked row)."""
    return _save_with_parts(step, step.params["customer"])


@action("customer.document_add", model=Customer, predicate=p.may_add_document, records=False)
def document_add(step: Step[Any]) -> QualificationDocument:
    """A qualification document, checked by content and size before it is stored."""
    upload = step.params["upload"]
    file_kind = validate_upload(upload, kinds=DOCUMENT_KINDS)
    document = QualificationDocument(
        customer=step.obj,
        kind=step.params["kind"],
        original_name=safe_original_name(upload.name or "document"),
        content_type=file_kind.content_type,
        size=upload.size or 0,
        valid_until=step.params.get("valid_until"),
        uploaded_by=step.actor,
    )
    document.file.save(upload.name or "document", upload, save=False)
    try:
        document.full_clean()
        document.save()
    except ValidationError:
        document.file.delete(save=False)
        raise
    return document


@action(
    "customer.document_delete",
    model=QualificationDocument,
    root="customer",
    predicate=p.may_delete_document,
    records=False,
)
def document_delete(step: Step[Any]) -> bool:
    """Delete the document; its stored file goes through the outbox after the commit (a
    rolled-back delete keeps the file, a worker crash after the commit never keeps it)."""
    name = step.obj.file.name
    step.obj.delete()
    if name:
        outbox_put(DELETE_FILE, {"name": name})
    return True
