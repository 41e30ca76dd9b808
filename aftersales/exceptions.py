"""Domain errors of the after-sales app and the messages users read for them.

:class:`AftersalesError` belongs to the one family of domain errors (core.errors,
docs/architecture.md §5): a refusal is a 409 with its message, wherever it is raised.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, WrongState

MSG_ACCEPTANCE_REQUIRED = _("Record the customer's signed acceptance before the order is accepted.")
MSG_ISSUE_REQUIRED = _("Describe the issue for every line that is not simply accepted.")
MSG_QUANTITY_RANGE = _("The quantity of %(product)s must be between 0 and %(ordered)s.")
MSG_TICKET_CLOSED = _("This ticket is resolved; it cannot be changed any more.")
MSG_REFUND_REQUIRED = _("Record the refund amount before resolving a refund ticket.")
MSG_VISIT_EXISTS = _("The follow-up visit of this order is already logged.")
MSG_NOT_AFTERSALES = _("The owner of a ticket must have the after-sales role.")
MSG_BAD_IMAGE = _("The photo cannot be read as an image.")
MSG_NOT_REPLACEMENT = _("Only replacement tickets have a replacement shipment.")
MSG_REPLACEMENT_REQUIRED = _(
    "A replacement names what is replaced: choose the order line and the quantity."
)
MSG_REPLACEMENT_QUANTITY = _(
    "The replacement quantity of %(product)s must be between 0 and %(ordered)s."
)
MSG_REPLACEMENTS_UNDERWAY = _(
    "The ticket cannot be resolved yet: replacement %(items)s has not reached the customer. "
    "Wait until the customer confirms its receipt, or cancel it with a reason."
)
MSG_ARCHIVE_REPLACEMENT_UNDERWAY = _(
    "The order cannot be archived: a replacement of ticket %(number)s has not reached the "
    "customer yet."
)
MSG_CANCEL_REASON = _("Give the reason for cancelling the replacement.")

# What blocks completion (shown on the order's after-sales page).
BLOCK_NOT_ACCEPTED = _("The order is not accepted yet.")
BLOCK_NO_VISIT = _("The follow-up visit is not logged yet.")
BLOCK_OPEN_TICKET = _("After-sales ticket %(number)s is still open.")
BLOCK_REPLACEMENT = _("Replacement %(item)s of ticket %(number)s: %(status)s.")


class AftersalesError(DomainError):
    """A business rule of after-sales refused an operation; ``message`` is shown to the user."""


class ReplacementUnderway(WrongState):
    """The order still has a replacement on its way (HTTP 409); the month close skips it."""
