"""Contract operations: drafting, the two reviews, signing, force, end; amendments.

Every step goes through the model's ``django_fsm`` transition, which checks the
role (and four eyes for the reviews); a step that is not possible now raises
:class:`ContractError`, a step the user may not take :class:`ContractPermissionDenied`
(the views answer 403). Each step writes a :class:`ContractEvent` with the comment.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed, has_transition_perm

from core import roles
from core.roles import users_with_role
from core.services import notify_users
from core.uploads import PDF, safe_original_name, validate_upload
from customers.contracts import (
    AmendmentStatus,
    Contract,
    ContractAmendment,
    ContractEvent,
    ContractStatus,
)
from customers.models import Customer

MSG_WRONG_STATE = gettext_lazy("This contract is “%(status)s”; that step is not possible now.")
MSG_NOT_ALLOWED = gettext_lazy("You are not allowed to take this step on this contract.")
MSG_COMMENT_REQUIRED = gettext_lazy("Please give a comment.")
MSG_SCAN_REQUIRED = gettext_lazy("Upload the signed scan of the contract.")
MSG_AMEND_STATE = gettext_lazy("Only a signed or in-force contract can be amended.")
MSG_NOT_REVIEWED = gettext_lazy(
    "The contract cannot be signed before the supervisor and legal reviews are passed."
)

# Days before the end date at which the contract's people are reminded.
EXPIRY_REMINDER_DAYS = getattr(settings, "CONTRACT_EXPIRY_REMINDER_DAYS", 30)


class ContractError(Exception):
    def __init__(self, message: object, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


class ContractPermissionDenied(ContractError):
    def __init__(self, message: object = MSG_NOT_ALLOWED) -> None:
        super().__init__(message, code="not_allowed")


def contract_number_next(*, on: date) -> str:
    """``HT-YYYY-NNNN``: one counter per year, taken under a transaction-scoped advisory lock.

    The lock queues concurrent creations of the same year, so two contracts
    never get the same number (the unique constraint is the last line of defence).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [7_301_000 + on.year])
    prefix = f"HT-{on.year:04d}-"
    last = (
        Contract.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:04d}"


def _event(
    contract: Contract,
    *,
    actor: Any,
    action: str,
    from_status: str = "",
    comment: str = "",
    amendment: ContractAmendment | None = None,
) -> ContractEvent:
    to_status = amendment.status if amendment is not None else contract.status
    return ContractEvent.objects.create(
        contract=contract,
        amendment=amendment,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        comment=comment,
    )


def _run(obj: Any, name: str, actor: Any) -> str:
    method = getattr(obj, name)
    if not can_proceed(method, check_conditions=False):
        raise ContractError(
            MSG_WRONG_STATE % {"status": obj.get_status_display()}, code="wrong_state"
        )
    if not has_transition_perm(method, actor):
        raise ContractPermissionDenied()
    from_status = obj.status
    method()
    obj.save()
    return from_status


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def _notify(users: list[Any], *, title: str, body: str, contract: Contract) -> None:
    notify_users(users, title=title, body=body, target=contract)


_role_users = users_with_role


@transaction.atomic
def contract_create(
    *,
    actor: Any,
    customer: Customer,
    title: str,
    amount: Any,
    start_date: date,
    end_date: date,
    terms: str = "",
) -> Contract:
    """Draft a contract for ``customer``; it gets its number at once (seed 002: 合同起草)."""
    if not actor.has_perm("customers.add_contract"):
        raise ContractPermissionDenied()
    contract = Contract(
        customer=customer,
        title=title.strip(),
        amount=amount,
        start_date=start_date,
        end_date=end_date,
        terms=terms.strip(),
        created_by=actor,
        number=contract_number_next(on=timezone.localdate()),
    )
    contract.full_clean(exclude=["status"])
    contract.save()
    _event(contract, actor=actor, action="create")
    return contract


@transaction.atomic
def contract_submit(*, actor: Any, contract: Contract, comment: str = "") -> Contract:
    """Send the draft to the sales supervisor."""
    contract = _locked(contract)
    from_status = _run(contract, "submit", actor)
    _event(contract, actor=actor, action="submit", from_status=from_status, comment=comment)
    _notify(
        _role_users(roles.SALES_MANAGER),
        title=_("Contract %(number)s waits for your review") % {"number": contract.number},
        body=contract.title,
        contract=contract,
    )
    return contract


@transaction.atomic
def contract_supervisor_approve(*, actor: Any, contract: Contract, comment: str = "") -> Contract:
    """The sales supervisor checks policy, the customer's needs and risk, then passes to legal."""
    contract = _locked(contract)
    from_status = _run(contract, "supervisor_approve", actor)
    contract.supervisor_reviewed_by = actor
    contract.save(update_fields=["supervisor_reviewed_by"])
    _event(
        contract,
        actor=actor,
        action="supervisor_approve",
        from_status=from_status,
        comment=comment,
    )
    _notify(
        _role_users(roles.LEGAL),
        title=_("Contract %(number)s waits for legal review") % {"number": contract.number},
        body=comment,
        contract=contract,
    )
    return contract


@transaction.atomic
def contract_legal_approve(*, actor: Any, contract: Contract, comment: str = "") -> Contract:
    """Legal passes the contract: it may now be signed with the customer."""
    contract = _locked(contract)
    from_status = _run(contract, "legal_approve", actor)
    contract.legal_reviewed_by = actor
    contract.save(update_fields=["legal_reviewed_by"])
    _event(contract, actor=actor, action="legal_approve", from_status=from_status, comment=comment)
    _notify(
        [contract.created_by],
        title=_("Contract %(number)s passed legal review") % {"number": contract.number},
        body=comment,
        contract=contract,
    )
    return contract


