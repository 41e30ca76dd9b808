"""The NinjaAPI of /api/v1/ (docs/decisions/0012-rest-api-library.md, docs/api.md).

The OpenAPI 3.1 document is served at /api/v1/openapi.json and the browsable docs (Swagger
UI, vendored in static/vendor/swagger-ui/) at /api/v1/docs. Routers are listed in
api/routers/__init__.py; the error mapping is api/problems.py; every view is wrapped by
api/gateway.py (api/urls.py).
"""

from __future__ import annotations

import importlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

from api import problems
from api.auth import ApiKeyAuth
from api.routers import ROUTERS

DESCRIPTION = """\
The order portal's REST API. Every write runs the same actions, rules and events as the
web pages, as the API client's technical user.

* **Authentication**: `Authorization: Bearer <key>` (a key is shown once when made).
* **Errors**: RFC 9457 problem details (`application/problem+json`), the same codes and
  messages as the pages.
* **Retries**: send `Idempotency-Key` on a POST; the same key and body answer the first
  result, another body 422.
* **Concurrency**: send the `ETag` you read as `If-Match` on an update or an action; a
  stale one answers 412.
* **Sync**: lists are keyset-paginated (`cursor`, `next_cursor`); `updated_since` lists
  what changed, oldest change first.
* **Rate limit**: per client per minute; 429 with `Retry-After`.
"""


class VendoredSwagger(DocsBase):
    """Swagger UI from static/vendor/swagger-ui/ (no CDN; the init script is a file, so the
    page passes the portal's content security policy)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        return render(
            request,
            "api/docs.html",
            {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)},
        )


# The headers the gateway and api/concurrency.py read, documented on every operation they
# apply to (ninja does not see them: they are not view parameters).
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Same key + same body: the first result again; another body: 422.",
    "schema": {"type": "string", "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag read before; a stale one answers 412.",
    "schema": {"type": "string", "maxLength": 200},
}


class PortalApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # Error answers are problem details: say so in the document.
        for methods in schema.get("paths", {}).values():
            for method, operation in methods.items():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content")
                    if (
                        str(status).startswith(("4", "5"))
                        and content
                        and "application/json" in content
                    ):
                        answer["content"] = {
                            problems.PROBLEM_CONTENT_TYPE: content.pop("application/json")
                        }
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
                if "412" in operation.get("responses", {}):
                    operation.setdefault("parameters", []).append(IF_MATCH)
        return schema

    def get_openapi_operation_id(self, operation: Any) -> str:
        return str(operation.view_func.__name__)


api = PortalApi(
    title="Order Portal API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs=VendoredSwagger(),
)
problems.install(api)

for prefix, module in ROUTERS:
    api.add_router(prefix, importlib.import_module(module).router)
