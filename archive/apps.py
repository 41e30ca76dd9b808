from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _documents_to_approve(user):  # type: ignore[no-untyped-def]
    """Quotations, contracts and borrowings waiting for ``user``'s decision, in ONE query:
    the "my work" page has a fixed query budget whatever the number of sources. Four eyes
    as the predicates say (orders/quotation_predicates.py, customers/contract_predicates.py,
    archive/predicates.py): nothing the user made, owns or edited is counted."""
    from django.db import connection
    from django.db.models import Exists, OuterRef

    from archive.models import Borrowing
    from customers.contract_predicates import TEXT_STEPS
    from customers.contracts import Contract, ContractEvent, ContractStatus
    from orders.quotation_predicates import LINE_STEPS
    from orders.quotations import Quotation, QuotationEvent, QuotationStatus

    def statuses(pairs):  # type: ignore[no-untyped-def]
        return [status for perm, status in pairs if user.has_perm(perm)]

    parts = []
    quotation_statuses = statuses(
        [
            ("orders.approve_quotation", QuotationStatus.PENDING_APPROVAL),
            ("orders.approve_large_quotation", QuotationStatus.PENDING_DIRECTOR),
        ]
    )
    if quotation_statuses:
        edited = QuotationEvent.objects.filter(
            quotation=OuterRef("pk"), actor=user, action__in=LINE_STEPS
        )
        parts.append(
            Quotation.objects.filter(status__in=quotation_statuses)
            .exclude(created_by=user)
            .exclude(owner=user)
            .exclude(Exists(edited))
        )
    contract_statuses = statuses(
        [
            ("customers.review_contract", ContractStatus.SUPERVISOR_REVIEW),
            ("customers.legal_review_contract", ContractStatus.LEGAL_REVIEW),
        ]
    )
    if contract_statuses:
        edited = ContractEvent.objects.filter(
            contract=OuterRef("pk"), amendment__isnull=True, actor=user, action__in=TEXT_STEPS
        )
        parts.append(
            Contract.objects.filter(status__in=contract_statuses)
            .exclude(created_by=user)
            .exclude(Exists(edited))
        )
    borrowing_statuses = statuses(
        [
            ("archive.approve_borrowing_department", "pending_department"),
            ("archive.approve_borrowing_sales", "pending_sales_head"),
            ("archive.approve_borrowing_confidential", "pending_gm"),
        ]
    )
    if borrowing_statuses:
        parts.append(Borrowing.objects.filter(status__in=borrowing_statuses).exclude(borrower=user))
    if not parts:
        return 0
    sqls, params = [], []
    for qs in parts:
        sql, qparams = qs.order_by().values("pk").query.sql_with_params()
        sqls.append(f"(SELECT count(*) FROM ({sql}) AS s)")  # noqa: S608 - SQL compiled by the ORM, params bound
        params.extend(qparams)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(sqls), params)
        return int(cursor.fetchone()[0])


def _due_for_disposal(user):  # type: ignore[no-untyped-def]
    from archive.models import Document

    return Document.objects.due_for_disposal().count()


def _sources():  # type: ignore[no-untyped-def]
    """The lower apps' models that hold documents (DESIGN.md §3: the archive reads everything)."""
    from archive.models import Confidentiality, DocumentCategory
    from archive.registry import DocumentSource, as_date

    return [
        DocumentSource(
            model="customers.QualificationDocument",
            file_field="file",
            # Credit reports are credit data: confidential (DESIGN.md §2, 保密範圍).
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
            model="customers.Contract",
            file_field="signed_scan",
            category=lambda c: DocumentCategory.CONTRACT,
            # Contract terms (price, delivery, payment) are confidential (DESIGN.md §2).
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


def _customer_documents(user, customer):  # type: ignore[no-untyped-def]
    from archive.document_selectors import customer_documents

    return {"archive_documents": customer_documents(customer_id=customer.pk)}


def _orders_this_month(user):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from archive.reports import month_bounds, month_orders

    today = timezone.localdate()
    return month_orders(*month_bounds(today.year, today.month)).count()


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from archive import (
            actions,  # noqa: F401  (declares the archive's actions)
            receivers,
        )
        from archive.document_services import file_guard
        from archive.registry import register_source
        from core import roles as r
        from core.navigation import NavItem, register_nav
        from core.panels import register_customer_panel, register_file_guard
        from core.work import register_work_source

        for source in _sources():
            register_source(source)
        receivers.connect()
        register_file_guard(file_guard)

        everyone = r.ALL_ROLES
        r.grant(
            everyone, "archive.view_document", "archive.add_borrowing", "archive.view_borrowing"
        )
        # Confidential files only for senior management and the business heads.
        r.grant(
            (r.SALES_MANAGER, r.SALES_DIRECTOR, r.LEGAL, r.GENERAL_MANAGER),
            "archive.view_confidential",
        )
        r.grant((r.SALES_MANAGER,), "archive.approve_borrowing_department")
        r.grant((r.SALES_DIRECTOR,), "archive.approve_borrowing_sales")
        r.grant((r.GENERAL_MANAGER,), "archive.approve_borrowing_confidential")
        r.grant((r.DATA_ADMIN, r.SALES_ASSISTANT), "archive.record_return")
        r.grant(
            (r.DATA_ADMIN,),
            "archive.dispose_document",
            "archive.change_document",
        )
        r.grant((r.DATA_ADMIN, r.GENERAL_MANAGER), "archive.view_documentaccesslog")

        register_nav(
            NavItem(
                "archive",
                _("Documents"),
                "archive:register",
                "archive",
                permission="archive.view_document",
                order=60,
            )
        )
        register_work_source(
            (r.SALES_MANAGER, r.SALES_DIRECTOR, r.LEGAL, r.GENERAL_MANAGER),
            key="documents_to_approve",
            label=_("Quotations, contracts and borrowings waiting for me"),
            source=_documents_to_approve,
            url="archive:borrowings",
            query="mine=decide",
            icon="journal-check",
            order=8,
        )
        register_work_source(
            (r.DATA_ADMIN,),
            key="documents_due_for_disposal",
            label=_("Documents due for disposal"),
            source=_due_for_disposal,
            url="archive:disposal",
            icon="trash",
            order=50,
        )
        # --- Monthly review, dashboards and month close (issue «Monthly archive») ---
        from core.navigation import HomeAction, register_home_action

        r.grant(
            (r.SALES_MANAGER, r.SALES_DIRECTOR, r.DATA_ADMIN, r.GENERAL_MANAGER),
            "archive.view_reports",
        )
        register_nav(
            NavItem(
                "reports",
                _("Monthly review"),
                "reports:monthly",
                "bar-chart-line",
                permission="archive.view_reports",
                order=55,
            )
        )
        register_nav(
            NavItem(
                "month_close",
                _("Monthly archive"),
                "reports:archive",
                "archive",
                permission="orders.archive_order",
                order=56,
            )
        )
        register_home_action(
            (r.SALES_MANAGER, r.SALES_DIRECTOR, r.GENERAL_MANAGER),
            HomeAction(
                _("Orders this month so far"),
                "reports:dashboard",
                "graph-up",
                permission="archive.view_reports",
                count=_orders_this_month,
                order=2,
            ),
        )
        register_home_action(
            (r.DATA_ADMIN,),
            HomeAction(
                _("Close a month"),
                "reports:archive",
                "archive",
                permission="orders.archive_order",
                order=3,
            ),
        )

        register_customer_panel(
            key="archive_documents",
            label=_("Registered documents"),
            template="archive/_customer_documents.html",
            context=_customer_documents,
            permission="archive.view_document",
            order=90,
        )
