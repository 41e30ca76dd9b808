"""Registries that let higher apps add to lower apps' pages without upward imports.

* **Customer-file panels** — the customer page (customers app) shows orders,
  quotations, contracts, tickets and visits, which live in apps above
  customers. Each of those apps registers a panel in its AppConfig.ready()::

      register_customer_panel(
          key="orders", label=_("Orders"), template="orders/_customer_orders.html",
          context=lambda user, customer: {"orders": ...},
          timeline=lambda user, customer: [TimelineEntry(...), ...],
      )

* **Order badges** — the order page and the order list (orders app) show what an app
  above knows about an order, e.g. fulfillment's delivery date to negotiate or the date
  the customer agreed. The app registers a source that answers for a whole page of
  orders at once (one query)::

      register_order_badges(key="delivery_date", source=lambda user, order_ids: {...})

* **Order-page panels** — the same for the order page (:func:`register_order_panel`):
  the customer's side, finance and insights add their part of an order's story.

* **File guards** — a view that serves a stored file asks
  :func:`file_access_allowed` first; the archive app (document register,
  confidentiality, borrowing, access log) answers. With no guard registered
  every file is open to whoever passed the view's own permission check.

docs/architecture.md: core knows no business app; the apps fill these at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the customer file's timeline."""

    at: datetime
    label: str
    detail: str = ""
    url: str = ""
    icon: str = "dot"


@dataclass(frozen=True)
class CustomerPanel:
    key: str
    label: Any
    template: str
    context: Callable[[Any, Any], dict[str, Any]]
    timeline: Callable[[Any, Any], list[TimelineEntry]] | None = None
    permission: str | None = None
    order: int = 100


_panels: dict[str, CustomerPanel] = {}


def register_customer_panel(
    *,
    key: str,
    label: Any,
    template: str,
    context: Callable[[Any, Any], dict[str, Any]],
    timeline: Callable[[Any, Any], list[TimelineEntry]] | None = None,
    permission: str | None = None,
    order: int = 100,
) -> CustomerPanel:
    """Show ``template`` (rendered with ``context(user, customer)``) on the customer file.

    Registering the same key again replaces it (ready() may run more than once in tests).
    """
    panel = CustomerPanel(key, label, template, context, timeline, permission, order)
    _panels[key] = panel
    return panel


def customer_panels_for(user: Any, customer: Any) -> list[dict[str, Any]]:
    """The panels ``user`` may see, each with its rendered context, in display order."""
    rows = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if panel.permission and not user.has_perm(panel.permission):
            continue
        rows.append(
            {
                "key": panel.key,
                "label": panel.label,
                "template": panel.template,
                "context": panel.context(user, customer),
            }
        )
    return rows


def customer_timeline_for(user: Any, customer: Any) -> list[TimelineEntry]:
    """Timeline entries from every panel ``user`` may see (unsorted)."""
    entries: list[TimelineEntry] = []
    for panel in _panels.values():
        if panel.timeline is None:
            continue
        if panel.permission and not user.has_perm(panel.permission):
            continue
        entries.extend(panel.timeline(user, customer))
    return entries


# --- order-page panels ------------------------------------------------------------

_order_panels: dict[str, CustomerPanel] = {}


def register_order_panel(
    *,
    key: str,
    label: Any,
    template: str,
    context: Callable[[Any, Any], dict[str, Any] | None],
    permission: str | None = None,
    order: int = 100,
) -> CustomerPanel:
    """Show ``template`` (rendered with ``context(user, order)``) on the order page, below
    its lines: how an app above orders (the customer's side, finance, insights) adds to the
    page. ``context`` returning None hides the panel for that order. Registering the same
    key again replaces it."""
    panel = CustomerPanel(key, label, template, context, None, permission, order)  # type: ignore[arg-type]
    _order_panels[key] = panel
    return panel


def order_panels_for(user: Any, order: Any) -> list[dict[str, Any]]:
    """The order-page panels ``user`` may see for ``order``, in display order."""
    rows = []
    for panel in sorted(_order_panels.values(), key=lambda p: (p.order, p.key)):
        if panel.permission and not user.has_perm(panel.permission):
            continue
        context = panel.context(user, order)
        if context is None:
            continue
        rows.append(
            {"key": panel.key, "label": panel.label, "template": panel.template, "context": context}
        )
    return rows


# --- order badges -------------------------------------------------------------------


@dataclass(frozen=True)
class OrderBadge:
    """A short fact about an order shown beside its delivery date (page and list)."""

    label: str
    detail: str = ""
    tone: str = "warning"  # Bootstrap colour: warning, success, info, danger, secondary
    testid: str = ""
    url: str = ""


OrderBadgeSource = Callable[[Any, list[int]], dict[int, list[OrderBadge]]]
_badge_sources: dict[str, OrderBadgeSource] = {}


def register_order_badges(*, key: str, source: OrderBadgeSource) -> None:
    """``source(user, order_ids)`` → ``{order_id: [OrderBadge, …]}`` for a page of orders.

    Registering the same key again replaces it (ready() may run more than once in tests).
    """
    _badge_sources[key] = source


def order_badges_for(user: Any, orders: Any) -> dict[int, list[OrderBadge]]:
    """The badges of every registered source for ``orders`` (orders or their ids)."""
    ids = [getattr(order, "pk", order) for order in orders]
    badges: dict[int, list[OrderBadge]] = {}
    if not ids:
        return badges
    for key in sorted(_badge_sources):
        for order_id, found in _badge_sources[key](user, ids).items():
            badges.setdefault(order_id, []).extend(found)
    return badges


# --- order-form hints -------------------------------------------------------------

_order_form_hints: dict[str, str] = {}


def register_order_form_hint(*, key: str, url_name: str) -> None:
    """The order form asks ``url_name`` (POST, the form's fields, htmx) whenever its lines
    change and shows the answer quietly below the lines (insights: products often bought
    together). Registering the same key again replaces it."""
    _order_form_hints[key] = url_name


def order_form_hints() -> list[dict[str, str]]:
    from django.urls import reverse

    return [{"key": key, "url": reverse(name)} for key, name in sorted(_order_form_hints.items())]


# --- file guards --------------------------------------------------------------------


@dataclass
class _Guards:
    guards: list[Callable[[Any, Any, str], bool]] = field(default_factory=list)


_guards = _Guards()


def register_file_guard(guard: Callable[[Any, Any, str], bool]) -> None:
    """``guard(user, obj, action)`` → may ``user`` ``action`` ("view"/"download") ``obj``'s file?

    A guard may also record the access (the archive logs confidential documents).
    """
    if guard not in _guards.guards:
        _guards.guards.append(guard)


def file_access_allowed(user: Any, obj: Any, action: str = "view") -> bool:
    return all(guard(user, obj, action) for guard in _guards.guards)
