"""Small includes for the lower apps' pages (warehouse, logistics, stock): each reads the
precomputed rows it shows; a template that loads this library names insights on purpose
(a surgical include, docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from django import template

from insights import selectors

register = template.Library()


@register.inclusion_tag("insights/_risk_card.html", takes_context=True)
def delivery_risk_card(context: dict[str, Any], section: str) -> dict[str, Any]:
    """The open orders at risk that ``section`` (warehouse / logistics) can still act on."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("insights.view_deliveryrisk"):
        return {"risks": []}
    statuses = {
        "warehouse": ("confirmed", "preparing"),
        "logistics": ("ready_to_ship", "shipped"),
    }.get(section)
    return {"risks": selectors.delivery_risks(limit=10, statuses=statuses), "section": section}


@register.inclusion_tag("insights/_suggestions_card.html", takes_context=True)
def replenishment_card(context: dict[str, Any]) -> dict[str, Any]:
    """The stock page's replenishment suggestions, filtered as the page is."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("insights.view_replenishmentsuggestion"):
        return {"suggestions": None}
    filters = getattr(request, "GET", {})
    return {
        "suggestions": selectors.suggestions(
            warehouse_code=filters.get("warehouse", ""), q=(filters.get("q") or "").strip()[:100]
        ),
        "can_decide": user.has_perm("insights.add_replenishmentdecision"),
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "run": selectors.last_run(),
    }


@register.inclusion_tag("insights/_alert_suggestion.html", takes_context=True)
def alert_suggestion(context: dict[str, Any], alert: Any) -> dict[str, Any]:
    """One purchase alert's suggestion (quantity and reasoning)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("insights.view_replenishmentsuggestion"):
        return {"suggestion": None}
    return {
        "suggestion": selectors.suggestion_for(alert.stock.product_id, alert.stock.warehouse_id)
    }
