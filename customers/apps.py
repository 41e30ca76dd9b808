from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _count_pending_qualification(user):  # type: ignore[no-untyped-def]
    from customers.models import QualificationStatus
    from customers.selectors import customers_visible_to

    return (
        customers_visible_to(user).filter(qualification_status=QualificationStatus.PENDING).count()
    )


def _count_my_customers(user):  # type: ignore[no-untyped-def]
    from customers.models import Customer

    return Customer.objects.filter(account_manager=user, is_active=True).count()


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav
        from customers import services  # noqa: F401  (registers its outbox handler)

        viewers = (
            *r.SALES_ROLES,
            r.ACCOUNT_MANAGER,
            r.AFTERSALES,
            r.DATA_ADMIN,
            r.LEGAL,
            r.GENERAL_MANAGER,
        )
        editors = (r.SALES_ASSISTANT, r.SALES_MANAGER, r.ACCOUNT_MANAGER, r.DATA_ADMIN)
        r.grant(
            viewers,
            "customers.view_customer",
            "customers.view_contact",
            "customers.view_address",
            "customers.view_qualificationdocument",
        )
        r.grant(
            editors,
            "customers.add_customer",
            "customers.change_customer",
            "customers.add_contact",
            "customers.change_contact",
            "customers.delete_contact",
            "customers.add_address",
            "customers.change_address",
            "customers.delete_address",
            "customers.add_qualificationdocument",
        )
        r.grant((r.SALES_MANAGER, r.DATA_ADMIN), "customers.delete_qualificationdocument")
        # Confidential data (docs/workflow.md §2): credit only for management, phones
        # for those who call customers.
        r.grant(
            (r.SALES_MANAGER, r.SALES_DIRECTOR, r.DATA_ADMIN, r.GENERAL_MANAGER),
            "customers.view_credit",
        )
        r.grant((r.SALES_MANAGER, r.SALES_DIRECTOR), "customers.change_credit")
        r.grant(
            (
                *r.SALES_ROLES,
                r.ACCOUNT_MANAGER,
                r.AFTERSALES,
                r.LOGISTICS,
                r.DATA_ADMIN,
                r.GENERAL_MANAGER,
            ),
            "customers.view_contact_details",
        )

        register_nav(
            NavItem(
                "customers",
                _("Customers"),
                "customers:list",
                "buildings",
                permission="customers.view_customer",
                order=20,
            )
        )
        register_home_action(
            (r.SALES_ASSISTANT, r.SALES_MANAGER),
            HomeAction(
                _("Customers with documents pending"),
                "customers:list",
                "file-earmark-medical",
                permission="customers.view_customer",
                count=_count_pending_qualification,
                query="qualification_status=pending",
                order=50,
            ),
        )
        register_home_action(
            (r.SALES_ASSISTANT, r.ACCOUNT_MANAGER, r.DATA_ADMIN),
            HomeAction(
                _("New customer"),
                "customers:create",
                "person-plus",
                permission="customers.add_customer",
                order=60,
            ),
        )
        register_home_action(
            (r.ACCOUNT_MANAGER,),
            HomeAction(
                _("My customers"),
                "customers:list",
                "buildings",
                permission="customers.view_customer",
                count=_count_my_customers,
                order=10,
            ),
        )
        register_home_action(
            (r.SALES_DIRECTOR, r.AFTERSALES, r.LEGAL, r.GENERAL_MANAGER, r.DATA_ADMIN),
            HomeAction(
                _("Customer files"),
                "customers:list",
                "buildings",
                permission="customers.view_customer",
                order=70,
            ),
        )
