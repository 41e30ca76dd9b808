"""Write operations of the archive: register, access (with its log), borrowing, disposal.

The rules (查閱與借閱, 保密管理):

* confidential documents open only for the roles holding ``archive.view_confidential``
  or for a borrower whose approved borrowing covers them — until its due date only;
  every view and download of a confidential document is logged, refusals included;
* a borrowing needs the department head (sales_manager) and the sales head
  (sales_director), and the general manager when a confidential document is in it;
  four eyes at every step; the due-back clock (docs/workflow.md §5) reminds the borrower;
* the data admin confirms the disposal of documents past their retention.

Borrowing and disposal are actions of the engine (archive/actions.py, core.actions);
the functions below only name them. Registering and the access check stay here.

The register follows the lower apps' files through two receivers that
``ArchiveConfig.ready()`` connects: ``post_save`` of every source model
(archive/registry.py) and orders' ``quotation_pdf_generated``. Both run in the caller's
transaction and raise with it — a file is stored and registered, or neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from archive.actions import approval_for
from archive.exceptions import (
    MSG_COMMENT_REQUIRED,
    MSG_DISPOSED,
    MSG_DUE_IN_PAST,
    MSG_NO_DOCUMENTS,
    MSG_NOT_ALLOWED,
    MSG_NOT_DUE,
    MSG_ON_LOAN,
    MSG_PURPOSE_REQUIRED,
    MSG_WRONG_STATE,
    ArchiveError,
    ArchiveInvalid,
    ArchivePermissionDenied,
)
from archive.models import (
    AccessAction,
    Borrowing,
    BorrowingStatus,
    Confidentiality,
    Document,
    DocumentAccessLog,
    DocumentCategory,
    DocumentOrigin,
)
from archive.registry import DocumentSource, source_for, sources
from archive.retention import disposal_date, retention_years
from core.actions import perform

__all__ = [
    "MSG_COMMENT_REQUIRED",
    "MSG_DISPOSED",
    "MSG_DUE_IN_PAST",
    "MSG_NOT_ALLOWED",
    "MSG_NOT_DUE",
    "MSG_NO_DOCUMENTS",
    "MSG_ON_LOAN",
    "MSG_PURPOSE_REQUIRED",
    "MSG_WRONG_STATE",
    "ArchiveError",
    "ArchiveInvalid",
    "ArchivePermissionDenied",
]


# --- register ---------------------------------------------------------------------------


def _fields_from(source: DocumentSource, obj: Any) -> dict[str, Any]:
    category = source.category(obj)
    counted_from = source.counted_from(obj)
    return {
        "title": source.title(obj)[:300],
        "category": category,
        "confidentiality": source.confidentiality(obj),
        "file_name": source.file_name(obj)[:200],
        "customer_id": source.customer_id(obj),
        "document_date": counted_from,
        "retention_years": retention_years(category),
        "disposal_date": disposal_date(category, counted_from),
    }


def document_register(*, obj: Any, actor: User | None = None) -> Document | None:
    """File ``obj``'s stored upload in the register (or refresh its row); None without a file.

    Called from post_save of every registered source model, so a new upload is
    registered in the same transaction that stored it.
    """
    source = source_for(obj)
    if source is None or not source.has_file(obj):
        return None
    fields = _fields_from(source, obj)
    content_type = ContentType.objects.get_for_model(obj)
    document, created = Document.objects.get_or_create(
        content_type=content_type,
        object_id=obj.pk,
        origin=DocumentOrigin.STORED,
        defaults={**fields, "registered_by": actor},
    )
    if not created and not document.is_disposed:
        # Dates move (a contract's end date); confidentiality set by hand stays as it is.
        changed = {
            key: value
            for key, value in fields.items()
            if key != "confidentiality" and getattr(document, key) != value
        }
        if changed:
            Document.objects.filter(pk=document.pk).update(**changed)
    return document


def document_register_generated(
    *,
    obj: Any,
    pdf: bytes,
    file_name: str,
    title: str,
    category: str,
    counted_from: date,
    customer_id: int | None = None,
    confidentiality: str = Confidentiality.NORMAL,
    actor: User | None = None,
) -> Document:
    """Keep a copy of a generated PDF the first time it is downloaded (one per object)."""
    content_type = ContentType.objects.get_for_model(obj)
    existing = Document.objects.filter(
        content_type=content_type, object_id=obj.pk, origin=DocumentOrigin.GENERATED
    ).first()
    if existing is not None:
        return existing
    document = Document(
        title=title[:300],
        category=category,
        confidentiality=confidentiality,
        origin=DocumentOrigin.GENERATED,
        content_type=content_type,
        object_id=obj.pk,
        file_name=file_name[:200],
        customer_id=customer_id,
        document_date=counted_from,
        retention_years=retention_years(category),
        disposal_date=disposal_date(category, counted_from),
        registered_by=actor,
    )
    document.file.save(file_name, ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # A concurrent download registered it first.
        document.file.delete(save=False)
        return Document.objects.get(
            content_type=content_type, object_id=obj.pk, origin=DocumentOrigin.GENERATED
        )
    return document


def document_register_sync() -> int:
    """Register every stored document a source model holds that the register lacks.

    One query per source (NOT EXISTS), then only the missing rows are touched:
    catches files stored before the archive existed or by bulk imports.
    """
    created = 0
    for source in sources():
        model: Any = source.model_class
        content_type = ContentType.objects.get_for_model(model)
        registered = Document.objects.filter(
            content_type=content_type, object_id=OuterRef("pk"), origin=DocumentOrigin.STORED
        )
        missing = (
            model.objects.exclude(**{source.file_field: ""})
            .exclude(**{f"{source.file_field}__isnull": True})
            .exclude(Exists(registered))
            .select_related(*source.select_related)
        )
        for obj in missing:
            if document_register(obj=obj) is not None:
                created += 1
    return created


def document_for(obj: Any) -> Document | None:
    source = source_for(obj)
    if source is None:
        return None
    return Document.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        origin=DocumentOrigin.STORED,
    ).first()


def register_saved_source(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """post_save of a source model: file its stored upload (connected in ``ready()``)."""
    if raw:  # loaddata: caught up by document_register_sync (the register page)
        return
    document_register(obj=instance)


def register_quotation_pdf(
    sender: Any, quotation: Any, pdf: bytes, user: Any, **kwargs: Any
) -> None:
    """orders' ``quotation_pdf_generated``: keep the first generated copy (connected in
    ``ready()``)."""
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


# --- access -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    allowed: bool
    borrowing: Borrowing | None = None


def active_borrowing(
    *, user: Any, document: Document, today: date | None = None
) -> Borrowing | None:
    """The approved borrowing that lets ``user`` open ``document`` today, if any."""
    today = today or timezone.localdate()
    return (
        Borrowing.objects.filter(
            borrower=user,
            status=BorrowingStatus.ON_LOAN,
            due_date__gte=today,
            documents=document,
        )
        .order_by("due_date")
        .first()
    )


def document_access(*, user: Any, document: Document, today: date | None = None) -> Access:
    if document.is_disposed or not user.is_authenticated:
        return Access(False)
    if not document.is_confidential:
        return Access(user.has_perm("archive.view_document"))
    if user.has_perm("archive.view_confidential"):
        return Access(True)
    borrowing = active_borrowing(user=user, document=document, today=today)
    return Access(borrowing is not None, borrowing)


def document_access_check(
    *, user: Any, document: Document, action: str = AccessAction.VIEW
) -> Access:
    """Decide and, for a confidential document, log the attempt (granted or not)."""
    access = document_access(user=user, document=document)
    if document.is_confidential and user.is_authenticated:
        DocumentAccessLog.objects.create(
            document=document,
            user=user,
            action=action,
            granted=access.allowed,
            borrowing=access.borrowing,
        )
    return access


def file_guard(user: Any, obj: Any, action: str) -> bool:
    """core.panels file guard: lower apps' file views ask before serving a registered file."""
    document = document_for(obj)
    if document is None:
        if source_for(obj) is not None:
            document = document_register(obj=obj)
        if document is None:
            return True
    if not document.is_confidential:
        return not document.is_disposed
    return document_access_check(user=user, document=document, action=action).allowed


