"""Domain errors of the quotations and the messages users read for them.

They belong to the one family of core.errors, so every page, the API and the
month-end jobs map them the same way (403 / 409 / 400).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, Forbidden, Invalid

MSG_WRONG_STATE = _("This quotation is “%(status)s”; that step is not possible now.")
MSG_NOT_ALLOWED = _("You are not allowed to take this step on this quotation.")
MSG_NO_LINES = _("Add at least one line before submitting the quotation.")
MSG_NOT_EDITABLE = _("Only a draft quotation can be edited.")
MSG_COMMENT_REQUIRED = _("Please give a comment.")
MSG_EXPIRED = _("The quotation expired on %(date)s; make a new one.")
MSG_CONTRACT_OTHER_CUSTOMER = _("The contract belongs to another customer.")
MSG_CONTRACT_NOT_SIGNED = _("Only a signed or in-force contract can be linked.")


class QuotationError(DomainError):
    """A quotation rule refused the step (409 unless a subclass says otherwise)."""


class QuotationPermissionDenied(QuotationError, Forbidden):
    """The user may not take this step on this quotation (403)."""

    def default_message(self) -> object:
        return MSG_NOT_ALLOWED


class QuotationInvalid(QuotationError, Invalid):
    """The input of a quotation step is wrong (400), e.g. a send-back without a comment."""
