"""Domain errors of the orders app (subclasses of core.errors) and the messages users read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, Forbidden, Invalid

MSG_NOT_ALLOWED = _("You are not allowed to do this with this order.")
MSG_WRONG_STATE = _("This order is “%(status)s”; that step is not possible now.")
MSG_NO_LINES = _("Add at least one order line before submitting.")
MSG_CUSTOMER_NOT_QUALIFIED = _(
    "The customer is not qualified yet: upload the business licence on the customer page first."
)
MSG_NO_CONTACT_LOGGED = _("Log the call or message with the customer before resubmitting.")
MSG_REASON_REQUIRED = _("Please give a reason.")
MSG_DUPLICATE_ORDER = _(
    "Possible duplicate: %(customer)s already has order %(number)s from %(date)s with the same "
    "products. Tick “this is not a duplicate” to submit anyway."
)
MSG_REQUIRED_FOR_SUBMIT = _("Required before the order can be submitted.")
MSG_DELIVERY_BEFORE_ORDER = _("The delivery date cannot be before the order date.")
MSG_NOT_EDITABLE = _("Only draft, returned or needs-information orders can be edited.")


class OrderError(DomainError):
    """A business rule of the orders app refused an operation (409); ``message`` is shown
    to the user. Refusals by permission, state or archive come from the action engine
    (core.errors); these are the orders app's own rules (no lines, not qualified …)."""

    default_code = "invalid"


class OrderPermissionDenied(Forbidden):
    """The user may not take this step on this order (answered with 403)."""

    def default_message(self) -> object:
        return MSG_NOT_ALLOWED


class OrderInvalid(Invalid):
    """The input of a step is incomplete (400); ``fields`` says which field lacks what."""


class DuplicateOrderWarning(OrderError):
    def __init__(self, message: object, duplicate_pk: int) -> None:
        super().__init__(message, code="duplicate")
        self.duplicate_pk = duplicate_pk


MSG_ON_CREDIT_HOLD = _(
    "The order is on credit hold: a sales manager must release it, with a reason, before approval."
)
MSG_CREDIT_HOLD_PLACED = _("The credit check failed; the order is on credit hold: %(reasons)s")
MSG_NOT_ON_HOLD = _("The order is not on credit hold.")
MSG_CANCEL_ALREADY_REQUESTED = _("A cancellation has already been requested for this order.")
MSG_NO_CANCEL_REQUEST = _("Nobody has requested to cancel this order.")
MSG_CANNOT_CANCEL = _("An order that has shipped can no longer be cancelled.")
MSG_NOTHING_CHANGED = _("Nothing was changed.")
MSG_NOT_CHANGEABLE = _("Only confirmed orders that have not shipped can be changed here.")
MSG_LINES_ONLY_WHEN_CONFIRMED = _(
    "Lines and prices can only change before preparation starts; ask the warehouse first."
)
MSG_CHANGE_PENDING = _("A change request for this order is already waiting for a decision.")
MSG_CHANGE_DECIDED = _("This change request has already been decided.")
