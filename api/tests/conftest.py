"""Fixtures of the API tests: API clients per role, each with a django test client that
sends its key."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from api.keys import api_client_create


class KeyedClient(Client):
    """A test client that sends ``Authorization: Bearer <key>`` and JSON bodies."""

    def __init__(self, key: str, api_client: Any) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {key}")
        self.key = key
        self.api_client = api_client
        self.user = api_client.user

    def post_json(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.post(
            path, body if body is not None else {}, content_type="application/json", headers=headers
        )

    def put_json(self, path: str, body: Any, **headers: str) -> Any:
        return self.put(path, body, content_type="application/json", headers=headers)


@pytest.fixture
def api_client_for(db) -> Any:  # type: ignore[no-untyped-def]
    """api_client_for("sales_assistant", name="erp") -> a KeyedClient of a new API client."""
    counter = {"n": 0}

    def make(
        *roles: str, name: str = "", scopes: list[str] | None = None, rate_limit: int = 0
    ) -> KeyedClient:
        counter["n"] += 1
        client, key = api_client_create(
            name=name or f"client{counter['n']}",
            roles_=list(roles),
            scopes=scopes,
            rate_limit=rate_limit,
        )
        return KeyedClient(key, client)

    return make