@transaction.atomic
def contract_send_back(*, actor: Any, contract: Contract, comment: str) -> Contract:
    """A reviewer (supervisor or legal) returns the draft with what to change."""
    comment = (comment or "").strip()
    if not comment:
        raise ContractError(MSG_COMMENT_REQUIRED, code="comment_required")
    contract = _locked(contract)
    from_status = _run(contract, "send_back", actor)
    _event(contract, actor=actor, action="send_back", from_status=from_status, comment=comment)
    _notify(
        [contract.created_by],
        title=_("Contract %(number)s was sent back") % {"number": contract.number},
        body=comment,
        contract=contract,
    )
    return contract


@transaction.atomic
def contract_sign(
    *, actor: Any, contract: Contract, scan: Any, signed_on: date, comment: str = ""
) -> Contract:
    """Record the signature with the customer; the signed scan (PDF) is required."""
    contract = _locked(contract)
    method = contract.sign
    # Signing skips no review: before legal review, signing is forbidden (403), not just "not now".
    if contract.status in (
        ContractStatus.DRAFT,
        ContractStatus.SUPERVISOR_REVIEW,
        ContractStatus.LEGAL_REVIEW,
    ):
        raise ContractPermissionDenied(MSG_NOT_REVIEWED)
    if not can_proceed(method, check_conditions=False) or not has_transition_perm(method, actor):
        _run(contract, "sign", actor)  # raises the right error
    if scan is None:
        raise ContractError(MSG_SCAN_REQUIRED, code="scan_required")
    validate_upload(scan, kinds=(PDF,))
    contract.signed_scan.save(scan.name, scan, save=False)
    contract.signed_scan_name = safe_original_name(scan.name)
    contract.signed_on = signed_on
    from_status = _run(contract, "sign", actor)
    _event(contract, actor=actor, action="sign", from_status=from_status, comment=comment)
    return contract


@transaction.atomic
def contract_put_in_force(*, actor: Any, contract: Contract, comment: str = "") -> Contract:
    contract = _locked(contract)
    from_status = _run(contract, "put_in_force", actor)
    _event(contract, actor=actor, action="put_in_force", from_status=from_status, comment=comment)
    return contract


@transaction.atomic
def contract_expire(*, actor: Any, contract: Contract, comment: str = "") -> Contract:
    contract = _locked(contract)
    from_status = _run(contract, "expire", actor)
    _event(contract, actor=actor, action="expire", from_status=from_status, comment=comment)
    return contract


@transaction.atomic
def contract_terminate(*, actor: Any, contract: Contract, comment: str) -> Contract:
    comment = (comment or "").strip()
    if not comment:
        raise ContractError(MSG_COMMENT_REQUIRED, code="comment_required")
    contract = _locked(contract)
    from_status = _run(contract, "terminate", actor)
    _event(contract, actor=actor, action="terminate", from_status=from_status, comment=comment)
    return contract


# --- amendments ------------------------------------------------------------------------


@transaction.atomic
def contract_amendment_create(
    *, actor: Any, contract: Contract, description: str, reason: str
) -> ContractAmendment:
    """A change record; it goes to the supervisor, then legal, like the contract itself."""
    if not actor.has_perm("customers.add_contract"):
        raise ContractPermissionDenied()
    contract = _locked(contract)
    if contract.status not in (ContractStatus.SIGNED, ContractStatus.IN_FORCE):
        raise ContractError(MSG_AMEND_STATE, code="wrong_state")
    last = contract.amendments.aggregate(last=Max("sequence"))["last"] or 0
    amendment = ContractAmendment(
        contract=contract,
        sequence=last + 1,
        description=description.strip(),
        reason=reason.strip(),
        created_by=actor,
    )
    amendment.full_clean(exclude=["status"])
    amendment.save()
    _event(contract, actor=actor, action="amendment_create", amendment=amendment, comment=reason)
    return amendment


@transaction.atomic
def contract_amendment_decide(
    *, actor: Any, amendment: ContractAmendment, action: str, comment: str = ""
) -> ContractAmendment:
    """``action`` is supervisor_approve, legal_approve or send_back (comment required)."""
    if action not in ("supervisor_approve", "legal_approve", "send_back"):
        raise ContractError(MSG_NOT_ALLOWED, code="bad_action")
    if action == "send_back" and not (comment or "").strip():
        raise ContractError(MSG_COMMENT_REQUIRED, code="comment_required")
    amendment = ContractAmendment.objects.select_for_update().get(pk=amendment.pk)
    from_status = _run(amendment, action, actor)
    _event(
        amendment.contract,
        actor=actor,
        action=f"amendment_{action}",
        from_status=from_status,
        comment=comment.strip(),
        amendment=amendment,
    )
    if amendment.status == AmendmentStatus.APPROVED:
        _notify(
            [amendment.created_by],
            title=_("Amendment %(amendment)s was approved") % {"amendment": str(amendment)},
            body=amendment.description,
            contract=amendment.contract,
        )
    return amendment


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
        managers = _role_users(roles.SALES_MANAGER) if due else []
        for contract in due:
            _notify(
                [contract.created_by, *managers],
                title=_("Contract %(number)s ends on %(date)s")
                % {"number": contract.number, "date": contract.end_date.isoformat()},
                body=f"{contract.customer.name} · {contract.title}",
                contract=contract,
            )
            contract.expiry_reminded_at = timezone.now()
            contract.save(update_fields=["expiry_reminded_at"])
            sent += 1
    return sent
