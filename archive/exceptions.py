"""Domain errors of the archive and the messages users read for them.

They belong to the one family of core.errors, so every page maps them the same way
(403 / 409 / 400).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, Forbidden, Invalid

MSG_NOT_ALLOWED = _("You are not allowed to take this step on this borrowing.")
MSG_WRONG_STATE = _("This borrowing is “%(status)s”; that step is not possible now.")
MSG_NO_DOCUMENTS = _("Choose at least one document.")
MSG_DUE_IN_PAST = _("The due-back date must be today or later.")
MSG_PURPOSE_REQUIRED = _("Say why you need the documents.")
MSG_COMMENT_REQUIRED = _("Please give a comment.")
MSG_DISPOSED = _("This document was disposed of.")
MSG_NOT_DUE = _("This document is not due for disposal yet.")
MSG_ON_LOAN = _("This document is on loan; it can be disposed of when it is back.")


class ArchiveError(DomainError):
    """An archive rule refused the step (409 unless a subclass says otherwise)."""


class ArchivePermissionDenied(ArchiveError, Forbidden):
    """The user may not take this step (403)."""

    def default_message(self) -> object:
        return MSG_NOT_ALLOWED


class ArchiveInvalid(ArchiveError, Invalid):
    """The input of an archive step is wrong (400): a request without documents or
    purpose, a rejection without a comment."""
