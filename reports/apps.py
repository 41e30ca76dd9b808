from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The top layer (docs/architecture.md): reads every app, writes only its own table
    (the improvement list)."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav
        from reports import actions  # noqa: F401  (declares the improvement list's actions)
        from reports.selectors import orders_this_month

        # The permission is declared on archive.MonthClose (docs/decisions/0007-reports-apart.md).
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
        # The improvement list feeds every monthly review (its open items print in the
        # report); whoever reads the review finds it in the navigation and on the report.
        register_nav(
            NavItem(
                "improvements",
                _("Improvement list"),
                "reports:improvements",
                "list-check",
                permission="archive.view_reports",
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
                count=orders_this_month,
                order=2,
            ),
        )
