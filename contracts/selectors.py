"""Read queries of the contract pages (constant query counts)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from contracts.actions import AMENDMENT_STEPS
from contracts.models import AmendmentStatus, Contract, ContractStatus
from core.actions import allowed, available
from core.panels import TimelineEntry
from customers.selectors import customers_visible_to

__all__ = [
    "ContractStatus",
    "amendments_with_actions",
    "contract_actions",
    "contract_list",
    "contract_queryset",
]


def contract_queryset() -> QuerySet[Contract]:
    return Contract.objects.select_related(
        "customer", "created_by", "supervisor_reviewed_by", "legal_reviewed_by"
    )


def contract_list(*, user: Any, status: str = "") -> QuerySet[Contract]:
    qs = contract_queryset().filter(customer__in=customers_visible_to(user))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def customer_contracts(*, customer_id: int) -> QuerySet[Contract]:
    return Contract.objects.filter(customer_id=customer_id).order_by("-created_at")


def customer_panel(*, customer: Any) -> dict[str, Any]:
    """The contracts section of the customer file (core.panels)."""
    return {
        "customer_id": customer.pk,
        "contracts": list(customer_contracts(customer_id=customer.pk)),
    }


def customer_timeline(*, customer: Any) -> list[TimelineEntry]:
    """One "contract drafted" line per contract in the customer file's timeline."""
    return [
        TimelineEntry(
            c.created_at,
            _("Contract drafted"),
            f"{c.number} {c.title}",
            c.get_absolute_url(),
            "file-earmark-text",
        )
        for c in customer_contracts(customer_id=customer.pk).only(
            "pk", "number", "title", "created_at"
        )
    ]


CONTRACT_STEPS = (
    "edit",
    "submit",
    "supervisor_approve",
    "legal_approve",
    "send_back",
    "sign",
    "put_in_force",
    "expire",
    "terminate",
)


def contract_actions(*, contract: Contract, user: Any) -> dict[str, bool]:
    """Which buttons to show: the engine's own checks (state, role, four eyes); it checks
    again on POST."""
    may = available(user, contract, [f"contract.{name}" for name in CONTRACT_STEPS])
    actions = {name.removeprefix("contract_"): shown for name, shown in may.items()}
    actions["amend"] = allowed("amendment.create", user, contract) and contract.status in (
        ContractStatus.SIGNED,
        ContractStatus.IN_FORCE,
    )
    return actions


def amendments_with_actions(*, contract: Contract, user: Any) -> list[Any]:
    """The contract's amendments, each with ``steps``: which decisions ``user`` may take."""
    amendments = list(contract.amendments.select_related("created_by", "contract"))
    for amendment in amendments:
        may = available(user, amendment, [f"amendment.{name}" for name in AMENDMENT_STEPS])
        steps = {name.removeprefix("amendment_"): shown for name, shown in may.items()}
        amendment.steps = steps  # type: ignore[attr-defined]
    return amendments


def contract_orders(*, contract: Contract) -> list[Any]:
    """Orders placed under the contract. The link is Order.contract (orders, an app above):
    read through the reverse relation, without importing orders."""
    related = getattr(contract, "orders", None)
    return list(related.all()) if related is not None else []


OPEN_AMENDMENT = (AmendmentStatus.SUPERVISOR_REVIEW, AmendmentStatus.LEGAL_REVIEW)
