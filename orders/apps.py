"""The orders app's start-up: ``ready()`` only fills registries (permissions, navigation,
"my work" sources, customer-file panels — their reads are in orders/selectors.py) and
imports the action modules, which declares the actions."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav
        from core.work import register_work_source
        from orders import selectors
        from orders.actions import catalog as catalog_actions  # noqa: F401

        # Importing the action modules declares the app's actions (core.actions).
        from orders.actions import orders as order_actions  # noqa: F401
        from orders.actions import quotations as quotation_actions  # noqa: F401

        r.grant(r.ALL_ROLES, "orders.view_product", "orders.view_order")
        # Sales assistants enter orders and review each other's (never their own: four eyes,
        # orders/predicates/orders.py); managers may review too.
        r.grant((r.SALES_ASSISTANT,), "orders.add_order", "orders.change_order")
        r.grant((r.SALES_ASSISTANT, r.SALES_MANAGER), "orders.review_order")
        # Each later step belongs to one role (docs/workflow.md §4); the actions' predicates
        # check these permissions, and four eyes on top where the rule says so.
        r.grant(
            (r.SALES_MANAGER,),
            "orders.approve_order",
            "orders.release_credit_hold",
            "orders.approve_cancellation",
        )
        r.grant((r.SALES_DIRECTOR,), "orders.approve_large_order")
        r.grant((r.WAREHOUSE,), "orders.confirm_stock")
        r.grant((r.LOGISTICS,), "orders.ship_order", "orders.record_delivery")
        r.grant(
            (r.ACCOUNT_MANAGER,),
            "orders.record_delivery",
            "orders.accept_delivery",
            "orders.complete_order",
        )
        r.grant((r.DATA_ADMIN,), "orders.archive_order")
        r.grant((r.SALES_MANAGER, r.DATA_ADMIN), "orders.add_product", "orders.change_product")
        # Prices are confidential (docs/workflow.md §2): not for warehouse or logistics.
        r.grant(
            (
                *r.SALES_ROLES,
                r.ACCOUNT_MANAGER,
                r.AFTERSALES,
                r.DATA_ADMIN,
                r.LEGAL,
                r.GENERAL_MANAGER,
            ),
            "orders.view_prices",
        )

        register_nav(
            NavItem(
                "orders",
                _("Orders"),
                "orders:list",
                "receipt",
                permission="orders.view_order",
                order=10,
            )
        )
        register_nav(
            NavItem(
                "approvals",
                _("Approvals"),
                "orders:approvals",
                "check2-square",
                permission="orders.approve_order",
                order=12,
            )
        )
        register_nav(
            NavItem(
                "approvals_director",
                _("Approvals"),
                "orders:approvals",
                "check2-square",
                permission="orders.approve_large_order",
                order=12,
            )
        )
        register_work_source(
            (r.SALES_MANAGER, r.SALES_DIRECTOR),
            key="orders_to_approve",
            label=_("Orders waiting for my approval"),
            source=selectors.work_orders_to_approve,
            url="orders:approvals",
            icon="check2-square",
            order=5,
        )
        register_work_source(
            (r.SALES_MANAGER,),
            key="cancellations_to_decide",
            label=_("Cancellations to decide"),
            source=selectors.work_cancellations_to_decide,
            url="orders:approvals",
            icon="x-octagon",
            order=6,
        )
        register_home_action(
            (r.SALES_MANAGER, r.SALES_DIRECTOR),
            HomeAction(
                _("Orders waiting for my approval"),
                "orders:approvals",
                "check2-square",
                count=lambda user: selectors.work_orders_to_approve(user).count(),
                order=1,
            ),
        )
        register_home_action(
            r.ALL_ROLES,
            HomeAction(
                _("Orders"), "orders:list", "receipt", permission="orders.view_order", order=80
            ),
        )
        register_nav(
            NavItem(
                "catalog",
                _("Product catalog"),
                "catalog:list",
                "box",
                permission="orders.view_product",
                order=30,
            )
        )
        register_work_source(
            (r.SALES_ASSISTANT, r.SALES_MANAGER),
            key="orders_to_review",
            label=_("Orders waiting for my preliminary review"),
            source=selectors.work_orders_to_review,
            url="orders:list",
            query="status=pending_review",
            icon="clipboard-check",
            order=10,
        )
        register_work_source(
            (r.SALES_ASSISTANT,),
            key="my_orders_to_fix",
            label=_("My orders to complete or clarify"),
            source=selectors.work_my_orders_to_fix,
            url="orders:list",
            icon="pencil-square",
            order=20,
        )
        register_home_action(
            (r.SALES_ASSISTANT,),
            HomeAction(
                _("New order"),
                "orders:create",
                "plus-circle",
                permission="orders.add_order",
                order=5,
            ),
        )
        register_home_action(
            r.ALL_ROLES,
            HomeAction(
                _("Products on sale"),
                "catalog:list",
                "box",
                permission="orders.view_product",
                count=selectors.products_on_sale_count,
                query="active=1",
                order=90,
            ),
        )
        register_home_action(
            (r.SALES_MANAGER, r.DATA_ADMIN),
            HomeAction(
                _("New product"),
                "catalog:create",
                "plus-square",
                permission="orders.add_product",
                order=95,
            ),
        )
        self._ready_quotations()

    # --- Quotations, customer-file panels ---------------------------------------------------
    def _ready_quotations(self) -> None:
        from core import roles as r
        from core.navigation import NavItem, register_nav
        from core.panels import register_customer_panel
        from orders import selectors

        r.grant(
            (*r.SALES_ROLES, r.ACCOUNT_MANAGER, r.DATA_ADMIN, r.LEGAL, r.GENERAL_MANAGER),
            "orders.view_quotation",
        )
        r.grant(
            (r.SALES_ASSISTANT, r.ACCOUNT_MANAGER),
            "orders.add_quotation",
            "orders.change_quotation",
        )
        # Seed 002: the sales supervisor approves; the superior above the threshold / below the floor.
        r.grant((r.SALES_MANAGER,), "orders.approve_quotation")
        r.grant((r.SALES_DIRECTOR,), "orders.approve_large_quotation")
        r.grant((r.SALES_ASSISTANT, r.ACCOUNT_MANAGER), "orders.convert_quotation")
        register_nav(
            NavItem(
                "quotations",
                _("Quotations"),
                "orders:quotation_list",
                "file-earmark-spreadsheet",
                permission="orders.view_quotation",
                order=11,
            )
        )
        register_customer_panel(
            key="orders",
            label=_("Orders"),
            template="orders/quotation_panel_orders.html",
            context=selectors.panel_customer_orders,
            timeline=selectors.panel_customer_orders_timeline,
            permission="orders.view_order",
            order=10,
        )
        register_customer_panel(
            key="quotations",
            label=_("Quotations"),
            template="orders/quotation_panel.html",
            context=selectors.panel_customer_quotations,
            timeline=selectors.panel_customer_quotations_timeline,
            permission="orders.view_quotation",
            order=20,
        )
