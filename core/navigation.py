"""Registries the business apps fill at start-up (AppConfig.ready()).

Core draws the navigation bar and the role home pages from them without
importing any business app (docs/architecture.md, layering).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from core.roles import ROLE_LABELS


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any
    url_name: str
    icon: str
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True)
class HomeAction:
    """A shortcut on a role's home page, optionally with a live count."""

    label: Any
    url_name: str
    icon: str
    permission: str | None = None
    count: Callable[[Any], int] | None = None
    query: str = ""
    order: int = 100


@dataclass
class _Registry:
    nav: list[NavItem] = field(default_factory=list)
    home: dict[str, list[HomeAction]] = field(default_factory=dict)


_registry = _Registry()


def register_nav(item: NavItem) -> None:
    if all(existing.key != item.key for existing in _registry.nav):
        _registry.nav.append(item)
        _registry.nav.sort(key=lambda nav: nav.order)


def register_home_action(roles: tuple[str, ...] | list[str], action: HomeAction) -> None:
    for role in roles:
        if role not in ROLE_LABELS:
            raise ValueError(f"unknown role {role!r}")
        actions = _registry.home.setdefault(role, [])
        if action not in actions:
            actions.append(action)
            actions.sort(key=lambda a: a.order)


def nav_for(user: Any) -> list[dict[str, Any]]:
    return [
        {"key": item.key, "label": item.label, "url": reverse(item.url_name), "icon": item.icon}
        for item in _registry.nav
        if item.permission is None or user.has_perm(item.permission)
    ]


def home_actions_for(user: Any, role: str) -> list[dict[str, Any]]:
    rows = []
    for action in _registry.home.get(role, []):
        if action.permission and not user.has_perm(action.permission):
            continue
        url = reverse(action.url_name) + (f"?{action.query}" if action.query else "")
        rows.append(
            {
                "label": action.label,
                "url": url,
                "icon": action.icon,
                "count": action.count(user) if action.count else None,
            }
        )
    return rows