# --- disposal and borrowing: actions of the engine (archive/actions.py) ------------------


def document_dispose(*, actor: User, document: Document, note: str = "") -> Document:
    """The data admin confirms that a document past its retention is destroyed."""
    return perform("document.dispose", actor=actor, obj=document, note=note)


def borrowing_create(
    *, actor: User, documents: list[Document], purpose: str, due_date: date
) -> Borrowing:
    """Ask to borrow ``documents`` until ``due_date`` for ``purpose``."""
    return perform(
        "borrowing.create",
        actor=actor,
        obj=None,
        documents=documents,
        purpose=purpose,
        due_date=due_date,
    )


def borrowing_decide(
    *, actor: User, borrowing: Borrowing, approve: bool, comment: str = ""
) -> Borrowing:
    """The next approver's decision. The last approval lends the documents and starts the
    due-back clock for the borrower; a rejection needs a comment."""
    borrowing = Borrowing.objects.get(pk=borrowing.pk)
    name = approval_for(borrowing) if approve else "borrowing.reject"
    return perform(name, actor=actor, obj=borrowing, note=comment)


def borrowing_return(*, actor: User, borrowing: Borrowing, comment: str = "") -> Borrowing:
    """The documents are back (checked complete): access ends, the clock is met."""
    return perform("borrowing.give_back", actor=actor, obj=borrowing, note=comment)
