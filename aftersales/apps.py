from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        # Declares the after-sales actions and their hooks (core.actions registry).
        from aftersales import (
            actions,  # noqa: F401
            selectors,
        )
        from core import roles as r
        from core.navigation import HomeAction, NavItem, register_home_action, register_nav
        from core.work import register_work_source

        r.grant(
            r.ALL_ROLES,
            "aftersales.view_acceptance",
            "aftersales.view_aftersalesticket",
            "aftersales.view_followupvisit",
            "aftersales.view_replacementshipment",
        )
        # A replacement is a real shipment: logistics ships it; whoever hears the
        # customer confirms its receipt (docs/workflow.md §8 H).
        r.grant((r.LOGISTICS,), "aftersales.ship_replacement")
        r.grant((r.ACCOUNT_MANAGER, r.AFTERSALES), "aftersales.confirm_replacement")
        r.grant((r.ACCOUNT_MANAGER,), "aftersales.log_visit", "aftersales.open_ticket")
        r.grant((r.AFTERSALES,), "aftersales.handle_ticket", "aftersales.open_ticket")
        # The manager is who breaches escalate to: they may take a ticket over or reassign it.
        r.grant((r.SALES_MANAGER,), "aftersales.handle_ticket", "aftersales.open_ticket")

        register_nav(
            NavItem(
                "aftersales_account",
                _("Acceptance & follow-up"),
                "aftersales:account_work",
                "clipboard2-check",
                permission="aftersales.log_visit",
                order=50,
            )
        )
        register_nav(
            NavItem(
                "aftersales_tickets",
                _("After-sales"),
                "aftersales:tickets",
                "tools",
                permission="aftersales.handle_ticket",
                order=51,
            )
        )
        register_nav(
            NavItem(
                "aftersales_replacements",
                _("Replacements"),
                "aftersales:replacements",
                "arrow-repeat",
                permission="aftersales.ship_replacement",
                order=52,
            )
        )
        register_work_source(
            (r.LOGISTICS,),
            key="aftersales_replacements_to_ship",
            label=_("Replacements to ship"),
            source=lambda user: selectors.replacements_to_ship(),
            url="aftersales:replacements",
            query="status=planned",
            icon="arrow-repeat",
            order=45,
        )
        register_work_source(
            (r.ACCOUNT_MANAGER,),
            key="aftersales_replacements_to_confirm",
            label=_("Replacements on their way: confirm receipt with the customer"),
            source=lambda user: selectors.replacements_to_confirm(user),
            url="aftersales:replacements",
            query="status=shipped",
            icon="box-seam",
            order=42,
        )
        register_home_action(
            (r.LOGISTICS,),
            HomeAction(
                _("Replacements to ship"),
                "aftersales:replacements",
                "arrow-repeat",
                permission="aftersales.ship_replacement",
                count=lambda user: selectors.replacements_to_ship().count(),
                query="status=planned",
                order=20,
            ),
        )
        register_work_source(
            (r.ACCOUNT_MANAGER,),
            key="aftersales_to_accept",
            label=_("Deliveries waiting for acceptance"),
            source=lambda user: selectors.deliveries_to_accept(user),
            url="aftersales:account_work",
            icon="clipboard2-check",
            order=40,
        )
        register_work_source(
            (r.ACCOUNT_MANAGER,),
            key="aftersales_followups_due",
            label=_("Follow-up visits due (overdue first)"),
            source=lambda user: selectors.followups_due(),
            url="aftersales:account_work",
            icon="telephone-outbound",
            order=41,
        )
        register_work_source(
            (r.AFTERSALES,),
            key="aftersales_my_tickets",
            label=_("My open after-sales tickets (by deadline)"),
            source=lambda user: selectors.open_tickets_for(user),
            url="aftersales:tickets",
            query="mine=1",
            icon="tools",
            order=40,
        )
        register_work_source(
            (r.SALES_MANAGER,),
            key="aftersales_open_tickets",
            label=_("Open after-sales tickets"),
            source=lambda user: selectors.tickets_by_clock(),
            url="aftersales:tickets",
            icon="tools",
            order=60,
        )
        register_home_action(
            (r.ACCOUNT_MANAGER,),
            HomeAction(
                _("Acceptance and follow-up visits"),
                "aftersales:account_work",
                "clipboard2-check",
                permission="aftersales.log_visit",
                count=lambda user: (
                    selectors.deliveries_to_accept(user).count() + selectors.followups_due().count()
                ),
                order=10,
            ),
        )
        register_home_action(
            (r.AFTERSALES,),
            HomeAction(
                _("After-sales tickets"),
                "aftersales:tickets",
                "tools",
                permission="aftersales.handle_ticket",
                count=lambda user: selectors.tickets_by_clock().count(),
                order=10,
            ),
        )
