"""Read queries of the document register: its pages (constant query counts through
select_related / prefetch), the counts of the "my work" page and the customer-file panel
(registered in ``ArchiveConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from archive.models import (
    PENDING_BORROWING,
    STEP_PERMISSIONS,
    Borrowing,
    BorrowingStatus,
    Document,
    DocumentAccessLog,
)


def document_register(*, filters: dict[str, Any]) -> QuerySet[Document]:
    qs = Document.objects.select_related("customer", "registered_by", "disposed_by")
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("confidentiality"):
        qs = qs.filter(confidentiality=filters["confidentiality"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(customer__name__icontains=q))
    if filters.get("state") == "disposed":
        qs = qs.filter(disposed_at__isnull=False)
    elif filters.get("state") != "all":
        qs = qs.filter(disposed_at__isnull=True)
    return qs.order_by("-registered_at", "-id")


def documents_due_for_disposal() -> QuerySet[Document]:
    return (
        Document.objects.due_for_disposal()
        .select_related("customer")
        .annotate(open_loans=Count("loans", filter=Q(loans__status=BorrowingStatus.ON_LOAN)))
        .order_by("disposal_date", "id")
    )


def customer_documents(*, customer_id: int) -> list[Document]:
    return list(
        Document.objects.active().filter(customer_id=customer_id).order_by("-registered_at")[:20]
    )


def borrowing_list(*, user: Any, scope: str = "") -> QuerySet[Borrowing]:
    """The borrowing register: all of it for approvers and the data admin, else one's own."""
    qs = Borrowing.objects.select_related("borrower").prefetch_related(
        Prefetch("documents", queryset=Document.objects.only("id", "title", "confidentiality"))
    )
    sees_all = any(user.has_perm(p) for p in STEP_PERMISSIONS.values()) or user.has_perm(
        "archive.record_return"
    )
    if scope == "decide":
        statuses = [s for s, perm in STEP_PERMISSIONS.items() if user.has_perm(perm)]
        qs = qs.filter(status__in=statuses).exclude(borrower=user)
    elif scope == "mine" or not sees_all:
        qs = qs.filter(borrower=user)
    return qs.order_by("-created_at", "-id")


def borrowing_detail(*, pk: int) -> Borrowing:
    return (
        Borrowing.objects.select_related("borrower")
        .prefetch_related("documents__customer", "steps__actor")
        .get(pk=pk)
    )


def overdue_loans() -> QuerySet[Borrowing]:
    return Borrowing.objects.filter(
        status=BorrowingStatus.ON_LOAN, due_date__lt=timezone.localdate()
    )


def access_log(*, document_id: int | None = None) -> QuerySet[DocumentAccessLog]:
    qs = DocumentAccessLog.objects.select_related("document", "user", "borrowing")
    if document_id:
        qs = qs.filter(document_id=document_id)
    return qs.order_by("-at", "-id")


# --- the registries of core: "my work" counts and the customer-file panel ---------------


def documents_to_approve_count(user: Any) -> int:
    """Quotations, contracts and borrowings waiting for ``user``'s decision, in ONE query:
    the "my work" page has a fixed query budget whatever the number of sources. Four eyes
    as the predicates say (orders/predicates/quotations.py, contracts/predicates.py,
    archive/predicates.py): nothing the user made, owns or edited is counted."""
    from contracts.models import Contract, ContractEvent, ContractStatus
    from contracts.predicates import TEXT_STEPS
    from orders.models import Quotation, QuotationEvent, QuotationStatus
    from orders.predicates.quotations import LINE_STEPS

    def statuses(pairs: list[tuple[str, str]]) -> list[str]:
        return [status for perm, status in pairs if user.has_perm(perm)]

    parts: list[QuerySet[Any]] = []
    quotation_statuses = statuses(
        [
            ("orders.approve_quotation", QuotationStatus.PENDING_APPROVAL),
            ("orders.approve_large_quotation", QuotationStatus.PENDING_DIRECTOR),
        ]
    )
    if quotation_statuses:
        quotation_edited = QuotationEvent.objects.filter(
            quotation=OuterRef("pk"), actor=user, action__in=LINE_STEPS
        )
        parts.append(
            Quotation.objects.filter(status__in=quotation_statuses)
            .exclude(created_by=user)
            .exclude(owner=user)
            .exclude(Exists(quotation_edited))
        )
    contract_statuses = statuses(
        [
            ("contracts.review_contract", ContractStatus.SUPERVISOR_REVIEW),
            ("contracts.legal_review_contract", ContractStatus.LEGAL_REVIEW),
        ]
    )
    if contract_statuses:
        contract_edited = ContractEvent.objects.filter(
            contract=OuterRef("pk"), amendment__isnull=True, actor=user, action__in=TEXT_STEPS
        )
        parts.append(
            Contract.objects.filter(status__in=contract_statuses)
            .exclude(created_by=user)
            .exclude(Exists(contract_edited))
        )
    borrowing_statuses = statuses([(perm, status) for status, perm in STEP_PERMISSIONS.items()])
    if borrowing_statuses:
        parts.append(Borrowing.objects.filter(status__in=borrowing_statuses).exclude(borrower=user))
    if not parts:
        return 0
    sqls: list[str] = []
    params: list[Any] = []
    for qs in parts:
        sql, qparams = qs.order_by().values("pk").query.sql_with_params()
        sqls.append(f"(SELECT count(*) FROM ({sql}) AS s)")  # noqa: S608 - SQL compiled by the ORM, params bound
        params.extend(qparams)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(sqls), params)
        return int(cursor.fetchone()[0])


def due_for_disposal_count(user: Any) -> int:
    return Document.objects.due_for_disposal().count()


def customer_documents_panel(user: Any, customer: Any) -> dict[str, Any]:
    return {"archive_documents": customer_documents(customer_id=customer.pk)}


__all__ = [
    "PENDING_BORROWING",
    "access_log",
    "borrowing_detail",
    "borrowing_list",
    "customer_documents",
    "customer_documents_panel",
    "document_register",
    "documents_due_for_disposal",
    "documents_to_approve_count",
    "due_for_disposal_count",
]
