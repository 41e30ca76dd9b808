"""The "my work" registry: what each role can act on, filled by the business apps.

An app registers in its AppConfig.ready(), so core lists e.g. "orders waiting
for my review" without importing orders (docs/architecture.md, layering)::

    register_work_source(
        (SALES_MANAGER,), key="orders_to_approve", label=_("Orders waiting for my approval"),
        source=lambda user: Order.objects.filter(status="pending_approval"),
        url="orders:list", query="status=pending_approval", icon="check2-square",
    )

``source(user)`` returns a queryset (the page shows how many, and the first
few, each linking to ``get_absolute_url``) or an int (only the count).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from core.models import target_url
from core.roles import ROLE_LABELS, user_roles

# How many objects of each source the page lists; the link shows the rest.
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class WorkSource:
    key: str
    roles: tuple[str, ...]
    label: Any
    source: Callable[[Any], QuerySet[Any] | int]
    url: str = ""
    query: str = ""
    icon: str = "list-check"
    order: int = 100


_sources: dict[str, WorkSource] = {}


def register_work_source(
    roles: tuple[str, ...] | list[str],
    *,
    key: str,
    label: Any,
    source: Callable[[Any], QuerySet[Any] | int],
    url: str = "",
    query: str = "",
    icon: str = "list-check",
    order: int = 100,
) -> WorkSource:
    """Offer ``source(user)`` on the "my work" page of users holding one of ``roles``.

    ``url`` is a URL name or a path. Registering the same key again replaces it
    (AppConfig.ready() may run more than once in tests).
    """
    for role in roles:
        if role not in ROLE_LABELS:
            raise ValueError(f"unknown role {role!r}")
    item = WorkSource(
        key=key,
        roles=tuple(roles),
        label=label,
        source=source,
        url=url,
        query=query,
        icon=icon,
        order=order,
    )
    _sources[key] = item
    return item


def unregister_work_source(key: str) -> None:
    _sources.pop(key, None)


def _resolve(url: str, query: str) -> str:
    if not url:
        return ""
    if not url.startswith("/"):
        try:
            url = reverse(url)
        except NoReverseMatch:
            return ""
    return f"{url}?{query}" if query else url


def work_for(user: Any) -> list[dict[str, Any]]:
    """The work sources for ``user``'s roles, with counts and a few objects each."""
    roles = set(user_roles(user))
    rows = []
    for item in sorted(_sources.values(), key=lambda s: (s.order, s.key)):
        if not roles & set(item.roles):
            continue
        result = item.source(user)
        objects: list[dict[str, Any]] = []
        if isinstance(result, QuerySet):
            count = result.count()
            if count:
                objects = [
                    {"label": str(obj), "url": target_url(obj)} for obj in result[:PREVIEW_ROWS]
                ]
        else:
            count = int(result)
        rows.append(
            {
                "key": item.key,
                "label": item.label,
                "icon": item.icon,
                "url": _resolve(item.url, item.query),
                "count": count,
                "objects": objects,
                "more": max(count - len(objects), 0) if objects else 0,
            }
        )
    return rows


def work_count_for(user: Any) -> int:
    """Everything waiting for ``user`` across the registered sources."""
    return sum(row["count"] for row in work_for(user))
