"""The API's one mapping of errors to RFC 9457 problem details (docs/api.md, "Errors").

Domain errors (:mod:`core.errors`) become the same status and message as on the web,
through :func:`core.errors.problem`. Input the schema refuses is an
:class:`~core.errors.Invalid` (400) with the fields named; a missing object is 404; a
missing or wrong key 401; a stale ``If-Match`` 412; a reused ``Idempotency-Key`` with
another body 422; too many calls 429. Every problem is ``application/problem+json``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from core.errors import DomainError, Invalid, problem

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

MSG_NOT_FOUND = _("Not found.")
MSG_UNAUTHORIZED = _("A valid API key is required (Authorization: Bearer <key>).")
MSG_STALE = _("This record has changed since you read it; read it again and retry.")
MSG_IDEMPOTENCY_REUSED = _("This Idempotency-Key was used with another request body.")
MSG_RATE_LIMITED = _("Too many requests; retry after %(seconds)s seconds.")
MSG_SERVER_ERROR = _("Something went wrong on our side; the change was not made.")


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


class ApiProblem(Exception):
    """A refusal of the API layer itself (not a business rule): 401, 404, 412, 422, 429."""

    def __init__(self, status: int, code: str, message: object, **headers: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        super().__init__(str(message))


def problem_body(status: int, code: str, message: object, **extra: Any) -> dict[str, Any]:
    return {
        "type": f"about:blank#{code}",
        "title": code,
        "status": status,
        "detail": str(message),
        **extra,
    }


def problem_response(body: dict[str, Any], **headers: str) -> HttpResponse:
    import json

    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str),
        status=body["status"],
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _fields_of(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        parts = [p for p in error.get("loc", ()) if p not in ("body", "payload")]
        if parts and parts[0] in ("query", "path", "header"):
            parts = parts[1:]
        name = ""
        for part in parts:  # lines.0.quantity → lines[0].quantity, as the forms' errors
            name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
        fields.setdefault(name or "__all__", []).append(str(error.get("msg", "")))
    return fields


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (called once by api/main.py)."""

    def on_domain(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(problem(exc))

    def on_api_problem(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(problem_body(exc.status, exc.code, exc.message), **exc.headers)

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(problem(Invalid(fields=_fields_of(exc.errors))))

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(problem_body(404, "not_found", MSG_NOT_FOUND))

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, AuthenticationError) or exc.status_code == 401:
            return problem_response(
                problem_body(401, "unauthorized", MSG_UNAUTHORIZED),
                WWW_Authenticate='Bearer realm="api"',
            )
        return problem_response(problem_body(exc.status_code, "http_error", exc.message))

    def on_unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return problem_response(problem_body(500, "server_error", MSG_SERVER_ERROR))

    api.add_exception_handler(DomainError, on_domain)
    api.add_exception_handler(DjangoValidationError, on_domain)
    api.add_exception_handler(DjangoPermissionDenied, on_domain)
    api.add_exception_handler(ApiProblem, on_api_problem)
    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Exception, on_unexpected)


# The error statuses an operation may answer, for its OpenAPI ``responses``.
READ_ERRORS = (400, 401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 412, 422, 429)


def responses(ok: Any, status: int = 200, errors: tuple[int, ...] = READ_ERRORS) -> dict:
    """``{status: ok, 4xx: Problem…}`` for an operation's ``response=``."""
    out: dict[Any, Any] = {status: ok}
    out[frozenset(errors)] = Problem
    return out
