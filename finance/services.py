"""Finance's figures and its ways in: the settlement statement's arithmetic, the due date by
the payment terms, and thin calls of the actions in finance/actions.py.

Every figure of a statement is computed here from what the other apps recorded
(docs/decisions/0016-webhooks-and-settlements.md):

* delivered — the quantities of the order's shipments (fulfillment); a service order has
  no shipment and counts as delivered in full;
* accepted — the customer's acceptance (aftersales): a line accepted, or accepted with
  exceptions, counts with its quantity; a refused line counts nothing. Without an
  acceptance record the delivered quantity counts;
* replaced — replacements that reached the customer (aftersales): shown, never charged;
* refunds — the refund amounts of the order's resolved after-sales tickets;
* the value of a line is its amount (quantity × price × (1 − discount)) in proportion to
  the accepted quantity, to the fen;
* advance payments and payments are this app's ``Payment`` rows of the order.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Sum

from aftersales.models import (
    Acceptance,
    AftersalesTicket,
    LineResult,
    ReplacementShipment,
    ReplacementStatus,
    TicketStatus,
)
from core.actions import perform
from customers.models import Customer
from finance.models import (
    ZERO,
    NoteKind,
    Payment,
    PaymentKind,
    SettlementNote,
    SettlementStatement,
)
from fulfillment.models import ShipmentLine
from orders.models import Order, OrderKind, OrderLine, PaymentTerms

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- the due date ------------------------------------------------------------------------
def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def due_date_for(terms: str, issued_on: date, *, credit_term_days: int = 30) -> date:
    """When the balance of a statement issued on ``issued_on`` is due.

    * payment before delivery, deposit with the balance on delivery, payment on delivery:
      the goods are delivered and accepted when the statement is issued — due that day;
    * monthly statement, 30 / 60 days (月结): 30 / 60 days after the end of the month of
      the statement;
    * other terms (and none recorded): the customer's credit term from the statement date.
    """
    if terms in (PaymentTerms.PREPAID, PaymentTerms.DEPOSIT_30, PaymentTerms.ON_DELIVERY):
        return issued_on
    if terms == PaymentTerms.NET_30:
        return month_end(issued_on) + timedelta(days=30)
    if terms == PaymentTerms.NET_60:
        return month_end(issued_on) + timedelta(days=60)
    return issued_on + timedelta(days=credit_term_days)


# --- the figures ---------------------------------------------------------------------------
@dataclass
class LineFigures:
    order_line: OrderLine
    ordered: Decimal
    delivered: Decimal
    accepted: Decimal
    replaced: Decimal
    delivered_amount: Decimal
    amount: Decimal


@dataclass
class Figures:
    lines: list[LineFigures] = field(default_factory=list)
    order_amount: Decimal = ZERO
    delivered_amount: Decimal = ZERO
    accepted_amount: Decimal = ZERO
    refund_amount: Decimal = ZERO
    prepaid_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    unlinked_replacements: list[str] = field(default_factory=list)

    @property
    def amount_due(self) -> Decimal:
        return self.accepted_amount - self.refund_amount

    @property
    def balance_due(self) -> Decimal:
        return self.amount_due - self.prepaid_amount - self.paid_amount


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0 or part >= whole:
        return amount if part >= whole else ZERO
    return money(amount * part / whole)


def settlement_figures(order: Order) -> Figures:
    """What the statement of ``order`` states, computed now (a few queries per order)."""
    lines = list(order.lines.select_related("product").order_by("position", "id"))
    shipped = dict(
        ShipmentLine.objects.filter(shipment__order=order)
        .values_list("order_line")
        .annotate(total=Sum("quantity"))
        .values_list("order_line", "total")
    )
    acceptance = Acceptance.objects.filter(order=order).first()
    accepted_rows: dict[int, Decimal] | None = None
    if acceptance is not None:
        accepted_rows = {
            row.order_line_id: (ZERO if row.result == LineResult.REJECTED else row.quantity)
            for row in acceptance.lines.all()
        }
    replacements = ReplacementShipment.objects.filter(
        ticket__order=order, status=ReplacementStatus.ARRIVED
    )
    replaced: dict[int, Decimal] = {}
    figures = Figures()
    for replacement in replacements:
        if replacement.order_line_id is None:
            figures.unlinked_replacements.append(
                f"{replacement.item} × {replacement.quantity.normalize():f}"
            )
            continue
        replaced[replacement.order_line_id] = (
            replaced.get(replacement.order_line_id, ZERO) + replacement.quantity
        )
    for line in lines:
        if order.kind == OrderKind.SERVICE:
            delivered = line.quantity
        else:
            delivered = min(shipped.get(line.pk, ZERO), line.quantity)
        accepted = delivered if accepted_rows is None else accepted_rows.get(line.pk, ZERO)
        accepted = min(accepted, delivered)
        row = LineFigures(
            order_line=line,
            ordered=line.quantity,
            delivered=delivered,
            accepted=accepted,
            replaced=replaced.get(line.pk, ZERO),
            delivered_amount=_share(line.amount, delivered, line.quantity),
            amount=_share(line.amount, accepted, line.quantity),
        )
        figures.lines.append(row)
        figures.order_amount += line.amount
        figures.delivered_amount += row.delivered_amount
        figures.accepted_amount += row.amount
    figures.refund_amount = (
        AftersalesTicket.objects.filter(
            order=order, status=TicketStatus.RESOLVED, refund_amount__isnull=False
        ).aggregate(total=Sum("refund_amount"))["total"]
        or ZERO
    )
    paid = dict(
        Payment.objects.filter(order=order)
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    figures.prepaid_amount = paid.get(PaymentKind.PREPAYMENT, ZERO)
    figures.paid_amount = paid.get(PaymentKind.PAYMENT, ZERO)
    return figures


# --- an issued statement, as it stands today ------------------------------------------------
@dataclass
class StatementNow:
    """The statement's issued figures, its notes and the payments since: what is open."""

    statement: SettlementStatement
    notes: list[SettlementNote]
    payments_since: Decimal

    @property
    def notes_total(self) -> Decimal:
        return sum((note.signed_amount for note in self.notes), ZERO)

    @property
    def open_balance(self) -> Decimal:
        return self.statement.balance_due + self.notes_total - self.payments_since


