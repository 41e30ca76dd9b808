"""Who may take which step on a contract or an amendment — docs/workflow.md §2 in one place.

``rules`` predicates over ``(user, contract)`` or ``(user, amendment)``; the actions in
contracts/actions.py use them, and so do the pages (``core.actions.allowed``).

Four eyes: nobody who drafted a contract (its owner on our side: the drafter signs
it too) or wrote one of its steps that changes its text reviews it; nobody reviews
an amendment they asked for, nor one of a contract they drafted.
"""

from __future__ import annotations

from typing import Any

import rules

from contracts.models import AmendmentStatus, ContractEvent, ContractStatus
from core.actions import has_perm, not_author, via

# The steps that write a contract's text (drafting; edits, should the contract get them).
TEXT_STEPS = ("create", "edit")


def text_editors(contract: Any) -> set[int]:
    """Everyone who drafted or edited the text of ``contract``."""
    return set(
        ContractEvent.objects.filter(
            contract=contract, amendment__isnull=True, action__in=TEXT_STEPS
        ).values_list("actor_id", flat=True)
    )


def _in(*statuses: str) -> rules.Predicate:
    @rules.predicate(name=f"contract_in:{','.join(statuses)}")
    def in_status(user: Any, obj: Any) -> bool:
        return obj is not None and obj.status in statuses

    return in_status


contract_four_eyes = not_author("created_by", extra=text_editors)
amendment_four_eyes = not_author("created_by") & via("contract", contract_four_eyes)

may_draft = has_perm("contracts.add_contract")
may_edit = has_perm("contracts.add_contract")
may_submit = has_perm("contracts.add_contract")
may_supervise = has_perm("contracts.review_contract") & contract_four_eyes
may_legal_review = has_perm("contracts.legal_review_contract") & contract_four_eyes
may_send_back = (_in(ContractStatus.SUPERVISOR_REVIEW) & may_supervise) | (
    _in(ContractStatus.LEGAL_REVIEW) & may_legal_review
)
may_sign = has_perm("contracts.sign_contract")
may_end = has_perm("contracts.end_contract")

may_amend = has_perm("contracts.add_contract")
may_supervise_amendment = has_perm("contracts.review_contract") & amendment_four_eyes
may_legal_review_amendment = has_perm("contracts.legal_review_contract") & amendment_four_eyes
may_send_back_amendment = (_in(AmendmentStatus.SUPERVISOR_REVIEW) & may_supervise_amendment) | (
    _in(AmendmentStatus.LEGAL_REVIEW) & may_legal_review_amendment
)
