"""Finance's writes as actions of the one engine (core.actions), and its hook on the order's
completion.

* ``on("order.complete")``: the order completed — its settlement statement is issued in
  the completion's transaction (a failure here rolls the completion back whole).
* ``finance.settlement_issue``: the statement, once per order; its figures are copied into
  its rows and the customer's credit file gets the invoice of the balance.
* ``finance.note_issue``: a credit or debit note — the only way a statement's amount changes.
* ``finance.payment_post``: money received, against an order or an invoice of the credit
  file; the credit check reads it at once.

The webhooks app (api/webhooks/__init__.py) hooks ``finance.settlement_issue`` for the
``settlement.issued`` event: nothing here knows about it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import rules
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import roles
from core.actions import Step, action, has_perm, on, perform
from core.errors import Invalid, WrongState
from core.messages import Msg, date_param
from core.services import notify_users
from customers.models import PaymentRecord
from finance import services
from finance.models import (
    ZERO,
    NoteKind,
    Payment,
    PaymentKind,
    SettlementLine,
    SettlementNote,
    SettlementStatement,
)
from orders.models import Order, OrderEventKind, OrderStatus

MSG_NOT_COMPLETED = _("The settlement statement is issued when the order completes.")
MSG_AMOUNT_POSITIVE = _("Enter an amount above zero.")
MSG_REASON_REQUIRED = _("Give the reason for the note.")
MSG_CHOOSE_KIND = _("Choose a credit note or a debit note.")
MSG_CREDIT_ABOVE_DUE = _("A credit note cannot exceed what the statement still bills (%(due)s).")
MSG_REFERENCE_REQUIRED = _("Give the payment's reference (bank or finance system).")
MSG_REFERENCE_USED = _("Payment %(reference)s was recorded already with other figures.")
MSG_ORDER_OTHER_CUSTOMER = _("Order %(order)s is not an order of this customer.")
MSG_ORDER_CANCELLED = _("Order %(order)s is cancelled: it takes no payment.")
MSG_PAYMENT_TOO_LARGE = _("%(amount)s is more than is open (%(open)s).")
MSG_INVOICE_UNKNOWN = _("This customer has no invoice %(invoice)s.")
MSG_ORDER_OR_INVOICE = _("Name the order or the invoice the payment is for.")
MSG_RECEIVED_IN_FUTURE = _("The payment cannot be received in the future.")

may_issue_note = has_perm("finance.issue_settlement_note")
may_post_payment = has_perm("finance.post_payment")
# Issued by the order's completion (the hook below), reached from code only, never a page.
system_step = rules.always_allow


def _amount(value: Any, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        amount = ZERO
    if not amount.is_finite() or amount <= 0:
        raise Invalid(MSG_AMOUNT_POSITIVE, fields={field: [str(MSG_AMOUNT_POSITIVE)]})
    if amount != amount.quantize(services.CENT):
        raise Invalid(MSG_AMOUNT_POSITIVE, fields={field: [str(MSG_AMOUNT_POSITIVE)]})
    return amount


# --- the statement ---------------------------------------------------------------------------
@action(
    "finance.settlement_issue",
    model=SettlementStatement,
    predicate=system_step,
    creates=True,
    event=OrderEventKind.NOTE,
)
def settlement_issue(step: Step[Any]) -> SettlementStatement:
    """The order completed: its settlement statement, once. Its figures are copied now and
    never change; the customer's credit file gets the statement as an invoice of what is
    billed, with what was paid so far as received (the credit check reads it)."""
    order: Order = step.root
    existing = SettlementStatement.objects.filter(order=order).first()
    if existing is not None:
        step.skip_event = True
        return existing
    if order.status != OrderStatus.COMPLETED:
        raise WrongState(MSG_NOT_COMPLETED, code="not_completed")
    figures = services.settlement_figures(order)
    now = timezone.now()
    issued_on = timezone.localdate(now)
    customer = order.customer
    due = services.due_date_for(
        order.payment_terms, issued_on, credit_term_days=customer.credit_term_days
    )
    number = services.statement_number(order)
    record = PaymentRecord.objects.create(
        customer=customer,
        invoice_number=number,
        invoiced_amount=max(figures.amount_due, ZERO),
        invoice_date=issued_on,
        due_date=due,
        received_amount=figures.prepaid_amount + figures.paid_amount,
        received_date=Payment.objects.filter(order=order)
        .order_by("-received_on")
        .values_list("received_on", flat=True)
        .first(),
        note=str(order.number or ""),
    )
    statement = SettlementStatement.objects.create(
        number=number,
        order=order,
        customer=customer,
        issued_at=now,
        created_at=now,
        issued_by=step.actor if getattr(step.actor, "pk", None) else None,
        payment_terms=order.payment_terms,
        order_amount=figures.order_amount,
        delivered_amount=figures.delivered_amount,
        accepted_amount=figures.accepted_amount,
        refund_amount=figures.refund_amount,
        amount_due=figures.amount_due,
        prepaid_amount=figures.prepaid_amount,
        paid_amount=figures.paid_amount,
        balance_due=figures.balance_due,
        due_date=due,
        payment_record=record,
    )
    SettlementLine.objects.bulk_create(
        SettlementLine(
            statement=statement,
            order_line=row.order_line,
            position=row.order_line.position,
            product_code=row.order_line.product.code,
            product_name=row.order_line.product.name,
            spec=row.order_line.spec,
            unit=row.order_line.unit,
            unit_price=row.order_line.unit_price,
            discount_percent=row.order_line.discount_percent,
            ordered=row.ordered,
            delivered=row.delivered,
            accepted=row.accepted,
            replaced=row.replaced,
            amount=row.amount,
        )
        for row in figures.lines
    )
    Payment.objects.filter(order=order, payment_record__isnull=True).update(payment_record=record)
    values: dict[str, Any] = {
        "number": number,
        "order": str(order.number or order.pk),
        "balance": f"{figures.balance_due:,.2f}",
        "due": date_param(due),
    }
    step.event_action = "settlement_issued"
    step.set_note(
        Msg(
            _("Settlement statement %(number)s issued: balance due %(balance)s CNY by %(due)s."),
            **values,
        )
    )
    notify_users(
        [order.owner, *roles.users_with_role(roles.DATA_ADMIN)],
        title=Msg(_("Settlement statement %(number)s for order %(order)s"), **values),
        body=Msg(_("Balance due %(balance)s CNY by %(due)s."), **values),
        target=statement,
    )
    return statement


@on("order.complete")
def issue_on_completion(step: Step[Any]) -> None:
    """The order completed: issue its statement in the same transaction."""
    order = step.obj
    if order.status == OrderStatus.COMPLETED:
        perform("finance.settlement_issue", actor=step.actor, obj=order)


# --- corrections -----------------------------------------------------------------------------
@action(
    "finance.note_issue",
    model=SettlementNote,
    predicate=may_issue_note,
    creates=True,
    records=False,  # the note is its own record, numbered
)
def note_issue(step: Step[Any]) -> SettlementNote:
    """A credit note (the customer owes less) or a debit note (more) on an issued
    statement, with its reason; the credit file's invoice follows. A credit note never
    takes more than the statement still bills."""
    statement: SettlementStatement = step.root
    kind = step.params.get("kind")
    if kind not in NoteKind.values:
        raise Invalid(MSG_CHOOSE_KIND, fields={"kind": [str(MSG_CHOOSE_KIND)]})
    amount = _amount(step.params.get("amount"))
    reason = (step.params.get("reason") or "").strip()
    if not reason:
        raise Invalid(MSG_REASON_REQUIRED, fields={"reason": [str(MSG_REASON_REQUIRED)]})
    billed = statement.amount_due + services.statement_now(statement).notes_total
    if kind == NoteKind.CREDIT and amount > billed:
        message = MSG_CREDIT_ABOVE_DUE % {"due": f"{billed:,.2f}"}
        raise Invalid(message, fields={"amount": [str(message)]})
    note = SettlementNote.objects.create(
        statement=statement,
        number=services.note_number(statement, kind),
        kind=kind,
        amount=amount,
        reason=reason,
        issued_by=step.actor,
    )
    if statement.payment_record_id:
        record = PaymentRecord.objects.select_for_update().get(pk=statement.payment_record_id)
        record.invoiced_amount = max(record.invoiced_amount + note.signed_amount, ZERO)
        record.save(update_fields=["invoiced_amount"])
    SettlementStatement.objects.filter(pk=statement.pk).update(updated_at=timezone.now())
    return note


# --- payments --------------------------------------------------------------------------------
def _order_open(order: Order) -> Decimal:
    """What may still be paid on ``order``: its statement's open balance once issued, else
    its total less what was paid."""
    statement = SettlementStatement.objects.filter(order=order).first()
    if statement is not None:
        return services.statement_now(statement).open_balance
    paid = Payment.objects.filter(order=order).aggregate(total=Sum("amount"))["total"] or ZERO
    return order.total_amount - paid


@action(
    "finance.payment_post",
    model=Payment,
    predicate=may_post_payment,
    creates=True,
    records=False,  # the payment is its own record, and the credit file's history
)
def payment_post(step: Step[Any]) -> Payment:
    """Money received from the customer (the customer's row is locked: payments of one
    customer are applied one at a time).

    Against an order: before its statement it is an advance (counted by the statement),
    afterwards a payment of the statement's balance. Against an invoice of the credit file
    (``invoice_number``): that invoice's received amount. Either way the credit file —
    and so the credit check — knows it at once. The same reference posted again with the
    same figures returns the payment recorded first; with other figures it is refused."""
    customer = step.root
    params = step.params
    amount = _amount(params.get("amount"))
    reference = (params.get("reference") or "").strip()[:100]
    if not reference:
        raise Invalid(MSG_REFERENCE_REQUIRED, fields={"reference": [str(MSG_REFERENCE_REQUIRED)]})
    received_on: date = params.get("received_on") or timezone.localdate()
    if received_on > timezone.localdate():
        raise Invalid(MSG_RECEIVED_IN_FUTURE, fields={"received_on": [str(MSG_RECEIVED_IN_FUTURE)]})
    order: Order | None = params.get("order")
    invoice_number = (params.get("invoice_number") or "").strip()
    existing = Payment.objects.filter(customer=customer, reference=reference).first()
    if existing is not None:
        same = (
            existing.amount == amount
            and existing.received_on == received_on
            and (order is None or existing.order_id == order.pk)
        )
        if not same:
            message = MSG_REFERENCE_USED % {"reference": reference}
            raise WrongState(message, code="reference_used")
        step.skip_event = True
        return existing
    record: PaymentRecord | None = None
    kind = params.get("kind") or ""
    if order is not None:
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.customer_id != customer.pk:
            message = MSG_ORDER_OTHER_CUSTOMER % {"order": order}
            raise Invalid(message, fields={"order": [str(message)]})
        if order.status == OrderStatus.CANCELLED:
            raise WrongState(MSG_ORDER_CANCELLED % {"order": order}, code="cancelled")
        open_amount = _order_open(order)
        statement = SettlementStatement.objects.filter(order=order).first()
        if statement is not None:
            kind = PaymentKind.PAYMENT
            if statement.payment_record_id:
                record = PaymentRecord.objects.select_for_update().get(
                    pk=statement.payment_record_id
                )
        elif kind not in PaymentKind.values:
            kind = PaymentKind.PREPAYMENT
    elif invoice_number:
        record = (
            PaymentRecord.objects.select_for_update()
            .filter(customer=customer, invoice_number=invoice_number)
            .order_by("-invoice_date", "-pk")
            .first()
        )
        if record is None:
            message = MSG_INVOICE_UNKNOWN % {"invoice": invoice_number}
            raise Invalid(message, fields={"invoice_number": [str(message)]})
        open_amount = record.invoiced_amount - record.received_amount
        kind = PaymentKind.PAYMENT
        statement = SettlementStatement.objects.filter(payment_record=record).first()
        if statement is not None:
            # The invoice of a statement: the payment is its order's (the statement counts it).
            order = statement.order
            open_amount = services.statement_now(statement).open_balance
    else:
        raise Invalid(MSG_ORDER_OR_INVOICE, fields={"order": [str(MSG_ORDER_OR_INVOICE)]})
    if amount > open_amount:
        message = MSG_PAYMENT_TOO_LARGE % {
            "amount": f"{amount:,.2f}",
            "open": f"{open_amount:,.2f}",
        }
        raise Invalid(message, fields={"amount": [str(message)]})
    if record is not None:
        record.received_amount += amount
        record.received_date = max(record.received_date or received_on, received_on)
        record.save(update_fields=["received_amount", "received_date"])
    if order is not None:
        SettlementStatement.objects.filter(order=order).update(updated_at=timezone.now())
    return Payment.objects.create(
        customer=customer,
        order=order,
        kind=kind,
        amount=amount,
        received_on=received_on,
        reference=reference,
        payment_record=record,
        posted_by=step.actor,
    )
