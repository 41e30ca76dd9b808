"""What finance's pages and the API read: statements, their lines, notes and payments."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from finance.models import Payment, SettlementStatement
from orders.models import Order, OrderStatus


def statements() -> QuerySet[SettlementStatement]:
    return SettlementStatement.objects.select_related("order", "customer", "issued_by")


def statement_detail(*, pk: int) -> SettlementStatement:
    return statements().get(pk=pk)


def order_panel(user: Any, order: Order) -> dict[str, Any] | None:
    """The order page's settlement panel: the statement once issued; for an order that is
    not completed yet, what has been paid in advance (if anything)."""
    statement = SettlementStatement.objects.filter(order=order).first()
    if statement is not None:
        from finance.services import statement_now

        now = statement_now(statement)
        return {"statement": statement, "open_balance": now.open_balance, "notes": now.notes}
    payments = list(Payment.objects.filter(order=order).order_by("received_on", "pk"))
    if not payments and order.status not in (OrderStatus.COMPLETED, OrderStatus.ARCHIVED):
        return None
    return {"statement": None, "payments": payments}
