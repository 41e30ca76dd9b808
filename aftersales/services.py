"""The public write functions of after-sales: each is one ``perform`` of an action of
aftersales/actions.py (docs/architecture.md §2, "Add an action").

The engine locks the order (then the ticket or replacement), refuses a write to an
archived order, checks the state and the predicate, runs the effect, writes the order's
timeline and runs the hooks — all in one transaction. Pages, tasks and tests call
these; nothing else writes after-sales rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from aftersales.actions import (
    COMPLAINABLE_STATUSES,
    FOLLOWUP_WORKING_DAYS,
    RESPONSE_HOURS,
    LineInput,
    make_thumbnail,
    photo_validate,
    replacement_label,
)
from aftersales.models import (
    Acceptance,
    AftersalesTicket,
    FollowUpVisit,
    RepairRecord,
    ReplacementShipment,
    TicketResponse,
    TicketSource,
)
from aftersales.selectors import completion_blockers
from core.actions import perform
from orders.models import Order, OrderLine


def acceptance_record(
    *,
    actor: User,
    order: Order,
    signer: str,
    signed_on: date,
    receipt: Any,
    lines: list[LineInput],
    note: str = "",
) -> Acceptance:
    """The customer accepted the delivery: the order moves to accepted, each issue is
    recorded with its photos and opens a ticket (24-hour clock); the 3-working-day
    follow-up clock starts."""
    result: Acceptance = perform(
        "aftersales.acceptance_record",
        actor=actor,
        obj=order,
        note=note,
        signer=signer,
        signed_on=signed_on,
        receipt=receipt,
        lines=lines,
    )
    return result


def ticket_open_complaint(
    *,
    actor: User,
    order: Order,
    kind: str,
    description: str,
    customer_request: str = "",
    owner: Any = None,
) -> AftersalesTicket:
    """A customer complaint about delivered goods opens a ticket (the order is left as it is)."""
    result: AftersalesTicket = perform(
        "aftersales.ticket_open",
        actor=actor,
        obj=order,
        source=TicketSource.COMPLAINT,
        kind=kind,
        description=description,
        customer_request=customer_request,
        owner=owner,
    )
    return result


def ticket_assign(*, actor: User, ticket: AftersalesTicket, owner: Any) -> AftersalesTicket:
    """Hand a ticket to another after-sales person; its running clocks follow."""
    result: AftersalesTicket = perform(
        "aftersales.ticket_assign", actor=actor, obj=ticket, owner=owner
    )
    return result


def ticket_respond(
    *,
    actor: User,
    ticket: AftersalesTicket,
    text: str,
    kind: str | None = None,
    promised_date: date | None = None,
    replacement_line: OrderLine | None = None,
    replacement_quantity: Decimal | None = None,
    replacement_item: str = "",
) -> TicketResponse:
    """Log a response; the first one meets the 24-hour clock. Answering with a replacement
    names it: the order line, how many and what of it (e.g. the outer carton)."""
    result: TicketResponse = perform(
        "aftersales.ticket_respond",
        actor=actor,
        obj=ticket,
        text=text,
        kind=kind,
        promised_date=promised_date,
        replacement_line=replacement_line,
        replacement_quantity=replacement_quantity,
        replacement_item=replacement_item,
    )
    return result


def repair_record_add(
    *,
    actor: User,
    ticket: AftersalesTicket,
    technician: str,
    work_done: str,
    result: str,
    fault: str = "",
    parts: str = "",
    repair_date: date | None = None,
) -> RepairRecord:
    """维修记录: who repaired, what was done, the parts and the result."""
    record: RepairRecord = perform(
        "aftersales.repair_record",
        actor=actor,
        obj=ticket,
        technician=technician,
        work_done=work_done,
        result=result,
        fault=fault,
        parts=parts,
        repair_date=repair_date,
    )
    return record


def replacement_plan(
    *,
    actor: User,
    ticket: AftersalesTicket,
    order_line: OrderLine,
    quantity: Decimal,
    item: str = "",
) -> ReplacementShipment:
    """Name one more replacement of a replacement ticket: order line, what, how many."""
    result: ReplacementShipment = perform(
        "aftersales.replacement_plan",
        actor=actor,
        obj=ticket,
        order_line=order_line,
        quantity=quantity,
        item=item,
    )
    return result


def replacement_ship(
    *,
    actor: User,
    replacement: ReplacementShipment,
    carrier: str,
    tracking_number: str,
    eta: date,
) -> ReplacementShipment:
    """Logistics ships the replacement: carrier, tracking number and ETA."""
    result: ReplacementShipment = perform(
        "aftersales.replacement_ship",
        actor=actor,
        obj=replacement,
        carrier=carrier,
        tracking_number=tracking_number,
        eta=eta,
    )
    return result


def replacement_arrive(
    *, actor: User, replacement: ReplacementShipment, received_on: date, received_by: str
) -> ReplacementShipment:
    """The customer received the replacement (confirmed on the customer's word)."""
    result: ReplacementShipment = perform(
        "aftersales.replacement_arrive",
        actor=actor,
        obj=replacement,
        received_on=received_on,
        received_by=received_by,
    )
    return result


def replacement_cancel(
    *, actor: User, replacement: ReplacementShipment, reason: str
) -> ReplacementShipment:
    """Cancel a replacement that will not reach the customer, with the reason."""
    result: ReplacementShipment = perform(
        "aftersales.replacement_cancel", actor=actor, obj=replacement, reason=reason
    )
    return result


def ticket_resolve(
    *,
    actor: User,
    ticket: AftersalesTicket,
    resolution: str,
    refund_amount: Decimal | None = None,
) -> AftersalesTicket:
    """Close the case with its resolution (and the refund amount for a refund); the order
    completes if that was the last thing open."""
    result: AftersalesTicket = perform(
        "aftersales.ticket_resolve",
        actor=actor,
        obj=ticket,
        resolution=resolution,
        refund_amount=refund_amount,
    )
    return result


def ticket_rate(
    *, actor: User, ticket: AftersalesTicket, rating: int, comment: str = ""
) -> AftersalesTicket:
    """The customer's rating (1–5) of a resolved ticket, with their comment."""
    result: AftersalesTicket = perform(
        "aftersales.ticket_rate", actor=actor, obj=ticket, rating=rating, comment=comment
    )
    return result


def visit_log(
    *,
    actor: User,
    order: Order,
    method: str,
    person: str,
    satisfaction: int,
    visit_date: date | None = None,
    feedback: str = "",
    suggestions: str = "",
    new_demand: bool = False,
    new_demand_note: str = "",
) -> FollowUpVisit:
    """客户满意度回访: meets the follow-up clock; the order completes if no ticket is open."""
    result: FollowUpVisit = perform(
        "aftersales.visit_log",
        actor=actor,
        obj=order,
        method=method,
        person=person,
        satisfaction=satisfaction,
        visit_date=visit_date,
        feedback=feedback,
        suggestions=suggestions,
        new_demand=new_demand,
        new_demand_note=new_demand_note,
    )
    return result


__all__ = [
    "COMPLAINABLE_STATUSES",
    "FOLLOWUP_WORKING_DAYS",
    "RESPONSE_HOURS",
    "LineInput",
    "acceptance_record",
    "completion_blockers",
    "make_thumbnail",
    "photo_validate",
    "repair_record_add",
    "replacement_arrive",
    "replacement_cancel",
    "replacement_label",
    "replacement_plan",
    "replacement_ship",
    "ticket_assign",
    "ticket_open_complaint",
    "ticket_rate",
    "ticket_resolve",
    "ticket_respond",
    "visit_log",
]
