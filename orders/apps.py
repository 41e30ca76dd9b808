from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _orders_to_review(user):  # type: ignore[no-untyped-def]
    from orders.models import Order, OrderStatus

    # Four eyes: never offer someone the orders they entered.
    return (
        Order.objects.filter(status=OrderStatus.PENDING_REVIEW)
        .exclude(created_by=user)
        .select_related("customer")
        .order_by("submitted_at")
    )


def _my_orders_to_fix(user):  # type: ignore[no-untyped-def]
    from django.db.models import Q

    from orders.models import Order, OrderStatus

    return (
        Order.objects.filter(Q(created_by=user) | Q(owner=user))
        .filter(status__in=[OrderStatus.NEEDS_INFO, OrderStatus.RETURNED, OrderStatus.DRAFT])
        .select_related("customer")
        .order_by("updated_at")
    )


def _orders_to_approve(user):  # type: ignore[no-untyped-def]
    from orders.models import Order, OrderStatus

    statuses = []
    if user.has_perm("orders.approve_order"):
        statuses.append(OrderStatus.PENDING_APPROVAL)
    if user.has_perm("orders.approve_large_order"):
        statuses.append(OrderStatus.PENDING_DIRECTOR)
    return (
        Order.objects.filter(status__in=statuses)
        .exclude(created_by=user)
        .select_related("customer")
        .order_by("submitted_at")
    )


def _requests_to_decide(user):  # type: ignore[no-untyped-def]
    from orders.models import Order, OrderStatus

    return (
        Order.objects.filter(cancel_requested_at__isnull=False)
        .exclude(status=OrderStatus.CANCELLED)
        .exclude(cancel_requested_by=user)
        .select_related("customer")
        .order_by("cancel_requested_at")
    )


def _count_active_products(user):  # type: ignore[no-untyped-def]
    from orders.models import Product

    return Product.objects.filter(is_active=True).count()


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav
        from core.work import register_work_source
        from orders import actions  # noqa: F401 - declares the orders app's actions

        r.grant(r.ALL_ROLES, "orders.view_product", "orders.view_order")
        # Sales assistants enter orders and review each other's (never their own: four eyes,
        # enforced by Order.user_may_review); managers may review too.
        r.grant((r.SALES_ASSISTANT,), "orders.add_order", "orders.change_order")
        r.grant((r.SALES_ASSISTANT, r.SALES_MANAGER), "orders.review_order")
        # Each later step belongs to one role (DESIGN.md §4); the model's transitions
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
            source=_orders_to_approve,
            url="orders:approvals",
            icon="check2-square",
            order=5,
        )
        register_work_source(
            (r.SALES_MANAGER,),
            key="cancellations_to_decide",
            label=_("Cancellations to decide"),
            source=_requests_to_decide,
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
                count=lambda user: _orders_to_approve(user).count(),
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
            source=_orders_to_review,
            url="orders:list",
            query="status=pending_review",
            icon="clipboard-check",
            order=10,
        )
        register_work_source(
            (r.SALES_ASSISTANT,),
            key="my_orders_to_fix",
            label=_("My orders to complete or clarify"),
            source=_my_orders_to_fix,
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
        self._ready_quotations()

    # --- Quotations, customer-file panels (issue 11) ---------------------------------------
    def _ready_quotations(self) -> None:
        from core import roles as r
        from core.navigation import NavItem, register_nav
        from core.panels import register_customer_panel
        from orders import quotation_actions  # noqa: F401  (declares the quotation actions)

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
            context=_customer_orders,
            timeline=_customer_orders_timeline,
            permission="orders.view_order",
            order=10,
        )
        register_customer_panel(
            key="quotations",
            label=_("Quotations"),
            template="orders/quotation_panel.html",
            context=_customer_quotations,
            timeline=_customer_quotations_timeline,
            permission="orders.view_quotation",
            order=20,
        )


def _customer_orders(user, customer):  # type: ignore[no-untyped-def]
    from orders.models import Order

    return {
        "orders": list(
            Order.objects.filter(customer=customer)
            .select_related("contract")
            .order_by("-created_at")[:20]
        )
    }


def _customer_orders_timeline(user, customer):  # type: ignore[no-untyped-def]
    from django.utils.translation import gettext as _t

    from core.panels import TimelineEntry
    from orders.models import OrderEvent, OrderEventKind

    events = (
        OrderEvent.objects.filter(order__customer=customer)
        .filter(kind__in=[OrderEventKind.CREATED, OrderEventKind.TRANSITION])
        .select_related("order")
        .order_by("-created_at")[:30]
    )
    return [
        TimelineEntry(
            e.created_at,
            f"{_t('Order')} {e.order}",
            e.get_to_status_display() if e.to_status else e.get_kind_display(),
            e.order.get_absolute_url(),
            "receipt",
        )
        for e in events
    ]


def _customer_quotations(user, customer):  # type: ignore[no-untyped-def]
    from orders.quotations import Quotation

    return {
        "quotations": list(
            Quotation.objects.filter(customer=customer)
            .select_related("order")
            .order_by("-created_at")[:20]
        )
    }


def _customer_quotations_timeline(user, customer):  # type: ignore[no-untyped-def]
    from django.utils.translation import gettext as _t

    from core.panels import TimelineEntry
    from orders.quotations import QuotationEvent

    events = (
        QuotationEvent.objects.filter(quotation__customer=customer)
        .exclude(action="edit")
        .select_related("quotation")
        .order_by("-created_at")[:30]
    )
    return [
        TimelineEntry(
            e.created_at,
            f"{_t('Quotation')} {e.quotation}",
            e.action_label,
            e.quotation.get_absolute_url(),
            "file-earmark-spreadsheet",
        )
        for e in events
    ]
