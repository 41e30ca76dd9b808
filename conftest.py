"""Shared test fixtures: users per role, factories, and Playwright on Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run there unless told it is safe (it is: one thread at a time).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PASSWORD = "test-pass-123"  # noqa: S105


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):  # type: ignore[no-untyped-def]
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1366, "height": 860},
    }


@pytest.fixture
def make_user(db) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """make_user("sales_assistant", username="li") -> a user holding those roles."""
    from tests.factories import UserFactory

    def _make(*roles: str, **kwargs: object) -> object:
        return UserFactory(roles=roles, **kwargs)

    return _make


@pytest.fixture
def role_client(client, make_user):  # type: ignore[no-untyped-def]
    """role_client("warehouse") -> a test client logged in as a fresh user with that role."""

    def _client(*roles: str, **kwargs: object):  # type: ignore[no-untyped-def]
        user = make_user(*roles, **kwargs)
        client.force_login(user)
        client.user = user
        return client

    return _client


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    """Cached figures (e.g. a past month's report) never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
