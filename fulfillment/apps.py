from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = _("Fulfillment")

    def ready(self) -> None:
        # Declares the fulfillment actions, the hooks on the orders app's approval and
        # cancellation (stock reservation and release) and the delivery notice's outbox
        # handler: registries only.
        # The ERP's stock reports are one more action (fulfillment/erp.py).
        import fulfillment.actions
        import fulfillment.erp
        import fulfillment.tracking  # noqa: F401  (carriers' tracking events)
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav
        from core.panels import register_order_badges
        from core.work import register_work_source
        from fulfillment import badges, selectors

        # The delivery date to negotiate / agreed, on the order page and list (core.panels).
        register_order_badges(key="delivery_date", source=badges.delivery_date_badges)

        everyone_views = (
            "fulfillment.view_warehouse",
            "fulfillment.view_stocklevel",
            "fulfillment.view_orderfulfillment",
            "fulfillment.view_shipment",
        )
        r.grant(r.ALL_ROLES, *everyone_views)
        r.grant(
            (r.WAREHOUSE,),
            "fulfillment.manage_stock",
            "fulfillment.change_allocation",
            "fulfillment.record_progress",
            "fulfillment.view_stockmovement",
            "fulfillment.view_purchasealert",
            "fulfillment.view_bomline",
            "fulfillment.add_bomline",
            "fulfillment.change_bomline",
            "fulfillment.delete_bomline",
        )
        r.grant(
            (r.SALES_MANAGER, r.DATA_ADMIN),
            "fulfillment.view_stockmovement",
            "fulfillment.view_purchasealert",
            "fulfillment.view_allocationrule",
        )
        # Tracking events of carriers / 3PLs (fulfillment/tracking.py, the API).
        r.grant(
            (r.LOGISTICS, r.DATA_ADMIN),
            "fulfillment.post_tracking",
            "fulfillment.view_shipmenttrackingevent",
        )
        r.grant(
            (r.DATA_ADMIN,),
            "fulfillment.add_allocationrule",
            "fulfillment.change_allocationrule",
            "fulfillment.delete_allocationrule",
        )

        register_nav(
            NavItem(
                "warehouse",
                _("Warehouse"),
                "fulfillment:warehouse",
                "building",
                permission="orders.confirm_stock",
                order=40,
            )
        )
        register_nav(
            NavItem(
                "logistics",
                _("Logistics"),
                "fulfillment:logistics",
                "truck",
                permission="orders.ship_order",
                order=41,
            )
        )
        register_nav(
            NavItem(
                "stock",
                _("Stock"),
                "fulfillment:stock",
                "boxes",
                permission="fulfillment.view_stocklevel",
                order=42,
            )
        )
        register_work_source(
            (r.WAREHOUSE,),
            key="fulfillment_to_confirm",
            label=_("Orders waiting for my stock confirmation"),
            source=lambda user: selectors.orders_to_confirm(),
            url="fulfillment:warehouse",
            icon="clipboard-check",
            order=30,
        )
        register_work_source(
            (r.WAREHOUSE,),
            key="fulfillment_preparing_late",
            label=_("Orders in preparation running late"),
            source=lambda user: selectors.orders_preparing_late(),
            url="fulfillment:warehouse",
            icon="hourglass-split",
            order=31,
        )
        register_work_source(
            (r.WAREHOUSE,),
            key="fulfillment_purchase_alerts",
            label=_("Purchase alerts"),
            source=lambda user: selectors.open_purchase_alerts().count(),
            url="fulfillment:warehouse",
            icon="cart-plus",
            order=32,
        )
        register_work_source(
            (r.LOGISTICS,),
            key="fulfillment_ready_to_ship",
            label=_("Orders ready to ship"),
            source=lambda user: selectors.orders_ready_to_ship(),
            url="fulfillment:logistics",
            icon="box-seam",
            order=30,
        )
        register_work_source(
            (r.LOGISTICS,),
            key="fulfillment_in_transit",
            label=_("Orders in transit"),
            source=lambda user: selectors.orders_in_transit(),
            url="fulfillment:logistics",
            icon="truck",
            order=31,
        )
        register_work_source(
            (r.SALES_ASSISTANT, r.SALES_MANAGER, r.ACCOUNT_MANAGER),
            key="fulfillment_to_negotiate",
            label=_("Delivery dates to agree with the customer"),
            source=lambda user: selectors.orders_to_negotiate(user),
            icon="chat-left-dots",
            order=25,
        )
        register_home_action(
            (r.WAREHOUSE,),
            HomeAction(
                _("Warehouse work"),
                "fulfillment:warehouse",
                "building",
                permission="orders.confirm_stock",
                count=lambda user: selectors.orders_to_confirm().count(),
                order=10,
            ),
        )
        register_home_action(
            (r.LOGISTICS,),
            HomeAction(
                _("Logistics work"),
                "fulfillment:logistics",
                "truck",
                permission="orders.ship_order",
                count=lambda user: selectors.orders_ready_to_ship().count(),
                order=10,
            ),
        )
