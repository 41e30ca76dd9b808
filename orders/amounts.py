"""The amount of an order line and the largest amounts the database can hold.

Pure functions over Decimal, shared by the entry form (its validation and live totals),
the change form and the spreadsheet import: a number the form accepts must be a number
the database can store (docs/architecture.md §5: a bad input is a 400 with the field,
never a 500). The limits are read from the columns themselves.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException

from orders.models import Order, OrderLine

CENT = Decimal("0.01")
# Wide enough for any product of fields that passed their own max_digits checks.
_CONTEXT = Context(prec=60, traps=[])


def _largest(max_digits: int, decimal_places: int) -> Decimal:
    """The largest value of a numeric(max_digits, decimal_places) column."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(10) ** -decimal_places


def _column_limit(model: type, name: str) -> Decimal:
    field = model._meta.get_field(name)
    field = getattr(field, "output_field", None) or field  # a GeneratedField's type
    return _largest(field.max_digits, field.decimal_places)


ORDER_TOTAL_LIMIT = _column_limit(Order, "total_amount")
# One line is part of the order's total: it can be no larger than the total's column.
LINE_AMOUNT_LIMIT = min(_column_limit(OrderLine, "amount"), ORDER_TOTAL_LIMIT)


def line_amount(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """quantity × unit price × (100 − discount) / 100, to the fen — as the database rounds
    (half away from zero). Any finite inputs; the result may exceed the column."""
    raw = _CONTEXT.divide(
        _CONTEXT.multiply(_CONTEXT.multiply(quantity, unit_price), 100 - discount_percent), 100
    )
    return raw.quantize(CENT, rounding=ROUND_HALF_UP, context=_CONTEXT)


def fits(amount: Decimal | None, limit: Decimal) -> bool:
    """Whether ``amount`` is a finite number the column bounded by ``limit`` can hold."""
    try:
        return amount is not None and amount.is_finite() and abs(amount) <= limit
    except DecimalException:
        return False
