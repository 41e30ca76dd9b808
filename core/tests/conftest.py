"""Fixtures for core's deadline tests: aware Shanghai datetimes, targets, clocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime in Asia/Shanghai, the business time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def make_target(db) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """Any model instance can carry a clock; core's tests use auth groups (core knows no app)."""
    from django.contrib.auth.models import Group

    counter = {"n": 0}

    def _make(name: str | None = None) -> object:
        counter["n"] += 1
        return Group.objects.create(name=name or f"订单 T{counter['n']:04d}")

    return _make


@pytest.fixture
def start_clock(make_target, make_user) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """start_clock(due_at=..., owner=...) -> an SlaClock through the real service."""
    from core.services import sla_clock_start

    def _start(**kwargs: object) -> object:
        kwargs.setdefault("target", make_target())
        kwargs.setdefault("kind", "clarification")
        if "owner" not in kwargs:
            kwargs["owner"] = make_user("sales_assistant")
        return sla_clock_start(**kwargs)  # type: ignore[arg-type]

    return _start