def statement_now(statement: SettlementStatement) -> StatementNow:
    later = (
        Payment.objects.filter(
            order_id=statement.order_id, posted_at__gt=statement.issued_at
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return StatementNow(
        statement=statement, notes=list(statement.notes.all()), payments_since=later
    )


def note_number(statement: SettlementStatement, kind: str) -> str:
    letter = "C" if kind == NoteKind.CREDIT else "D"
    count = SettlementNote.objects.filter(statement=statement, kind=kind).count() + 1
    return f"{statement.number}-{letter}{count:02d}"


def statement_number(order: Order) -> str:
    return f"JS-{order.number or order.pk}"


# --- the ways in (one action each) -----------------------------------------------------------
def settlement_issue(*, actor: User | None, order: Order) -> SettlementStatement:
    """Issue the order's statement (the completion's hook does this; idempotent)."""
    result: SettlementStatement = perform("finance.settlement_issue", actor=actor, obj=order)
    return result


def settlement_note_issue(
    *, actor: User, statement: SettlementStatement, kind: str, amount: Decimal, reason: str
) -> SettlementNote:
    result: SettlementNote = perform(
        "finance.note_issue", actor=actor, obj=statement, kind=kind, amount=amount, reason=reason
    )
    return result


def payment_post(
    *,
    actor: User,
    customer: Customer,
    amount: Decimal,
    received_on: date,
    reference: str,
    order: Order | None = None,
    kind: str = "",
    invoice_number: str = "",
) -> Payment:
    """Record money received; see ``finance.payment_post``. Returns the payment (the one
    recorded before, when ``reference`` was posted already with the same figures)."""
    result: Payment = perform(
        "finance.payment_post",
        actor=actor,
        obj=customer,
        amount=amount,
        received_on=received_on,
        reference=reference,
        order=order,
        kind=kind,
        invoice_number=invoice_number,
    )
    return result


def statement_context(statement: SettlementStatement) -> dict[str, Any]:
    """What the page, the PDF and the API show of a statement."""
    now = statement_now(statement)
    return {
        "statement": statement,
        "order": statement.order,
        "lines": list(statement.lines.all()),
        "notes": now.notes,
        "notes_total": now.notes_total,
        "payments": list(
            Payment.objects.filter(order_id=statement.order_id).order_by("received_on", "pk")
        ),
        "payments_since": now.payments_since,
        "open_balance": now.open_balance,
        "replaced_total": sum((line.replaced for line in statement.lines.all()), ZERO),
    }
