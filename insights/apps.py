from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """What the order history teaches (docs/architecture.md): nightly forecasts and scores, read from precomputed tables."""

    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # Registries only: the lower apps' pages show what insights computed without
        # importing it (docs/architecture.md, layering).
        import insights.actions  # noqa: F401  (actions and the purchase-alert hook)
        from core import roles as r
        from core.navigation import NavItem, register_nav
        from core.panels import (
            register_customer_panel,
            register_order_badges,
            register_order_form_hint,
            register_order_panel,
        )
        from core.work import register_work_source
        from fulfillment.services import register_delivery_risk_lead
        from insights import selectors
        from insights.actions import early_lead

        r.grant(
            (
                r.SALES_ASSISTANT,
                r.SALES_MANAGER,
                r.SALES_DIRECTOR,
                r.WAREHOUSE,
                r.LOGISTICS,
                r.ACCOUNT_MANAGER,
                r.GENERAL_MANAGER,
            ),
            "insights.view_deliveryrisk",
            "insights.view_productpair",
        )
        r.grant(
            (r.SALES_MANAGER, r.SALES_DIRECTOR, r.ACCOUNT_MANAGER, r.GENERAL_MANAGER),
            "insights.view_churnrisk",
        )
        r.grant(
            (r.WAREHOUSE, r.SALES_MANAGER, r.GENERAL_MANAGER, r.DATA_ADMIN),
            "insights.view_replenishmentsuggestion",
            "insights.view_replenishmentdecision",
        )
        r.grant((r.WAREHOUSE,), "insights.add_replenishmentdecision")

        register_order_panel(
            key="delivery_risk",
            label=_("Delivery risk"),
            template="insights/_order_risk.html",
            context=selectors.order_panel,
            permission="insights.view_deliveryrisk",
            order=60,
        )
        register_order_badges(key="delivery_risk", source=selectors.delivery_risk_badges)
        register_customer_panel(
            key="churn_risk",
            label=_("Risk of leaving"),
            template="insights/_customer_risk.html",
            context=selectors.customer_panel,
            permission="insights.view_churnrisk",
            order=5,
        )
        register_order_form_hint(key="bought_together", url_name="insights:order_hints")
        register_delivery_risk_lead(early_lead)
        register_nav(
            NavItem(
                "insights",
                _("Insights"),
                "insights:dashboard",
                "graph-up-arrow",
                permission="insights.view_deliveryrisk",
                order=80,
            )
        )
        register_work_source(
            (r.SALES_MANAGER, r.SALES_DIRECTOR, r.GENERAL_MANAGER, r.LOGISTICS, r.WAREHOUSE),
            key="insights_delivery_high",
            label=_("Open orders at high delivery risk"),
            source=lambda user: selectors.high_delivery_risk_count(),
            url="insights:dashboard",
            icon="exclamation-triangle",
            order=20,
        )
        register_work_source(
            (r.ACCOUNT_MANAGER, r.SALES_MANAGER),
            key="insights_churn_high",
            label=_("My customers at high risk of leaving"),
            source=selectors.my_churn_high_count,
            url="insights:dashboard",
            query="mine=1",
            icon="person-dash",
            order=21,
        )
