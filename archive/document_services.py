"""Write operations of the archive: register, access (with its log), borrowing, disposal.

Rules of seed 002 (查閱與借閱, 保密管理):

* confidential documents open only for the roles holding ``archive.view_confidential``
  or for a borrower whose approved borrowing covers them — until its due date only;
  every view and download of a confidential document is logged, refusals included;
* a borrowing needs the department head (sales_manager) and the sales head
  (sales_director), and the general manager when a confidential document is in it;
  four eyes at every step; the due-back clock (DESIGN.md §5) reminds the borrower;
* the data admin confirms the disposal of documents past their retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed, has_transition_perm

from archive.models import (
    AccessAction,
    Borrowing,
    BorrowingStatus,
    BorrowingStep,
    Confidentiality,
    Document,
    DocumentAccessLog,
    DocumentOrigin,
)
from archive.registry import DocumentSource, source_for, sources
from archive.retention import disposal_date, retention_years
from core import roles
from core.models import SlaKind
from core.services import notify_users, sla_clock_meet, sla_clock_start

MSG_NOT_ALLOWED = gettext_lazy("You are not allowed to take this step on this borrowing.")
MSG_WRONG_STATE = gettext_lazy("This borrowing is “%(status)s”; that step is not possible now.")
MSG_NO_DOCUMENTS = gettext_lazy("Choose at least one document.")
MSG_DUE_IN_PAST = gettext_lazy("The due-back date must be today or later.")
MSG_PURPOSE_REQUIRED = gettext_lazy("Say why you need the documents.")
MSG_COMMENT_REQUIRED = gettext_lazy("Please give a comment.")
MSG_DISPOSED = gettext_lazy("This document was disposed of.")
MSG_NOT_DUE = gettext_lazy("This document is not due for disposal yet.")
MSG_ON_LOAN = gettext_lazy("This document is on loan; it can be disposed of when it is back.")


class ArchiveError(Exception):
    def __init__(self, message: object, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


class ArchivePermissionDenied(ArchiveError):
    def __init__(self, message: object = MSG_NOT_ALLOWED) -> None:
        super().__init__(message, code="not_allowed")


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


def document_register(*, obj: Any, actor: Any = None) -> Document | None:
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
    actor: Any = None,
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
        model = source.model_class
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


# --- disposal ---------------------------------------------------------------------------


@transaction.atomic
def document_dispose(*, actor: Any, document: Document, note: str = "") -> Document:
    """The data admin confirms that a document past its retention is destroyed.

    The register row stays (who, when, why); the stored file is deleted after
    the commit, so a rolled-back disposal never loses a file.
    """
    if not actor.has_perm("archive.dispose_document"):
        raise ArchivePermissionDenied()
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.is_disposed:
        raise ArchiveError(MSG_DISPOSED, code="disposed")
    if document.disposal_date > timezone.localdate():
        raise ArchiveError(MSG_NOT_DUE, code="not_due")
    if document.loans.filter(status=BorrowingStatus.ON_LOAN).exists():
        raise ArchiveError(MSG_ON_LOAN, code="on_loan")
    document.disposed_at = timezone.now()
    document.disposed_by = actor
    document.disposal_note = note.strip()
    document.save(update_fields=["disposed_at", "disposed_by", "disposal_note"])
    field_file = document.file if document.file else None
    if field_file is None and document.source is not None:
        source = source_for(document.source)
        field_file = getattr(document.source, source.file_field) if source else None
    if field_file:
        storage, name = field_file.storage, field_file.name
        transaction.on_commit(lambda: storage.delete(name))
    return document


# --- borrowing --------------------------------------------------------------------------


def _role_users(role: str) -> list[Any]:
    return list(get_user_model().objects.filter(groups__name=role, is_active=True).distinct())


def _notify(users: list[Any], *, title: str, body: str, borrowing: Borrowing) -> None:
    notify_users(users, title=title, body=body, target=borrowing)


# Who is asked next, by the status the borrowing is waiting in.
NEXT_APPROVER_ROLE = {
    BorrowingStatus.PENDING_DEPARTMENT: roles.SALES_MANAGER,
    BorrowingStatus.PENDING_SALES_HEAD: roles.SALES_DIRECTOR,
    BorrowingStatus.PENDING_GM: roles.GENERAL_MANAGER,
}


def _ask_next(borrowing: Borrowing) -> None:
    role = NEXT_APPROVER_ROLE.get(borrowing.status)
    if role:
        _notify(
            [u for u in _role_users(role) if u.pk != borrowing.borrower_id],
            title=_("Borrowing %(number)s waits for your approval") % {"number": str(borrowing)},
            body=borrowing.purpose,
            borrowing=borrowing,
        )


@transaction.atomic
def borrowing_create(
    *, actor: Any, documents: list[Document], purpose: str, due_date: date
) -> Borrowing:
    """Ask to borrow ``documents`` until ``due_date`` for ``purpose``."""
    if not actor.has_perm("archive.add_borrowing"):
        raise ArchivePermissionDenied()
    purpose = (purpose or "").strip()
    errors: dict[str, list[Any]] = {}
    if not documents:
        errors["documents"] = [MSG_NO_DOCUMENTS]
    if not purpose:
        errors["purpose"] = [MSG_PURPOSE_REQUIRED]
    if due_date < timezone.localdate():
        errors["due_date"] = [MSG_DUE_IN_PAST]
    if any(document.is_disposed for document in documents):
        errors.setdefault("documents", []).append(MSG_DISPOSED)
    if errors:
        raise ValidationError(errors)
    borrowing = Borrowing(
        borrower=actor,
        purpose=purpose,
        due_date=due_date,
        needs_general_manager=any(d.is_confidential for d in documents),
    )
    borrowing.save()
    borrowing.documents.set(documents)
    BorrowingStep.objects.create(
        borrowing=borrowing,
        action="request",
        from_status="",
        to_status=borrowing.status,
        actor=actor,
        comment=purpose,
    )
    _ask_next(borrowing)
    return borrowing


def _due_at(day: date) -> datetime:
    """The end of the due-back day, local time."""
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


@transaction.atomic
def borrowing_decide(
    *, actor: Any, borrowing: Borrowing, approve: bool, comment: str = ""
) -> Borrowing:
    """The next approver's decision. The last approval lends the documents and starts the
    due-back clock for the borrower."""
    borrowing = Borrowing.objects.select_for_update().get(pk=borrowing.pk)
    comment = (comment or "").strip()
    if approve:
        name = {
            BorrowingStatus.PENDING_DEPARTMENT: "approve_department",
            BorrowingStatus.PENDING_SALES_HEAD: (
                "approve_sales_to_gm" if borrowing.needs_general_manager else "approve_sales"
            ),
            BorrowingStatus.PENDING_GM: "approve_gm",
        }.get(borrowing.status, "approve_department")
    else:
        if not comment:
            raise ArchiveError(MSG_COMMENT_REQUIRED, code="comment_required")
        name = "reject"
    method = getattr(borrowing, name)
    if not can_proceed(method, check_conditions=False):
        raise ArchiveError(
            MSG_WRONG_STATE % {"status": borrowing.get_status_display()}, code="wrong_state"
        )
    if not has_transition_perm(method, actor):
        raise ArchivePermissionDenied()
    from_status = borrowing.status
    method()
    if borrowing.status == BorrowingStatus.ON_LOAN:
        borrowing.loaned_at = timezone.now()
    borrowing.save()
    BorrowingStep.objects.create(
        borrowing=borrowing,
        action=name,
        from_status=from_status,
        to_status=borrowing.status,
        actor=actor,
        comment=comment,
    )
    if borrowing.status == BorrowingStatus.ON_LOAN:
        sla_clock_start(
            target=borrowing,
            kind=SlaKind.DOCUMENT_RETURN,
            owner=borrowing.borrower,
            due_at=max(_due_at(borrowing.due_date), timezone.now()),
            note=borrowing.purpose[:500],
        )
        _notify(
            [borrowing.borrower],
            title=_("Borrowing %(number)s approved: return the documents by %(date)s")
            % {"number": str(borrowing), "date": borrowing.due_date.isoformat()},
            body=borrowing.purpose,
            borrowing=borrowing,
        )
    elif borrowing.status == BorrowingStatus.REJECTED:
        _notify(
            [borrowing.borrower],
            title=_("Borrowing %(number)s was rejected") % {"number": str(borrowing)},
            body=comment,
            borrowing=borrowing,
        )
    else:
        _ask_next(borrowing)
    return borrowing


@transaction.atomic
def borrowing_return(*, actor: Any, borrowing: Borrowing, comment: str = "") -> Borrowing:
    """The documents are back (checked complete, seed 002): access ends, the clock is met."""
    borrowing = Borrowing.objects.select_for_update().get(pk=borrowing.pk)
    method = borrowing.give_back
    if not can_proceed(method, check_conditions=False):
        raise ArchiveError(
            MSG_WRONG_STATE % {"status": borrowing.get_status_display()}, code="wrong_state"
        )
    if not has_transition_perm(method, actor):
        raise ArchivePermissionDenied()
    method()
    borrowing.returned_at = timezone.now()
    borrowing.save()
    BorrowingStep.objects.create(
        borrowing=borrowing,
        action="give_back",
        from_status=BorrowingStatus.ON_LOAN,
        to_status=borrowing.status,
        actor=actor,
        comment=(comment or "").strip(),
    )
    sla_clock_meet(target=borrowing, kind=SlaKind.DOCUMENT_RETURN, at=borrowing.returned_at)
    return borrowing
