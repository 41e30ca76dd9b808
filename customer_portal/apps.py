from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerPortalConfig(AppConfig):
    """The customer's side (docs/architecture.md): signed links, tracking, confirmation, delivery receipt, survey, complaints; every customer step is an action of the engine."""

    name = "customer_portal"
    verbose_name = _("Customer side")

    def ready(self) -> None:
        # The registries only: actions, outbox handlers, hooks, the order page's panel.
        from core.panels import register_order_badges, register_order_panel

        # The receipt, survey and request steps (their import admits the order's customer
        # to the after-sales actions they run: aftersales.predicates.admit_customer).
        from customer_portal import channels, hooks  # noqa: F401
        from customer_portal.actions import orders, receipts, requests, surveys  # noqa: F401
        from customer_portal.badges import customer_badges
        from customer_portal.views.orders import panel_context

        hooks.register()
        register_order_panel(
            key="customer_links",
            label=_("Customer link"),
            template="customer_portal/_order_panel.html",
            context=panel_context,
            order=20,
        )
        register_order_badges(key="customer_portal", source=customer_badges)
