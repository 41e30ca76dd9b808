"""/api/ — the versioned REST API; /api/v1/ is api/main.py's NinjaAPI.

Every view of it is wrapped by :func:`api.gateway.gateway` (key, rate limit, write
transaction, Idempotency-Key, call log).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path

from api.gateway import gateway
from api.main import api
from api.problems import MSG_NOT_FOUND, problem_body, problem_response


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/ (an id that is not a number, a typo): a problem, not a page."""
    return problem_response(problem_body(404, "not_found", MSG_NOT_FOUND))


def _wrapped(patterns: list[Any]) -> list[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = gateway(pattern.callback)
        elif isinstance(pattern, URLResolver):
            _wrapped(pattern.url_patterns)
    return patterns


_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path("v1/", include((_wrapped(_patterns), _app_name), namespace=_namespace)),
    re_path(r"^(?P<rest>.*)$", gateway(not_found), name="not_found"),
]
