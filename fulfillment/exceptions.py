"""Domain errors of fulfillment and the messages users read for them.

They belong to the one family of core.errors (a refusal of a rule is a 409, a wrong
input a 400, a permission a 403), so every page maps them the same way.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

MSG_NOT_ENOUGH_STOCK = _(
    "Not enough stock of %(product)s in %(warehouse)s: %(available)s available, %(needed)s needed."
)
MSG_NO_WAREHOUSE = _("Choose a warehouse for this order first.")
MSG_STOCK_ALREADY_CONFIRMED = _("Stock was already confirmed; the warehouse can no longer change.")
MSG_DELIVERABLE_DATE_REQUIRED = _("Give the date the goods can be delivered.")
MSG_LINE_STATUS_REQUIRED = _("Give the stock status of every line.")
MSG_QC_NOT_PASSED = _(
    "The shipment preparation form is not complete: packing and a passed QC are needed first."
)
MSG_SHIP_TOO_MUCH = _(
    "%(product)s: %(remaining)s left to ship, a shipment of %(quantity)s is too many."
)
MSG_SHIP_NOTHING = _("Enter the quantity of at least one line.")
MSG_STOPPED = _("Preparation of this order was stopped.")
MSG_NO_NEGOTIATION = _("This order does not wait for the customer's answer.")
MSG_WRONG_ORDER_STATE = _("This order is “%(status)s”; that step is not possible now.")
MSG_NOT_ALL_SHIPPED = _("Not everything has shipped yet.")
MSG_CHOOSE_ANSWER = _("Choose the customer's answer.")
MSG_QUANTITY_ABOVE_ZERO = _("Enter a quantity above zero.")
MSG_REASON_REQUIRED = _("Please give a reason.")
MSG_OWNER_NOT_WAREHOUSE = _("The owner of a stage is someone of the warehouse / production.")


class FulfillmentError(DomainError):
    """A fulfillment rule refused an operation (409); ``message`` is shown to the user."""


class NotEnoughStock(FulfillmentError):
    def __init__(self, message: object) -> None:
        super().__init__(message, code="not_enough_stock")
