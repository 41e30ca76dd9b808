from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _count_active_products(user):  # type: ignore[no-untyped-def]
    from orders.models import Product

    return Product.objects.filter(is_active=True).count()


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav

        r.grant(r.ALL_ROLES, "orders.view_product", "orders.view_order")
        # Sales assistants enter orders and review each other's (never their own: four eyes,
        # enforced by Order.user_may_review); managers may review too.
        r.grant((r.SALES_ASSISTANT,), "orders.add_order", "orders.change_order")
        r.grant((r.SALES_ASSISTANT, r.SALES_MANAGER), "orders.review_order")
        r.grant((r.SALES_MANAGER, r.DATA_ADMIN), "orders.add_product", "orders.change_product")
        # Prices are confidential (DESIGN.md §2): not for warehouse or logistics.
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
                "catalog",
                _("Product catalog"),
                "catalog:list",
                "box",
                permission="orders.view_product",
                order=30,
            )
        )
        register_home_action(
            r.ALL_ROLES,
            HomeAction(
                _("Products on sale"),
                "catalog:list",
                "box",
                permission="orders.view_product",
                count=_count_active_products,
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
