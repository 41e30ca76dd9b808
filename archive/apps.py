"""The archive app: the document register with borrowing and disposal, and the month close
with its packages (docs/architecture.md, "Layers"). ``ready()`` only registers: the
actions, the document sources and the receivers that keep the register in step with
them, the file guard, role grants, navigation, "my work" counts, the customer panel.
The queries those registries call are in archive/document_selectors.py; the document
sources are declared in archive/registry.py."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from archive import actions  # noqa: F401  (declares the archive's actions)
        from archive import document_selectors as selectors
        from archive.document_services import (
            file_guard,
            register_quotation_pdf,
            register_saved_source,
        )
        from archive.registry import lower_app_sources, register_source
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav
        from core.panels import register_customer_panel, register_file_guard
        from core.work import register_work_source
        from orders.services.quotations import quotation_pdf_generated

        # The document register follows every stored file of the lower apps, in the
        # transaction that stores it (archive/document_services.py).
        for source in lower_app_sources():
            register_source(source)
            post_save.connect(
                register_saved_source,
                sender=source.model_class,
                dispatch_uid=f"archive-register-{source.model}",
            )
        quotation_pdf_generated.connect(
            register_quotation_pdf, dispatch_uid="archive-quotation-pdf"
        )
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
            source=selectors.documents_to_approve_count,
            url="archive:borrowings",
            query="mine=decide",
            icon="journal-check",
            order=8,
        )
        register_work_source(
            (r.DATA_ADMIN,),
            key="documents_due_for_disposal",
            label=_("Documents due for disposal"),
            source=selectors.due_for_disposal_count,
            url="archive:disposal",
            icon="trash",
            order=50,
        )
        register_customer_panel(
            key="archive_documents",
            label=_("Registered documents"),
            template="archive/_customer_documents.html",
            context=selectors.customer_documents_panel,
            permission="archive.view_document",
            order=90,
        )

        # The month close (archive/month_close.py), whose pages the reports URLs mount
        # under /reports/archive/ (reports/urls.py).
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
            (r.DATA_ADMIN,),
            HomeAction(
                _("Close a month"),
                "reports:archive",
                "archive",
                permission="orders.archive_order",
                order=3,
            ),
        )
