"""Read queries of the archive pages: constant query counts (select_related / prefetch)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
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


__all__ = [
    "PENDING_BORROWING",
    "access_log",
    "borrowing_detail",
    "borrowing_list",
    "customer_documents",
    "document_register",
    "documents_due_for_disposal",
]
