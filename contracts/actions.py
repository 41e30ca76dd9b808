"""The contract and amendment actions, run by the one engine (core.actions;
docs/architecture.md, "The action engine").

draft → supervisor review (sales_manager) → legal review (legal) → ready to sign →
signed (scan) → in force → expired / terminated; amendments pass the same two
reviews. Each action names its ``django_fsm`` transition and its predicate
(contracts/predicates.py); the engine locks (the contract first, then the
amendment), checks, applies and writes one ContractEvent through the writer below.
Imported by ``ContractsConfig.ready()``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from contracts import predicates as can
from contracts.exceptions import (
    MSG_AMEND_STATE,
    MSG_COMMENT_REQUIRED,
    MSG_SCAN_REQUIRED,
    ContractError,
    ContractInvalid,
)
from contracts.models import (
    AmendmentStatus,
    Contract,
    ContractAmendment,
    ContractEvent,
    ContractStatus,
)
from core import roles
from core.actions import Step, action, event_writer
from core.messages import MessageLike, Msg
from core.roles import users_with_role
from core.services import notify_users
from core.uploads import PDF, safe_original_name, validate_upload


@event_writer(Contract)
def _record(step: Step[Any]) -> ContractEvent:
    """One row per step of the contract or of one of its amendments (``amendment_<verb>``)."""
    amendment = step.obj if isinstance(step.obj, ContractAmendment) else None
    verb = step.action.name.split(".", 1)[1]
    comment, comment_msg = step.note_message()
    return ContractEvent.objects.create(
        contract=step.root,
        amendment=amendment,
        action=step.event_action or (f"amendment_{verb}" if amendment is not None else verb),
        from_status=step.from_state,
        to_status=(amendment or step.root).status,
        actor=step.actor,
        comment=comment,
        comment_msg=comment_msg,
    )


def _notify(users: list[Any], *, title: MessageLike, body: MessageLike, contract: Contract) -> None:
    notify_users(users, title=title, body=body, target=contract)


def _comment_required(step: Step[Any]) -> None:
    if not step.note:
        raise ContractInvalid(MSG_COMMENT_REQUIRED, fields={"comment": [str(MSG_COMMENT_REQUIRED)]})


def contract_number_next(*, on: Any) -> str:
    """``HT-YYYY-NNNN``: one counter per year, taken under a transaction-scoped advisory lock.

    The lock queues concurrent creations of the same year, so two contracts
    never get the same number (the unique constraint is the last line of defence).
    """
    from django.db import connection

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


# --- the contract ----------------------------------------------------------------------


@action("contract.create", model=Contract, predicate=can.may_draft, creates=True)
def create(step: Step[Contract]) -> Contract:
    """Draft a contract for a customer; it gets its number at once (合同起草)."""
    p = step.params
    contract = Contract(
        customer=p["customer"],
        title=p["title"].strip(),
        amount=p["amount"],
        start_date=p["start_date"],
        end_date=p["end_date"],
        terms=(p.get("terms") or "").strip(),
        created_by=step.actor,
        number=contract_number_next(on=timezone.localdate()),
    )
    contract.full_clean(exclude=["status"])
    contract.save()
    return contract


# The fields a draft's edit may change (the customer and the number stay).
EDITABLE_FIELDS = ("title", "amount", "start_date", "end_date", "terms")


@action("contract.edit", model=Contract, predicate=can.may_edit, states=[ContractStatus.DRAFT])
def edit(step: Step[Contract]) -> Contract:
    """Change a draft's text (e.g. after a reviewer sent it back); whoever does is one of
    its authors from then on (four eyes)."""
    contract = step.obj
    for name in EDITABLE_FIELDS:
        if name in step.params:
            value = step.params[name]
            setattr(contract, name, value.strip() if isinstance(value, str) else value)
    contract.full_clean(exclude=["status"])
    contract.save()
    return contract


@action("contract.submit", model=Contract, predicate=can.may_submit, transition="submit")
def submit(step: Step[Contract]) -> None:
    """Send the draft to the sales supervisor."""
    step.transition()
    _notify(
        users_with_role(roles.SALES_MANAGER),
        title=Msg(_l("Contract %(number)s waits for your review"), number=step.obj.number),
        body=step.obj.title,
        contract=step.obj,
    )


@action(
    "contract.supervisor_approve",
    model=Contract,
    predicate=can.may_supervise,
    transition="supervisor_approve",
)
def supervisor_approve(step: Step[Contract]) -> None:
    """The sales supervisor checks policy, the customer's needs and risk, then passes to legal."""
    step.obj.supervisor_reviewed_by = step.actor
    step.transition()
    _notify(
        users_with_role(roles.LEGAL),
        title=Msg(_l("Contract %(number)s waits for legal review"), number=step.obj.number),
        body=step.note,
        contract=step.obj,
    )


