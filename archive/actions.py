"""The archive's actions, run by the one engine (core.actions; docs/architecture.md,
"The action engine"): borrowing documents (request, the approvals, the return) and
the disposal of documents past their retention.

A borrowing needs the department head (sales_manager) and the sales head
(sales_director), and the general manager when a confidential document is in it
(查閱與借閱, 保密管理); four eyes at every step (archive/predicates.py).
The engine locks, checks, applies and writes one BorrowingStep per step through the
writer below. Imported by ``ArchiveConfig.ready()``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from archive import predicates as can
from archive.exceptions import (
    MSG_COMMENT_REQUIRED,
    MSG_DISPOSED,
    MSG_DUE_IN_PAST,
    MSG_NO_DOCUMENTS,
    MSG_NOT_DUE,
    MSG_ON_LOAN,
    MSG_PURPOSE_REQUIRED,
    ArchiveError,
    ArchiveInvalid,
)
from archive.models import Borrowing, BorrowingStatus, BorrowingStep, Document
from archive.registry import source_for
from core import roles
from core.actions import Step, action, timeline_writer
from core.messages import MessageLike, Msg, date_param
from core.models import OutboxMessage, SlaKind
from core.outbox import outbox_handler, outbox_put
from core.services import notify_users, sla_clock_meet, sla_clock_start

DELETE_FILE = "archive.delete_file"


timeline_writer(Borrowing, BorrowingStep, fk="borrowing")


def _notify(
    users: list[Any], *, title: MessageLike, body: MessageLike, borrowing: Borrowing
) -> None:
    notify_users(users, title=title, body=body, target=borrowing)


def _role_users(role: str) -> list[Any]:
    return list(get_user_model().objects.filter(groups__name=role, is_active=True).distinct())


# Who is asked next, by the status the borrowing is waiting in.
NEXT_APPROVER_ROLE = {
    BorrowingStatus.PENDING_DEPARTMENT: roles.SALES_MANAGER,
    BorrowingStatus.PENDING_SALES_HEAD: roles.SALES_DIRECTOR,
    BorrowingStatus.PENDING_GM: roles.GENERAL_MANAGER,
}

# The approval each pending status waits for (``borrowing.<name>``).
APPROVAL_FOR = {
    BorrowingStatus.PENDING_DEPARTMENT: "approve_department",
    BorrowingStatus.PENDING_SALES_HEAD: "approve_sales",
    BorrowingStatus.PENDING_GM: "approve_gm",
}


def approval_for(borrowing: Borrowing) -> str:
    """The action that approves ``borrowing`` at the step it waits in."""
    name = APPROVAL_FOR.get(borrowing.status, "approve_department")
    if name == "approve_sales" and borrowing.needs_general_manager:
        name = "approve_sales_to_gm"
    return f"borrowing.{name}"


def _ask_next(borrowing: Borrowing) -> None:
    role = NEXT_APPROVER_ROLE.get(borrowing.status)
    if role:
        _notify(
            [u for u in _role_users(role) if u.pk != borrowing.borrower_id],
            title=Msg(_l("Borrowing %(number)s waits for your approval"), number=str(borrowing)),
            body=borrowing.purpose,
            borrowing=borrowing,
        )


def _due_at(day: date) -> datetime:
    """The end of the due-back day, local time."""
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


# --- borrowing --------------------------------------------------------------------------


@action("borrowing.create", model=Borrowing, predicate=can.may_request, creates=True)
def create(step: Step[Borrowing]) -> Borrowing:
    """Ask to borrow ``documents`` until ``due_date`` for ``purpose``."""
    documents: list[Document] = list(step.params["documents"])
    purpose = (step.params.get("purpose") or "").strip()
    due_date: date = step.params["due_date"]
    errors: dict[str, list[str]] = {}
    if not documents:
        errors["documents"] = [str(MSG_NO_DOCUMENTS)]
    if not purpose:
        errors["purpose"] = [str(MSG_PURPOSE_REQUIRED)]
    if due_date < timezone.localdate():
        errors["due_date"] = [str(MSG_DUE_IN_PAST)]
    if any(document.is_disposed for document in documents):
        errors.setdefault("documents", []).append(str(MSG_DISPOSED))
    if errors:
        raise ArchiveInvalid(" ".join(m for ms in errors.values() for m in ms), fields=errors)
    borrowing = Borrowing(
        borrower=step.actor,
        purpose=purpose,
        due_date=due_date,
        needs_general_manager=any(d.is_confidential for d in documents),
    )
    borrowing.save()
    borrowing.documents.set(documents)
    step.event_action, step.note = "request", purpose
    _ask_next(borrowing)
    return borrowing


def _approved(step: Step[Borrowing]) -> None:
    """After an approval: lend the documents (the last one) or ask the next approver."""
    step.transition()
    borrowing = step.obj
    if borrowing.status != BorrowingStatus.ON_LOAN:
        _ask_next(borrowing)
        return
    borrowing.loaned_at = timezone.now()
    borrowing.save(update_fields=["loaned_at"])
    sla_clock_start(
        target=borrowing,
        kind=SlaKind.DOCUMENT_RETURN,
        owner=borrowing.borrower,
        due_at=max(_due_at(borrowing.due_date), timezone.now()),
        note=borrowing.purpose[:500],
    )
    _notify(
        [borrowing.borrower],
        title=Msg(
            _l("Borrowing %(number)s approved: return the documents by %(date)s"),
            number=str(borrowing),
            date=date_param(borrowing.due_date),
        ),
        body=borrowing.purpose,
        borrowing=borrowing,
    )


@action(
    "borrowing.approve_department",
    model=Borrowing,
    predicate=can.may_approve_department,
    transition="approve_department",
)
def approve_department(step: Step[Borrowing]) -> None:
    _approved(step)


@action(
    "borrowing.approve_sales",
    model=Borrowing,
    predicate=can.may_approve_sales,
    transition="approve_sales",
)
def approve_sales(step: Step[Borrowing]) -> None:
    _approved(step)


@action(
    "borrowing.approve_sales_to_gm",
    model=Borrowing,
    predicate=can.may_approve_sales,
    transition="approve_sales_to_gm",
)
def approve_sales_to_gm(step: Step[Borrowing]) -> None:
    _approved(step)


@action(
    "borrowing.approve_gm",
    model=Borrowing,
    predicate=can.may_approve_gm,
    transition="approve_gm",
)
def approve_gm(step: Step[Borrowing]) -> None:
    _approved(step)


@action("borrowing.reject", model=Borrowing, predicate=can.may_decide, transition="reject")
def reject(step: Step[Borrowing]) -> None:
    if not step.note:
        raise ArchiveInvalid(MSG_COMMENT_REQUIRED, fields={"comment": [str(MSG_COMMENT_REQUIRED)]})
    step.transition()
    _notify(
        [step.obj.borrower],
        title=Msg(_l("Borrowing %(number)s was rejected"), number=str(step.obj)),
        body=step.note,
        borrowing=step.obj,
    )


@action("borrowing.give_back", model=Borrowing, predicate=can.may_give_back, transition="give_back")
def give_back(step: Step[Borrowing]) -> None:
    """The documents are back (checked complete): access ends, the clock is met."""
    step.obj.returned_at = timezone.now()
    step.transition()
    sla_clock_meet(target=step.obj, kind=SlaKind.DOCUMENT_RETURN, at=step.obj.returned_at)


# --- disposal ---------------------------------------------------------------------------


def _field_file(document: Document) -> Any:
    """The stored file of a register row: its own (a generated PDF) or its source's."""
    if document.file:
        return document.file
    source_obj = document.source
    source = source_for(source_obj) if source_obj is not None else None
    return getattr(source_obj, source.file_field) if source is not None else None


