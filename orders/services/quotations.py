"""Quotation operations: entry, approval (supervisor, then director when the rules say so),
the customer's answer, the one-click conversion into an order, and an order's contract link.

Each is one action of the engine (orders/actions/quotations.py, core.actions): these
functions only name the action and its parameters, so a page, a task or the API take
the same road — lock, state, predicate (role and four eyes), effect, the approval
record (審批人、審批意見、審批時間), all in one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.dispatch import Signal

from core.actions import perform
from customers.models import Customer
from orders.actions.quotations import (
    EDITABLE_FIELDS,
    quotation_director_reasons,
    quotation_recalculate_total,
)
from orders.exceptions.quotations import (
    MSG_COMMENT_REQUIRED,
    MSG_CONTRACT_NOT_SIGNED,
    MSG_CONTRACT_OTHER_CUSTOMER,
    MSG_EXPIRED,
    MSG_NO_LINES,
    MSG_NOT_ALLOWED,
    MSG_NOT_EDITABLE,
    MSG_WRONG_STATE,
    QuotationError,
    QuotationInvalid,
    QuotationPermissionDenied,
)
from orders.models import Order, Quotation, QuotationStatus

__all__ = [
    "MSG_COMMENT_REQUIRED",
    "MSG_CONTRACT_NOT_SIGNED",
    "MSG_CONTRACT_OTHER_CUSTOMER",
    "MSG_EXPIRED",
    "MSG_NOT_ALLOWED",
    "MSG_NOT_EDITABLE",
    "MSG_NO_LINES",
    "MSG_WRONG_STATE",
    "QuotationError",
    "QuotationInvalid",
    "QuotationPermissionDenied",
    "order_contract_link",
    "quotation_accept",
    "quotation_approve",
    "quotation_convert",
    "quotation_create",
    "quotation_decline",
    "quotation_director_reasons",
    "quotation_pdf_generated",
    "quotation_recalculate_total",
    "quotation_save",
    "quotation_send_back",
    "quotation_submit",
]

# Sent when a quotation PDF has been generated for someone: the archive registers the copy.
quotation_pdf_generated = Signal()  # sender=Quotation, quotation, pdf (bytes), user


def quotation_save(*, actor: User, quotation: Quotation, lines: list[dict[str, Any]]) -> Quotation:
    """Create or edit a draft quotation with its lines (a list of dicts: product, quantity,
    unit_price, discount_percent, spec, unit). ``quotation`` carries the form's fields."""
    fields = {name: getattr(quotation, name) for name in EDITABLE_FIELDS}
    if quotation.pk is None:
        fields["owner_id"] = quotation.owner_id
        return perform("quotation.create", actor=actor, obj=None, fields=fields, lines=lines)
    return perform("quotation.edit", actor=actor, obj=quotation, fields=fields, lines=lines)


def quotation_create(
    *,
    actor: User,
    customer: Customer,
    valid_until: date,
    lines: list[dict[str, Any]],
    payment_terms: str = "",
    delivery_terms: str = "",
    terms: str = "",
    contact_name: str = "",
) -> Quotation:
    quotation = Quotation(
        customer=customer,
        valid_until=valid_until,
        payment_terms=payment_terms,
        delivery_terms=delivery_terms,
        terms=terms,
        contact_name=contact_name,
    )
    return quotation_save(actor=actor, quotation=quotation, lines=lines)


def quotation_submit(*, actor: User, quotation: Quotation, comment: str = "") -> Quotation:
    """To the sales supervisor; records now whether the superior must approve too."""
    return perform("quotation.submit", actor=actor, obj=quotation, note=comment)


def quotation_approve_action(quotation: Quotation) -> str:
    """Which approval the quotation waits for: the director's, or the supervisor's (which
    sends it on to the director when the rules say so)."""
    if quotation.status == QuotationStatus.PENDING_DIRECTOR:
        return "quotation.director_approve"
    if quotation.director_reasons:
        return "quotation.approve_to_director"
    return "quotation.approve"


def quotation_approve(*, actor: User, quotation: Quotation, comment: str = "") -> Quotation:
    """The supervisor's approval (or the superior's, when it is waiting for them)."""
    quotation = Quotation.objects.get(pk=quotation.pk)
    name = quotation_approve_action(quotation)
    return perform(name, actor=actor, obj=quotation, note=comment)


def quotation_send_back(*, actor: User, quotation: Quotation, comment: str) -> Quotation:
    return perform("quotation.send_back", actor=actor, obj=quotation, note=comment)


def quotation_accept(*, actor: User, quotation: Quotation, comment: str = "") -> Quotation:
    """The customer accepted the approved quotation (within its validity)."""
    return perform("quotation.accept", actor=actor, obj=quotation, note=comment)


def quotation_decline(*, actor: User, quotation: Quotation, comment: str = "") -> Quotation:
    return perform("quotation.decline", actor=actor, obj=quotation, note=comment)


def quotation_convert(*, actor: User, quotation: Quotation, comment: str = "") -> Order:
    """One click: a draft order with the quotation's lines and terms; both keep the link."""
    return perform("quotation.convert", actor=actor, obj=quotation, note=comment)


def order_contract_link(*, actor: User, order: Order, contract: Any | None) -> Order:
    """Link ``order`` to the contract it was placed under (or unlink with None)."""
    return perform("order.link_contract", actor=actor, obj=order, contract=contract)
