"""Contract operations: drafting, the two reviews, signing, force, end; amendments.

Each step is one action of the engine (contracts/actions.py, core.actions):
these functions only name the action and its parameters, so a page and a task take
the same road — lock, state, predicate (role, four eyes), effect, one ContractEvent
with the comment, in one transaction. A refusal is a core.errors domain error
(ContractError 409, ContractPermissionDenied / Forbidden 403, ContractInvalid 400).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from contracts.actions import AMENDMENT_STEPS, contract_number_next
from contracts.exceptions import (
    MSG_AMEND_STATE,
    MSG_COMMENT_REQUIRED,
    MSG_NOT_REVIEWED,
    MSG_SCAN_REQUIRED,
    ContractError,
    ContractInvalid,
    ContractPermissionDenied,
)
from contracts.exceptions import MSG_CONTRACT_NOT_ALLOWED as MSG_NOT_ALLOWED
from contracts.exceptions import MSG_CONTRACT_WRONG_STATE as MSG_WRONG_STATE
from contracts.models import Contract, ContractAmendment, ContractStatus
from core import roles
from core.actions import perform
from core.messages import Msg, date_param
from core.roles import users_with_role
from core.services import notify_users
from customers.models import Customer

__all__ = [
    "AMENDMENT_STEPS",
    "MSG_AMEND_STATE",
    "MSG_COMMENT_REQUIRED",
    "MSG_NOT_ALLOWED",
    "MSG_NOT_REVIEWED",
    "MSG_SCAN_REQUIRED",
    "MSG_WRONG_STATE",
    "ContractError",
    "ContractInvalid",
    "ContractPermissionDenied",
    "contract_number_next",
]

# Days before the end date at which the contract's people are reminded.
EXPIRY_REMINDER_DAYS = getattr(settings, "CONTRACT_EXPIRY_REMINDER_DAYS", 30)

# Before both reviews are passed a contract is not for signing at all (403, not "not now").
UNREVIEWED = (ContractStatus.DRAFT, ContractStatus.SUPERVISOR_REVIEW, ContractStatus.LEGAL_REVIEW)


def contract_create(
    *,
    actor: User,
    customer: Customer,
    title: str,
    amount: Any,
    start_date: date,
    end_date: date,
    terms: str = "",
) -> Contract:
    """Draft a contract for ``customer``; it gets its number at once (合同起草)."""
    return perform(
        "contract.create",
        actor=actor,
        obj=None,
        customer=customer,
        title=title,
        amount=amount,
        start_date=start_date,
        end_date=end_date,
        terms=terms,
    )


def contract_edit(*, actor: User, contract: Contract, **fields: Any) -> Contract:
    """Change the text of a draft (title, amount, term, main terms)."""
    return perform("contract.edit", actor=actor, obj=contract, **fields)


def contract_submit(*, actor: User, contract: Contract, comment: str = "") -> Contract:
    """Send the draft to the sales supervisor."""
    return perform("contract.submit", actor=actor, obj=contract, note=comment)


def contract_supervisor_approve(*, actor: User, contract: Contract, comment: str = "") -> Contract:
    """The sales supervisor checks policy, the customer's needs and risk, then passes to legal."""
    return perform("contract.supervisor_approve", actor=actor, obj=contract, note=comment)


def contract_legal_approve(*, actor: User, contract: Contract, comment: str = "") -> Contract:
    """Legal passes the contract: it may now be signed with the customer."""
    return perform("contract.legal_approve", actor=actor, obj=contract, note=comment)


def contract_send_back(*, actor: User, contract: Contract, comment: str) -> Contract:
    """A reviewer (supervisor or legal) returns the draft with what to change."""
    return perform("contract.send_back", actor=actor, obj=contract, note=comment)


def contract_sign(
    *, actor: User, contract: Contract, scan: Any, signed_on: date | None, comment: str = ""
) -> Contract:
    """Record the signature with the customer; the signed scan (PDF) is required."""
    # Signing skips no review: before legal review, signing is forbidden (403), not just
    # "not now" — checked before the engine, whose state check would answer 409.
    if Contract.objects.filter(pk=contract.pk, status__in=UNREVIEWED).exists():
        raise ContractPermissionDenied(MSG_NOT_REVIEWED)
    return perform(
        "contract.sign", actor=actor, obj=contract, note=comment, scan=scan, signed_on=signed_on
    )


def contract_put_in_force(*, actor: User, contract: Contract, comment: str = "") -> Contract:
    return perform("contract.put_in_force", actor=actor, obj=contract, note=comment)


def contract_expire(*, actor: User, contract: Contract, comment: str = "") -> Contract:
    return perform("contract.expire", actor=actor, obj=contract, note=comment)


def contract_terminate(*, actor: User, contract: Contract, comment: str) -> Contract:
    return perform("contract.terminate", actor=actor, obj=contract, note=comment)


# --- amendments ------------------------------------------------------------------------


def contract_amendment_create(
    *, actor: User, contract: Contract, description: str, reason: str
) -> ContractAmendment:
    """A change record; it goes to the supervisor, then legal, like the contract itself."""
    return perform(
        "amendment.create", actor=actor, obj=contract, description=description, reason=reason
    )


def contract_amendment_decide(
    *, actor: User, amendment: ContractAmendment, action: str, comment: str = ""
) -> ContractAmendment:
    """``action`` is supervisor_approve, legal_approve or send_back (comment required)."""
    if action not in AMENDMENT_STEPS:
        raise ContractError(MSG_NOT_ALLOWED, code="bad_action")
    return perform(f"amendment.{action}", actor=actor, obj=amendment, note=comment)


# --- expiry reminders ----------------------------------------------------------------


def contracts_remind_expiring(*, today: date | None = None) -> int:
    """Remind the drafter and the sales managers of contracts ending within the reminder window.

    Run by the deadlines scan (Celery beat). Rows are locked with SKIP LOCKED
    and marked in the same transaction, so two workers never send a reminder twice.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=EXPIRY_REMINDER_DAYS)
    sent = 0
    with transaction.atomic():
        due = list(
            Contract.objects.select_for_update(skip_locked=True)
            .filter(
                status=ContractStatus.IN_FORCE,
                end_date__lte=horizon,
                expiry_reminded_at__isnull=True,
            )
            .select_related("created_by", "customer")
        )
        managers = users_with_role(roles.SALES_MANAGER) if due else []
        for contract in due:
            notify_users(
                [contract.created_by, *managers],
                title=Msg(
                    _l("Contract %(number)s ends on %(date)s"),
                    number=contract.number,
                    date=date_param(contract.end_date),
                ),
                body=f"{contract.customer.name} · {contract.title}",
                target=contract,
            )
            contract.expiry_reminded_at = timezone.now()
            contract.save(update_fields=["expiry_reminded_at"])
            sent += 1
    return sent
