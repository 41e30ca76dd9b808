"""Messages of the contracts app and its domain errors (the one family of core.errors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, Forbidden, Invalid

MSG_CONTRACT_WRONG_STATE = _("This contract is “%(status)s”; that step is not possible now.")
MSG_CONTRACT_NOT_ALLOWED = _("You are not allowed to take this step on this contract.")
MSG_COMMENT_REQUIRED = _("Please give a comment.")
MSG_SCAN_REQUIRED = _("Upload the signed scan of the contract.")
MSG_AMEND_STATE = _("Only a signed or in-force contract can be amended.")
MSG_NOT_REVIEWED = _(
    "The contract cannot be signed before the supervisor and legal reviews are passed."
)


class ContractError(DomainError):
    """A contract rule refused the step (409 unless a subclass says otherwise)."""


class ContractPermissionDenied(ContractError, Forbidden):
    """The user may not take this step on this contract (403)."""

    def default_message(self) -> object:
        return MSG_CONTRACT_NOT_ALLOWED


class ContractInvalid(ContractError, Invalid):
    """The input of a contract step is wrong (400), e.g. no comment or no signed scan."""
