"""Domain errors of the after-sales app and the messages users read for them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.exceptions import OrderError

MSG_NOT_DELIVERED = _("Acceptance can only be recorded for a delivered order.")
MSG_ALREADY_ACCEPTED = _("The acceptance of this order is already recorded.")
MSG_ISSUE_REQUIRED = _("Describe the issue for every line that is not simply accepted.")
MSG_QUANTITY_RANGE = _("The quantity of %(product)s must be between 0 and %(ordered)s.")
MSG_NOT_COMPLAINABLE = _("Complaints can only be logged for delivered orders.")
MSG_TICKET_CLOSED = _("This ticket is resolved; it cannot be changed any more.")
MSG_TICKET_NOT_RESOLVED = _("The customer rates a ticket once it is resolved.")
MSG_TICKET_NOT_RESPONDED = _("Log a response before resolving the ticket.")
MSG_REFUND_REQUIRED = _("Record the refund amount before resolving a refund ticket.")
MSG_NOT_ACCEPTED = _("The follow-up visit is logged once the order is accepted.")
MSG_VISIT_EXISTS = _("The follow-up visit of this order is already logged.")
MSG_NOT_AFTERSALES = _("The owner of a ticket must have the after-sales role.")
MSG_BAD_IMAGE = _("The photo cannot be read as an image.")
MSG_NOT_REPLACEMENT = _("Only replacement tickets have a replacement shipment.")
MSG_ALREADY_SHIPPED = _("The replacement has already shipped.")

# What blocks completion (shown on the order's after-sales page).
BLOCK_NOT_ACCEPTED = _("The order is not accepted yet.")
BLOCK_NO_VISIT = _("The follow-up visit is not logged yet.")
BLOCK_OPEN_TICKET = _("After-sales ticket %(number)s is still open.")


class AftersalesError(OrderError):
    """A business rule of after-sales refused an operation; ``message`` is shown to the user."""
