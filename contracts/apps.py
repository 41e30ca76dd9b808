"""The contracts app: sales contracts and their amendments, between customers and orders
(docs/architecture.md, "Layers"). ``ready()`` only fills registries: the role grants, the
navigation, the customer-file panel, and the actions (importing contracts.actions declares
them)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _customer_contracts(user, customer):  # type: ignore[no-untyped-def]
    from contracts.selectors import customer_panel

    return customer_panel(customer=customer)


def _customer_contracts_timeline(user, customer):  # type: ignore[no-untyped-def]
    from contracts.selectors import customer_timeline

    return customer_timeline(customer=customer)


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from contracts import actions  # noqa: F401  (declares the contract actions)
        from core import roles as r
        from core.navigation import NavItem, register_nav
        from core.panels import register_customer_panel

        r.grant(
            (*r.SALES_ROLES, r.ACCOUNT_MANAGER, r.LEGAL, r.GENERAL_MANAGER, r.DATA_ADMIN),
            "contracts.view_contract",
            "contracts.view_contractamendment",
        )
        # Sales staff draft and sign; the supervisor (sales manager) reviews, legal gives
        # the legal review; the manager puts contracts in force and ends them (docs/workflow.md §2).
        r.grant((r.SALES_ASSISTANT, r.ACCOUNT_MANAGER), "contracts.add_contract")
        r.grant((r.SALES_ASSISTANT, r.SALES_MANAGER), "contracts.sign_contract")
        r.grant((r.SALES_MANAGER,), "contracts.review_contract", "contracts.end_contract")
        r.grant((r.LEGAL,), "contracts.legal_review_contract")
        register_nav(
            NavItem(
                "contracts",
                _("Contracts"),
                "contracts:list",
                "file-earmark-text",
                permission="contracts.view_contract",
                order=22,
            )
        )
        # The customer file's contracts (first of its sections) and "contract drafted"
        # lines in its timeline.
        register_customer_panel(
            key="contracts",
            label=_("Contracts"),
            template="contracts/_customer_contracts.html",
            context=_customer_contracts,
            timeline=_customer_contracts_timeline,
            permission="contracts.view_contract",
            order=5,
        )