@action("document.dispose", model=Document, predicate=can.may_dispose)
def dispose(step: Step[Document]) -> Document:
    """The data admin confirms that a document past its retention is destroyed.

    The register row stays (who, when, why: it is the disposal record); the stored file
    is deleted through the outbox, after the commit — a rolled-back disposal never loses
    a file, a committed one never keeps it.
    """
    document = step.obj
    if document.is_disposed:
        raise ArchiveError(MSG_DISPOSED, code="disposed")
    if document.disposal_date > timezone.localdate():
        raise ArchiveError(MSG_NOT_DUE, code="not_due")
    if document.loans.filter(status=BorrowingStatus.ON_LOAN).exists():
        raise ArchiveError(MSG_ON_LOAN, code="on_loan")
    document.disposed_at = timezone.now()
    document.disposed_by = step.actor
    document.disposal_note = step.note
    document.save(update_fields=["disposed_at", "disposed_by", "disposal_note"])
    if _field_file(document):
        outbox_put(DELETE_FILE, {"document": document.pk}, target=document)
    return document


@outbox_handler(DELETE_FILE)
def delete_file(message: OutboxMessage) -> None:
    """Delete the stored file of a disposed document (again: nothing left is fine)."""
    document = Document.objects.filter(pk=message.payload["document"]).first()
    if document is None or not document.is_disposed:
        return
    field_file = _field_file(document)
    if field_file and field_file.storage.exists(field_file.name):
        field_file.storage.delete(field_file.name)
