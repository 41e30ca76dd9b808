"""Settlement statements (read, correct by credit / debit note) and payments received
(docs/decisions/0016-webhooks-and-settlements.md).

A statement is issued by the order's completion, never through the API; it is read here
and corrected only by notes. Finance posts the payments it received: each one updates the
customer's credit file at once (the credit check reads it). Writes go through the finance
services, i.e. one ``perform`` as the client's technical user.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from api.auth import require_scope
from api.pagination import keyset_page
from api.problems import WRITE_ERRORS, responses
from api.routers.common import ListParams, Query, require_perm
from api.schemas import InSchema
from customers.models import Customer
from customers.selectors import credit_status
from finance import selectors, services
from finance.models import SettlementStatement
from finance.serialize import statement_data
from orders.models import Order

router = Router(tags=["Finance"])


class SettlementNoteOut(Schema):
    number: str
    kind: str
    amount: Decimal
    reason: str
    issued_at: datetime


class SettlementLineOut(Schema):
    order_line: int
    product_code: str
    product_name: str
    spec: str
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    ordered: Decimal
    delivered: Decimal
    accepted: Decimal
    replaced: Decimal = Field(description="Replaced free of charge after acceptance.")
    amount: Decimal = Field(description="Value of the accepted quantity.")


class Ref(Schema):
    id: int
    number: str | None = None


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class SettlementOut(Schema):
    id: int
    number: str
    order: Ref
    customer: CustomerRef
    issued_at: datetime
    payment_terms: str
    currency: str
    order_amount: Decimal
    delivered_amount: Decimal
    accepted_amount: Decimal
    refund_amount: Decimal
    amount_due: Decimal = Field(description="Accepted value less refunds.")
    prepaid_amount: Decimal
    paid_amount: Decimal
    balance_due: Decimal = Field(description="As issued: amount due less what was paid.")
    due_date: date
    notes: list[SettlementNoteOut]
    paid_since_issue: Decimal
    open_balance: Decimal = Field(description="Today: balance due, notes, payments since issue.")
    lines: list[SettlementLineOut]


class SettlementPage(Schema):
    items: list[SettlementOut]
    next_cursor: str | None = None


class SettlementNoteIn(InSchema):
    kind: Literal["credit", "debit"]
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    reason: str = Field(min_length=1, max_length=2000)


class PaymentIn(InSchema):
    customer: int = Field(description="The customer's id.")
    order: int | None = Field(None, description="The order paid for (advance or balance).")
    invoice_number: str = Field(
        "", max_length=50, description="Or: an invoice of the customer's credit file."
    )
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    received_on: date
    reference: str = Field(min_length=1, max_length=100, description="Bank / finance reference.")
    kind: Literal["prepayment", "payment", ""] = ""


class CreditAfterOut(Schema):
    limit: Decimal
    outstanding: Decimal
    available: Decimal
    overdue: Decimal


class PaymentOut(Schema):
    id: int
    customer: int
    order: int | None
    kind: str
    amount: Decimal
    received_on: date
    reference: str
    invoice_number: str | None
    credit: CreditAfterOut


def _payment_out(payment: Any) -> dict[str, Any]:
    status = credit_status(customer=payment.customer)
    return {
        "id": payment.pk,
        "customer": payment.customer_id,
        "order": payment.order_id,
        "kind": payment.kind,
        "amount": payment.amount,
        "received_on": payment.received_on,
        "reference": payment.reference,
        "invoice_number": payment.payment_record.invoice_number
        if payment.payment_record_id
        else None,
        "credit": {
            "limit": status.limit,
            "outstanding": status.outstanding,
            "available": status.available,
            "overdue": status.overdue,
        },
    }


@router.get(
    "/settlements", response=responses(SettlementPage), summary="List settlement statements"
)
def settlements_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    require_perm(request, "finance.view_settlementstatement")
    rows, cursor = keyset_page(
        selectors.statements(),
        cursor=params.cursor,
        limit=params.limit,
        updated_since=params.updated_since,
    )
    return {"items": [statement_data(row) for row in rows], "next_cursor": cursor}


@router.get(
    "/settlements/{int:settlement_id}",
    response=responses(SettlementOut),
    summary="One settlement statement",
)
def settlement_get(request: HttpRequest, settlement_id: int) -> Any:
    require_perm(request, "finance.view_settlementstatement")
    return statement_data(get_object_or_404(selectors.statements(), pk=settlement_id))


@router.get(
    "/orders/{int:order_id}/settlement",
    response=responses(SettlementOut),
    summary="The settlement statement of an order",
)
def settlement_of_order(request: HttpRequest, order_id: int) -> Any:
    require_perm(request, "finance.view_settlementstatement")
    return statement_data(get_object_or_404(selectors.statements(), order_id=order_id))


@router.post(
    "/settlements/{int:settlement_id}/notes",
    response=responses(SettlementOut, 201, WRITE_ERRORS),
    summary="Correct a statement with a credit or debit note",
)
def settlement_note(request: HttpRequest, settlement_id: int, body: SettlementNoteIn) -> Any:
    require_scope(request, "finance")
    require_perm(request, "finance.view_settlementstatement")
    statement = get_object_or_404(SettlementStatement, pk=settlement_id)
    services.settlement_note_issue(
        actor=request.user,  # type: ignore[arg-type]
        statement=statement,
        kind=body.kind,
        amount=body.amount,
        reason=body.reason,
    )
    return Status(201, statement_data(selectors.statements().get(pk=statement.pk)))


@router.post(
    "/payments",
    response=responses(PaymentOut, 201, WRITE_ERRORS),
    summary="Record a payment received (advance, balance or invoice)",
)
def payment_create(request: HttpRequest, body: PaymentIn) -> Any:
    require_scope(request, "finance")
    customer = get_object_or_404(Customer, pk=body.customer)
    order = get_object_or_404(Order, pk=body.order) if body.order is not None else None
    payment = services.payment_post(
        actor=request.user,  # type: ignore[arg-type]
        customer=customer,
        order=order,
        amount=body.amount,
        received_on=body.received_on,
        reference=body.reference,
        kind=body.kind,
        invoice_number=body.invoice_number,
    )
    return Status(201, _payment_out(payment))
