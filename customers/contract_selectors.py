"""Read queries of the contract pages (constant query counts)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_fsm import can_proceed, has_transition_perm

from customers.contracts import AmendmentStatus, Contract, ContractStatus
from customers.selectors import customers_visible_to

__all__ = ["ContractStatus", "contract_actions", "contract_list", "contract_queryset"]


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


def contract_actions(*, contract: Contract, user: Any) -> dict[str, bool]:
    """Which buttons to show; the services check again on POST."""
    names = ["submit", "supervisor_approve", "legal_approve", "send_back", "sign"]
    names += ["put_in_force", "expire", "terminate"]
    actions = {
        name: can_proceed(getattr(contract, name), check_conditions=False)
        and has_transition_perm(getattr(contract, name), user)
        for name in names
    }
    actions["amend"] = user.has_perm("customers.add_contract") and contract.status in (
        ContractStatus.SIGNED,
        ContractStatus.IN_FORCE,
    )
    actions["review_amendments"] = user.has_perm("customers.review_contract") or user.has_perm(
        "customers.legal_review_contract"
    )
    return actions


def contract_orders(*, contract: Contract) -> list[Any]:
    """Orders placed under the contract. The link is Order.contract (orders, an app above):
    read through the reverse relation, without importing orders."""
    related = getattr(contract, "orders", None)
    return list(related.all()) if related is not None else []


OPEN_AMENDMENT = (AmendmentStatus.SUPERVISOR_REVIEW, AmendmentStatus.LEGAL_REVIEW)
