"""The one family of domain errors, and its one mapping to HTTP (docs/architecture.md, "Errors").

Every refusal of a business rule raises a :class:`DomainError`. Pages, the API and the
customer pages map it the same way: :func:`http_status` gives the status code (403 for a
permission, 409 for a step the object's state does not allow, 400 for invalid input) and
:func:`user_message` the sentence the user reads. Apps subclass these classes to keep
their own message constants; nobody invents another base class.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MSG_NOT_ALLOWED = _("You are not allowed to do this.")
MSG_WRONG_STATE = _("This is “%(status)s”; that step is not possible now.")
MSG_READ_ONLY = _("This record is archived and read-only.")
MSG_INVALID = _("Please correct the input.")


class DomainError(Exception):
    """A business rule refused an operation; ``message`` is shown to the user as it is.

    The default is a conflict with the object's current state (HTTP 409): the request
    was understood and allowed, but the rules say "not now".
    """

    status = 409
    default_code = "rule"

    def __init__(self, message: object = None, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message()
        self.code = code or self.default_code
        super().__init__(str(self.message))

    def default_message(self) -> object:
        return MSG_WRONG_STATE % {"status": "—"}


class Forbidden(DomainError):
    """The user may not take this step on this object (HTTP 403)."""

    status = 403
    default_code = "permission"

    def default_message(self) -> object:
        return MSG_NOT_ALLOWED


class WrongState(DomainError):
    """The object's state does not allow this step (HTTP 409)."""

    status = 409
    default_code = "wrong_state"


class ReadOnly(WrongState):
    """The object is archived: no write of any kind reaches it (HTTP 409)."""

    default_code = "read_only"

    def default_message(self) -> object:
        return MSG_READ_ONLY


class Invalid(DomainError):
    """The input is wrong (HTTP 400); ``fields`` maps field names to messages."""

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: object = None,
        code: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.fields = fields or {}
        super().__init__(message, code)

    def default_message(self) -> object:
        return MSG_INVALID


def as_domain_error(exc: BaseException) -> DomainError | None:
    """The domain error ``exc`` stands for, or None for a bug (which stays a 500)."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, ValidationError):
        fields: dict[str, list[str]] = {}
        if hasattr(exc, "error_dict"):
            fields = {
                name: [str(m) for m in ValidationError(errs).messages]
                for name, errs in exc.error_dict.items()
            }
        return Invalid(" ".join(str(m) for m in exc.messages), fields=fields)
    if isinstance(exc, DjangoPermissionDenied):
        return Forbidden(str(exc) or None)
    return None


def http_status(exc: BaseException) -> int:
    """The HTTP status of a refused operation (500 only for what is not a domain error)."""
    error = as_domain_error(exc)
    return error.status if error is not None else 500


def user_message(exc: BaseException) -> str:
    """The sentence shown to the user (page message, API problem ``detail``)."""
    error = as_domain_error(exc)
    return str(error.message) if error is not None else str(MSG_INVALID)


def problem(exc: BaseException, **extra: Any) -> dict[str, Any]:
    """RFC 9457 problem details for ``exc`` (the API and htmx fragments use this)."""
    error = as_domain_error(exc) or DomainError()
    body: dict[str, Any] = {
        "type": f"about:blank#{error.code}",
        "title": error.code,
        "status": error.status,
        "detail": str(error.message),
    }
    if isinstance(error, Invalid) and error.fields:
        body["errors"] = error.fields
    body.update(extra)
    return body
