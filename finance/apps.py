from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    """Settlement statements, credit and debit notes (docs/architecture.md): above after-sales, reads the order's delivered, accepted and replaced quantities."""

    name = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        # The finance actions and the hook on the order's completion (registries only).
        import finance.actions  # noqa: F401
        from core import roles as r
        from core.panels import register_order_panel
        from finance import selectors

        viewers = (r.SALES_MANAGER, r.SALES_DIRECTOR, r.DATA_ADMIN, r.GENERAL_MANAGER)
        r.grant(
            viewers,
            "finance.view_settlementstatement",
            "finance.view_settlementline",
            "finance.view_settlementnote",
            "finance.view_payment",
        )
        r.grant((r.SALES_MANAGER, r.SALES_DIRECTOR), "finance.issue_settlement_note")
        # Finance's system posts payments through the API as a client of this role.
        r.grant((r.DATA_ADMIN,), "finance.post_payment")

        # The statement on the order page (core.panels), for those who may read it.
        register_order_panel(
            key="settlement",
            label=_("Settlement statement"),
            template="finance/_order_panel.html",
            context=selectors.order_panel,
            permission="finance.view_settlementstatement",
            order=60,
        )
