"""A settlement statement as plain data: the ``settlement.issued`` webhook and the API's
resource say the same thing (amounts as decimal strings, dates ISO)."""

from __future__ import annotations

from typing import Any

from finance.models import SettlementStatement
from finance.services import statement_now


def _amount(value: Any) -> str:
    return f"{value:.2f}"


def statement_data(statement: SettlementStatement) -> dict[str, Any]:
    now = statement_now(statement)
    order = statement.order
    return {
        "id": statement.pk,
        "number": statement.number,
        "order": {"id": order.pk, "number": order.number},
        "customer": {
            "id": statement.customer_id,
            "code": statement.customer.code,
            "name": statement.customer.name,
        },
        "issued_at": statement.issued_at.isoformat(),
        "payment_terms": statement.payment_terms,
        "currency": "CNY",
        "order_amount": _amount(statement.order_amount),
        "delivered_amount": _amount(statement.delivered_amount),
        "accepted_amount": _amount(statement.accepted_amount),
        "refund_amount": _amount(statement.refund_amount),
        "amount_due": _amount(statement.amount_due),
        "prepaid_amount": _amount(statement.prepaid_amount),
        "paid_amount": _amount(statement.paid_amount),
        "balance_due": _amount(statement.balance_due),
        "due_date": statement.due_date.isoformat(),
        "notes": [
            {
                "number": note.number,
                "kind": note.kind,
                "amount": _amount(note.amount),
                "reason": note.reason,
                "issued_at": note.issued_at.isoformat(),
            }
            for note in now.notes
        ],
        "paid_since_issue": _amount(now.payments_since),
        "open_balance": _amount(now.open_balance),
        "lines": [
            {
                "order_line": line.order_line_id,
                "product_code": line.product_code,
                "product_name": line.product_name,
                "spec": line.spec,
                "unit": line.unit,
                "unit_price": _amount(line.unit_price),
                "discount_percent": _amount(line.discount_percent),
                "ordered": _amount(line.ordered),
                "delivered": _amount(line.delivered),
                "accepted": _amount(line.accepted),
                "replaced": _amount(line.replaced),
                "amount": _amount(line.amount),
            }
            for line in statement.lines.all()
        ],
    }