@action(
    "contract.legal_approve",
    model=Contract,
    predicate=can.may_legal_review,
    transition="legal_approve",
)
def legal_approve(step: Step[Contract]) -> None:
    """Legal passes the contract: it may now be signed with the customer."""
    step.obj.legal_reviewed_by = step.actor
    step.transition()
    _notify(
        [step.obj.created_by],
        title=Msg(_l("Contract %(number)s passed legal review"), number=step.obj.number),
        body=step.note,
        contract=step.obj,
    )


@action("contract.send_back", model=Contract, predicate=can.may_send_back, transition="send_back")
def send_back(step: Step[Contract]) -> None:
    """A reviewer (supervisor or legal) returns the draft with what to change."""
    _comment_required(step)
    step.transition()
    _notify(
        [step.obj.created_by],
        title=Msg(_l("Contract %(number)s was sent back"), number=step.obj.number),
        body=step.note,
        contract=step.obj,
    )


@action("contract.sign", model=Contract, predicate=can.may_sign, transition="sign")
def sign(step: Step[Contract]) -> None:
    """Record the signature with the customer; the signed scan (PDF) is required."""
    scan = step.params.get("scan")
    if scan is None:
        raise ContractInvalid(MSG_SCAN_REQUIRED, fields={"scan": [str(MSG_SCAN_REQUIRED)]})
    validate_upload(scan, kinds=(PDF,))
    contract = step.obj
    contract.signed_scan.save(scan.name, scan, save=False)
    contract.signed_scan_name = safe_original_name(scan.name)
    contract.signed_on = step.params.get("signed_on") or timezone.localdate()


@action("contract.put_in_force", model=Contract, predicate=can.may_end, transition="put_in_force")
def put_in_force(step: Step[Contract]) -> None:
    pass


@action("contract.expire", model=Contract, predicate=can.may_end, transition="expire")
def expire(step: Step[Contract]) -> None:
    pass


@action("contract.terminate", model=Contract, predicate=can.may_end, transition="terminate")
def terminate(step: Step[Contract]) -> None:
    _comment_required(step)


# --- amendments ------------------------------------------------------------------------

# The decisions on an amendment (``amendment.<verb>``) a page may ask for.
AMENDMENT_STEPS = ("supervisor_approve", "legal_approve", "send_back")


@action(
    "amendment.create",
    model=ContractAmendment,
    predicate=can.may_amend,
    root="contract",
    creates=True,
)
def amendment_create(step: Step[ContractAmendment]) -> ContractAmendment:
    """A change record of a signed contract; it goes to the supervisor, then legal."""
    contract = step.root
    if contract.status not in (ContractStatus.SIGNED, ContractStatus.IN_FORCE):
        raise ContractError(MSG_AMEND_STATE, code="wrong_state")
    last = contract.amendments.aggregate(last=Max("sequence"))["last"] or 0
    amendment = ContractAmendment(
        contract=contract,
        sequence=last + 1,
        description=step.params["description"].strip(),
        reason=step.params["reason"].strip(),
        created_by=step.actor,
    )
    amendment.full_clean(exclude=["status"])
    amendment.save()
    step.note = step.note or amendment.reason
    return amendment


@action(
    "amendment.supervisor_approve",
    model=ContractAmendment,
    predicate=can.may_supervise_amendment,
    transition="supervisor_approve",
    root="contract",
)
def amendment_supervisor_approve(step: Step[ContractAmendment]) -> None:
    pass


@action(
    "amendment.legal_approve",
    model=ContractAmendment,
    predicate=can.may_legal_review_amendment,
    transition="legal_approve",
    root="contract",
)
def amendment_legal_approve(step: Step[ContractAmendment]) -> None:
    step.transition()
    if step.obj.status == AmendmentStatus.APPROVED:
        _notify(
            [step.obj.created_by],
            title=Msg(_l("Amendment %(amendment)s was approved"), amendment=str(step.obj)),
            body=step.obj.description,
            contract=step.root,
        )


@action(
    "amendment.send_back",
    model=ContractAmendment,
    predicate=can.may_send_back_amendment,
    transition="send_back",
    root="contract",
)
def amendment_send_back(step: Step[ContractAmendment]) -> None:
    _comment_required(step)
