"""Reads for the pages: precomputed rows only, a handful of indexed queries per page."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from core.messages import message_text
from core.panels import OrderBadge
from insights.models import (
    ChurnRisk,
    DeliveryRisk,
    LearningRun,
    ProductPair,
    ReplenishmentDecision,
    ReplenishmentSuggestion,
)

TONE = {"high": "danger", "medium": "warning", "low": "success"}


def reasons(stored: list[dict]) -> list[str]:
    return [message_text(reason, "") for reason in stored or []]


def last_run() -> LearningRun | None:
    return LearningRun.objects.filter(finished_at__isnull=False).order_by("-as_of").first()


# --- delivery risk -----------------------------------------------------------------------


def order_panel(user: Any, order: Any) -> dict[str, Any] | None:
    risk = DeliveryRisk.objects.filter(order_id=order.pk).first()
    if risk is None:
        return None
    return {"risk": risk, "reasons": reasons(risk.reasons), "tone": TONE[risk.level]}


def delivery_risk_badges(user: Any, order_ids: list[int]) -> dict[int, list[OrderBadge]]:
    """A badge for the orders at medium or high risk (page and list)."""
    if not user.has_perm("insights.view_deliveryrisk"):
        return {}
    badges: dict[int, list[OrderBadge]] = {}
    for risk in DeliveryRisk.objects.filter(order_id__in=order_ids).exclude(level="low"):
        badges[risk.order_id] = [
            OrderBadge(
                label=_("Delivery risk %(score)s") % {"score": risk.score},
                detail=(reasons(risk.reasons) or [""])[0],
                tone=TONE[risk.level],
                testid="delivery-risk-badge",
            )
        ]
    return badges


def high_delivery_risk_count() -> int:
    return DeliveryRisk.objects.filter(level="high").count()


def delivery_risks(
    *, limit: int = 20, statuses: tuple[str, ...] | None = None
) -> list[DeliveryRisk]:
    """The riskiest open orders (of ``statuses``, as they are now), with their orders."""
    from orders.models import Order

    qs = DeliveryRisk.objects.exclude(level="low").order_by("-score", "order_id")
    if statuses:
        qs = qs.filter(order_id__in=Order.objects.filter(status__in=statuses).values("pk"))
    rows = list(qs[:limit])
    orders = Order.objects.select_related("customer").in_bulk([r.order_id for r in rows])
    for row in rows:
        row.order_obj = orders.get(row.order_id)  # type: ignore[attr-defined]
        row.reason_texts = reasons(row.reasons)  # type: ignore[attr-defined]
        row.tone = TONE[row.level]  # type: ignore[attr-defined]
    return rows


# --- churn -------------------------------------------------------------------------------


def customer_panel(user: Any, customer: Any) -> dict[str, Any]:
    risk = ChurnRisk.objects.filter(customer_id=customer.pk).first()
    if risk is None:
        return {"risk": None}
    return {"risk": risk, "reasons": reasons(risk.reasons), "tone": TONE[risk.level]}


def my_churn_high_count(user: Any) -> int:
    return ChurnRisk.objects.filter(level="high", customer__account_manager=user).count()


def churn_list(user: Any, *, mine: bool = False, limit: int = 30) -> list[ChurnRisk]:
    """Customers at high or medium risk, key customers first, then by score."""
    qs = ChurnRisk.objects.exclude(level="low").select_related("customer")
    if mine:
        qs = qs.filter(customer__account_manager=user)
    rows = list(qs.order_by("-is_key", "-score", "customer_id")[:limit])
    for row in rows:
        row.reason_texts = reasons(row.reasons)  # type: ignore[attr-defined]
        row.tone = TONE[row.level]  # type: ignore[attr-defined]
    return rows


# --- products bought together --------------------------------------------------------------


def top_rules(limit: int = 20) -> list[ProductPair]:
    return list(
        ProductPair.objects.select_related("antecedent", "consequent").order_by(
            "-confidence", "-lift", "antecedent_id", "consequent_id"
        )[:limit]
    )


def hints_for(product_ids: set[int], limit: int = 3) -> list[ProductPair]:
    """Rules whose product is on the order and whose companion is not, most certain first."""
    if not product_ids:
        return []
    return list(
        ProductPair.objects.filter(antecedent_id__in=product_ids)
        .exclude(consequent_id__in=product_ids)
        .select_related("antecedent", "consequent")
        .order_by("-confidence", "-lift", "consequent_id")[:limit]
    )


# --- replenishment -------------------------------------------------------------------------


def _latest_decision() -> Subquery:
    return Subquery(
        ReplenishmentDecision.objects.filter(
            product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id")
        )
        .order_by("-decided_at", "-id")
        .values("id")[:1]
    )


def suggestions(
    *, warehouse_code: str = "", q: str = "", limit: int = 25
) -> list[ReplenishmentSuggestion]:
    """The largest suggestions first (filtered like the stock page), each with its latest
    decision."""
    qs: QuerySet[ReplenishmentSuggestion] = ReplenishmentSuggestion.objects.select_related(
        "product", "warehouse"
    )
    if warehouse_code:
        qs = qs.filter(warehouse__code=warehouse_code)
    if q:
        qs = qs.filter(product__code__icontains=q) | qs.filter(product__name__icontains=q)
    else:
        qs = qs.filter(suggested_qty__gt=0)
    rows: list[ReplenishmentSuggestion] = list(
        qs.annotate(decision_id=_latest_decision()).order_by("-suggested_qty", "id")[:limit]
    )
    decisions = ReplenishmentDecision.objects.select_related("decided_by").in_bulk(
        [r.decision_id for r in rows if r.decision_id]  # type: ignore[attr-defined]
    )
    for row in rows:
        row.reason_texts = reasons(row.reason)  # type: ignore[attr-defined]
        decision = decisions.get(row.decision_id)  # type: ignore[attr-defined]
        # A decision counts for the suggestion it answered (a newer night asks anew).
        row.decision = decision if decision and decision.suggestion_as_of >= row.as_of else None  # type: ignore[attr-defined]
    return rows


def suggestion_for(product_id: int, warehouse_id: int) -> ReplenishmentSuggestion | None:
    row = ReplenishmentSuggestion.objects.filter(
        product_id=product_id, warehouse_id=warehouse_id
    ).first()
    if row is not None:
        row.reason_texts = reasons(row.reason)  # type: ignore[attr-defined]
    return row
