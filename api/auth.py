"""The key check ninja sees: the gateway (api/gateway.py) already resolved the key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <prefix>.<secret>`` — an active key of an active client."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return getattr(request, "api_client", None)


def require_scope(request: HttpRequest, scope: str) -> None:
    """Refuse (403) a call of a client without ``scope``."""
    from core.errors import Forbidden

    client = getattr(request, "api_client", None)
    if client is None or not client.has_scope(scope):
        raise Forbidden()
