"""The nightly job: read the history, learn, write the precomputed tables.

:func:`nightly_run` runs the stages in order — ``forecast`` (replenishment
suggestions), ``delivery_risk``, ``churn``, ``rules`` (products bought together) and
``follow_up`` (what the engine does about a new high risk). Each stage replaces its
table in one transaction and marks itself finished on the day's
:class:`~insights.models.LearningRun` in the same transaction: a run that died resumes
at the first unfinished stage, a second run of a finished day does nothing (``force``
recomputes; the results are the same for the same data, every model is deterministic).

The heavy lifting is SQL aggregation (one pass over the order lines per stage) and one
matrix fit (:mod:`insights.learn`); docs/decisions/0015-learning-from-history.md.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.messages import Msg
from insights import learn
from insights.models import (
    ChurnRisk,
    DeliveryRisk,
    LearningRun,
    ProductPair,
    ReplenishmentSuggestion,
)

logger = logging.getLogger(__name__)

STAGES = ("forecast", "delivery_risk", "churn", "rules", "follow_up")
# Orders that count as demand (not drafts, refusals or cancellations).
DEMAND_EXCLUDED = ["draft", "rejected", "cancelled"]
# Open orders: the delivery-risk score covers them all.
OPEN_STATUSES = (
    "pending_review",
    "needs_info",
    "pending_approval",
    "pending_director",
    "returned",
    "confirmed",
    "preparing",
    "ready_to_ship",
    "shipped",
)
HISTORY_WEEKS = 156  # three years: three Spring Festivals
HORIZON_WEEKS = 8
SHORT_HISTORY_WEEKS = 26
SAFETY_Z = 1.65  # about 95 % of the weeks covered
DELIVERY_MEDIUM, DELIVERY_HIGH = 30, 55
CHURN_MEDIUM, CHURN_HIGH = 35, 60
CHURN_LABEL_DAYS = 120  # no order in the next 120 days: lost
KEY_CUSTOMER_SHARE = 0.10  # the top 10 % by amount of the last 12 months
EARLY_WARNING_LEAD = timedelta(hours=96)  # a high-risk order warns 4 days ahead, not 2
RULE_MIN_ORDERS = 20
RULE_MIN_CONFIDENCE = 0.2
RULE_MIN_LIFT = 2.0


def lead_time_weeks() -> int:
    return int(getattr(settings, "INSIGHTS_LEAD_TIME_WEEKS", 2))


def _rows(sql: str, params: Any = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _q(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _whole(value: float) -> str:
    """A quantity as people say it: whole units when large, one decimal when small."""
    if abs(value) >= 10 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.1f}"


# --- stage 1: replenishment suggestions --------------------------------------------------


@dataclass
class SeriesHistory:
    keys: list[tuple[int, int]]  # (product_id, warehouse_id)
    weeks: list[date]
    demand: np.ndarray  # (weeks, series)
    first_week: dict[tuple[int, int], date]


def demand_history(as_of: date, weeks: int = HISTORY_WEEKS) -> SeriesHistory:
    """Units ordered per week for every product × warehouse with a stock level or a sale,
    for the ``weeks`` whole weeks before ``as_of``'s week."""
    end = learn.week_start(as_of)
    start = end - timedelta(days=7 * weeks)
    week_list = [start + timedelta(days=7 * i) for i in range(weeks)]
    index = {w: i for i, w in enumerate(week_list)}
    rows = _rows(
        """
        SELECT l.product_id, f.warehouse_id, date_trunc('week', o.order_date)::date, sum(l.quantity)
        FROM orders_order o
        JOIN fulfillment_orderfulfillment f ON f.order_id = o.id
        JOIN orders_orderline l ON l.order_id = o.id
        WHERE o.order_date >= %s AND o.order_date < %s AND f.warehouse_id IS NOT NULL
          AND o.status <> ALL(%s)
        GROUP BY 1, 2, 3
        """,
        [start, end, DEMAND_EXCLUDED],
    )
    levels = _rows(
        "SELECT s.product_id, s.warehouse_id FROM fulfillment_stocklevel s "
        "JOIN orders_product p ON p.id = s.product_id WHERE p.kind = 'goods'"
    )
    keys = sorted({(p, w) for p, w in levels} | {(p, w) for p, w, _wk, _q in rows})
    column = {key: i for i, key in enumerate(keys)}
    demand = np.zeros((weeks, len(keys)))
    first: dict[tuple[int, int], date] = {}
    for product, warehouse, week, quantity in rows:
        key = (product, warehouse)
        demand[index[week], column[key]] += float(quantity)
        if quantity and (key not in first or week < first[key]):
            first[key] = week
    return SeriesHistory(keys, week_list, demand, first)


def _suggestion_reason(
    *,
    recent: float,
    forecast: np.ndarray,
    lead: int,
    festival_in: int,
    available: float,
    in_transit: float,
    safety: float,
    suggested: float,
) -> list[dict]:
    parts = [
        Msg(_("last 6 months %(recent)s/week"), recent=_whole(recent)),
        Msg(
            _("forecast %(demand)s over the next %(weeks)s weeks"),
            demand=_whole(float(forecast[:lead].sum())),
            weeks=lead,
        ),
    ]
    if festival_in <= HORIZON_WEEKS:
        parts.append(Msg(_("Spring Festival in %(weeks)s weeks"), weeks=festival_in))
    parts.append(Msg(_("%(available)s available"), available=_whole(available)))
    if in_transit:
        parts.append(Msg(_("%(qty)s in transit"), qty=_whole(in_transit)))
    parts.append(Msg(_("safety stock %(qty)s"), qty=_whole(safety)))
    if suggested <= 0:
        parts.append(Msg(_("enough stock: nothing to order")))
    return [p.as_json() for p in parts]


def compute_suggestions(as_of: date) -> list[ReplenishmentSuggestion]:
    history = demand_history(as_of)
    lead = lead_time_weeks()
    levels = {
        (p, w): (float(on_hand), float(reserved), float(in_transit), float(safety))
        for p, w, on_hand, reserved, in_transit, safety in _rows(
            "SELECT product_id, warehouse_id, on_hand, reserved, in_transit, safety_stock "
            "FROM fulfillment_stocklevel"
        )
    }
    festival_in = learn.weeks_to_festival(learn.week_start(as_of))
    # Series with a long enough history share one fit; new ones are averaged since their start.
    last_week = history.weeks[-1]
    established = [
        i
        for i, key in enumerate(history.keys)
        if key in history.first_week
        and (last_week - history.first_week[key]).days // 7 + 1 >= SHORT_HISTORY_WEEKS
    ]
    forecast = np.zeros((HORIZON_WEEKS, len(history.keys)))
    residual = np.zeros(len(history.keys))
    if established:
        fitted = learn.forecast_weekly(history.demand[:, established], history.weeks, HORIZON_WEEKS)
        forecast[:, established] = fitted.values
        residual[established] = fitted.residual_std
    fitted_set = set(established)
    rows = []
    for i, (product, warehouse) in enumerate(history.keys):
        on_hand, reserved, in_transit, safety_set = levels.get((product, warehouse), (0, 0, 0, 0))
        available = on_hand - reserved
        common: dict[str, Any] = {
            "product_id": product,
            "warehouse_id": warehouse,
            "as_of": as_of,
            "lead_time_weeks": lead,
            "on_hand": _q(on_hand),
            "reserved": _q(reserved),
            "in_transit": _q(in_transit),
        }
        first = history.first_week.get((product, warehouse))
        if first is None:
            rows.append(
                ReplenishmentSuggestion(
                    **common,
                    safety_stock=_q(safety_set),
                    reason=[
                        Msg(
                            _(
                                "No sales of this product from this warehouse in the last %(weeks)s weeks: no forecast, so no suggestion."
                            ),
                            weeks=HISTORY_WEEKS,
                        ).as_json()
                    ],
                )
            )
            continue
        series = history.demand[:, i]
        recent = float(series[-26:].mean())
        weeks_known = (last_week - first).days // 7 + 1
        if i in fitted_set:
            values = forecast[:, i]
            extra: list[dict] = []
        else:
            since = series[-weeks_known:]
            values = np.repeat(float(since.mean()), HORIZON_WEEKS)
            residual[i] = float(since.std())
            extra = [
                Msg(
                    _("only %(weeks)s weeks of sales: their average is used, no season"),
                    weeks=weeks_known,
                ).as_json()
            ]
        demand = float(values[:lead].sum())
        safety = max(safety_set, SAFETY_Z * float(residual[i]) * math.sqrt(lead))
        suggested = max(0.0, math.ceil(demand + safety - (available + in_transit)))
        rows.append(
            ReplenishmentSuggestion(
                **common,
                forecast=[round(float(v), 2) for v in values],
                demand_over_lead=_q(demand),
                safety_stock=_q(safety),
                suggested_qty=_q(suggested),
                recent_weekly=_q(recent),
                reason=extra
                + _suggestion_reason(
                    recent=recent,
                    forecast=values,
                    lead=lead,
                    festival_in=festival_in,
                    available=available,
                    in_transit=in_transit,
                    safety=safety,
                    suggested=suggested,
                ),
            )
        )
    return rows


def stage_forecast(as_of: date) -> int:
    rows = compute_suggestions(as_of)
    ReplenishmentSuggestion.objects.all().delete()
    ReplenishmentSuggestion.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# --- stage 2: delivery risk --------------------------------------------------------------

DELIVERY_FEATURES = [
    "stock_short",
    "stock_to_produce",
    "stock_unanswered",
    "production_slip",
    "region_late",
    "carrier_late",
    "product_late",
    "lines",
    "amount",
    "lead_days",
]

_ORDER_FEATURES_SQL = """
WITH base AS (
    SELECT o.id, o.customer_id, c.region, coalesce(f.stock_status, '') AS stock_status,
           coalesce(f.promised_date, o.requested_delivery_date) AS promised,
           o.order_date, o.total_amount,
           (SELECT count(*) FROM orders_orderline l WHERE l.order_id = o.id) AS n_lines,
           (SELECT max(coalesce(p.actual_end, %(as_of)s) - p.planned_end)
              FROM fulfillment_progressentry p WHERE p.order_id = o.id) AS slip,
           (SELECT s.carrier FROM fulfillment_shipment s WHERE s.order_id = o.id
             ORDER BY s.sequence LIMIT 1) AS carrier,
           (SELECT min(e.created_at) FROM orders_orderevent e
             WHERE e.order_id = o.id AND e.kind = 'transition' AND e.to_status = 'delivered')
             AS delivered_at
    FROM orders_order o
    JOIN customers_customer c ON c.id = o.customer_id
    LEFT JOIN fulfillment_orderfulfillment f ON f.order_id = o.id
    WHERE {where}
)
SELECT id, customer_id, region, stock_status, promised, order_date, total_amount, n_lines,
       coalesce(slip, 0), carrier,
       (delivered_at AT TIME ZONE %(tz)s)::date AS delivered_on
FROM base
"""


@dataclass
class OrderRows:
    ids: list[int]
    customers: list[int]
    regions: list[str]
    stock: list[str]
    promised: list[date]
    ordered: list[date]
    amount: np.ndarray
    lines: np.ndarray
    slip: np.ndarray
    carrier: list[str | None]
    delivered: list[date | None]


def _order_rows(where: str, params: dict) -> OrderRows:
    params = {**params, "tz": settings.TIME_ZONE}
    rows = _rows(_ORDER_FEATURES_SQL.format(where=where), params)
    return OrderRows(
        ids=[r[0] for r in rows],
        customers=[r[1] for r in rows],
        regions=[r[2] for r in rows],
        stock=[r[3] for r in rows],
        promised=[r[4] for r in rows],
        ordered=[r[5] for r in rows],
        amount=np.array([float(r[6] or 0) for r in rows]),
        lines=np.array([float(r[7]) for r in rows]),
        slip=np.array([float(max(r[8], 0)) for r in rows]),
        carrier=[r[9] for r in rows],
        delivered=[r[10] for r in rows],
    )


def training_orders(start: date, end: date) -> OrderRows:
    """Delivered goods orders promised between ``start`` and ``end`` (the labelled past)."""
    return _order_rows(
        "o.kind = 'goods' AND f.promised_date >= %(start)s AND f.promised_date < %(end)s "
        "AND f.stock_status <> '' AND EXISTS (SELECT 1 FROM orders_orderevent e "
        "WHERE e.order_id = o.id AND e.kind = 'transition' AND e.to_status = 'delivered')",
        {"start": start, "end": end, "as_of": end},
    )


def open_orders(as_of: date) -> OrderRows:
    return _order_rows(
        "o.kind = 'goods' AND o.status = ANY(%(open)s)",
        {"open": list(OPEN_STATUSES), "as_of": as_of},
    )


def late_labels(rows: OrderRows) -> np.ndarray:
    return np.array(
        [
            1 if d is not None and d > p else 0
            for d, p in zip(rows.delivered, rows.promised, strict=True)
        ]
    )


@dataclass
class DeliveryHistory:
    """Late rates learnt from the labelled past, smoothed towards the overall rate."""

    overall: float
    region: dict[str, float]
    carrier: dict[str, float]
    customer_carrier: dict[int, str]
    product: dict[int, float]


def _smoothed(late: dict, total: dict, prior: float, weight: float = 20.0) -> dict:
    return {k: (late.get(k, 0) + prior * weight) / (total[k] + weight) for k in total}


def delivery_history(rows: OrderRows, labels: np.ndarray, as_of: date) -> DeliveryHistory:
    overall = float(labels.mean()) if len(labels) else 0.0
    region_total: dict[str, int] = {}
    region_late: dict[str, int] = {}
    carrier_total: dict[str, int] = {}
    carrier_late: dict[str, int] = {}
    for region, carrier, late in zip(rows.regions, rows.carrier, labels, strict=True):
        region_total[region] = region_total.get(region, 0) + 1
        region_late[region] = region_late.get(region, 0) + int(late)
        if carrier:
            carrier_total[carrier] = carrier_total.get(carrier, 0) + 1
            carrier_late[carrier] = carrier_late.get(carrier, 0) + int(late)
    # Each customer's usual carrier: the one of most of its shipments of the last year.
    customer_carrier = {
        customer: carrier
        for customer, carrier in _rows(
            """
            SELECT DISTINCT ON (o.customer_id) o.customer_id, s.carrier
            FROM fulfillment_shipment s JOIN orders_order o ON o.id = s.order_id
            WHERE s.shipped_at >= %s AND s.shipped_at < %s
            GROUP BY o.customer_id, s.carrier
            ORDER BY o.customer_id, count(*) DESC, s.carrier
            """,
            [as_of - timedelta(days=365), as_of],
        )
    }
    # Products: the late share of the orders that held them.
    product_total: dict[int, int] = {}
    product_late: dict[int, int] = {}
    if rows.ids:
        for product, total, late in _rows(
            """
            SELECT l.product_id, count(DISTINCT l.order_id),
                   count(DISTINCT l.order_id) FILTER (WHERE t.late)
            FROM unnest(%s::bigint[], %s::boolean[]) AS t(order_id, late)
            JOIN orders_orderline l ON l.order_id = t.order_id
            GROUP BY 1
            """,
            [rows.ids, [bool(late) for late in labels]],
        ):
            product_total[product] = total
            product_late[product] = late
    return DeliveryHistory(
        overall=overall,
        region=_smoothed(region_late, region_total, overall),
        carrier=_smoothed(carrier_late, carrier_total, overall),
        customer_carrier=customer_carrier,
        product=_smoothed(product_late, product_total, overall),
    )


def _order_products(order_ids: list[int]) -> dict[int, list[int]]:
    products: dict[int, list[int]] = {}
    for order_id, product in _rows(
        "SELECT order_id, product_id FROM orders_orderline WHERE order_id = ANY(%s)", [order_ids]
    ):
        products.setdefault(order_id, []).append(product)
    return products


def delivery_features(rows: OrderRows, history: DeliveryHistory) -> tuple[np.ndarray, list[dict]]:
    """The feature matrix, and per order the facts its reasons quote."""
    products = _order_products(rows.ids) if rows.ids else {}
    features = []
    facts = []
    for n, order_id in enumerate(rows.ids):
        carrier = rows.carrier[n] or history.customer_carrier.get(rows.customers[n], "")
        product_rates = [
            (history.product.get(p, history.overall), p) for p in products.get(order_id, [])
        ]
        worst_rate, worst_product = max(product_rates, default=(history.overall, None))
        stock = rows.stock[n]
        features.append(
            [
                1.0 if stock == "short" else 0.0,
                1.0 if stock == "to_produce" else 0.0,
                1.0 if stock == "" else 0.0,
                min(rows.slip[n], 30.0),
                history.region.get(rows.regions[n], history.overall),
                history.carrier.get(carrier, history.overall),
                worst_rate,
                math.log1p(rows.lines[n]),
                math.log1p(rows.amount[n]),
                float((rows.promised[n] - rows.ordered[n]).days),
            ]
        )
        facts.append(
            {
                "region": rows.regions[n],
                "carrier": carrier,
                "product": worst_product,
                "slip": int(rows.slip[n]),
                "lines": int(rows.lines[n]),
                "lead_days": (rows.promised[n] - rows.ordered[n]).days,
                "stock": stock,
            }
        )
    from orders.models import Product

    names: dict[Any, str] = dict(
        Product.objects.filter(pk__in={f["product"] for f in facts if f["product"]}).values_list(
            "pk", "name"
        )
    )
    for fact in facts:
        fact["product_name"] = names.get(fact["product"], "")
    return np.asarray(features, dtype=float).reshape(-1, len(DELIVERY_FEATURES)), facts


def _pct(rate: float) -> int:
    return round(rate * 100)


def delivery_reason(name: str, fact: dict, row: np.ndarray, history: DeliveryHistory) -> Msg:
    index = DELIVERY_FEATURES.index
    if name == "stock_short":
        return Msg(_("Stock is short for this order"))
    if name == "stock_to_produce":
        return Msg(_("Goods have to be produced first"))
    if name == "stock_unanswered":
        return Msg(_("The warehouse has not confirmed stock yet"))
    if name == "production_slip":
        return Msg(_("Production is %(days)s days behind its plan"), days=fact["slip"])
    if name == "region_late":
        from customers.models import Region

        label = dict(Region.choices).get(fact["region"], fact["region"])
        return Msg(
            _("%(pct)s%% of deliveries to the region %(region)s arrived late"),
            pct=_pct(row[index("region_late")]),
            region=label,
        )
    if name == "carrier_late":
        return Msg(
            _("%(pct)s%% of %(carrier)s deliveries arrived late"),
            pct=_pct(row[index("carrier_late")]),
            carrier=fact["carrier"],
        )
    if name == "product_late":
        return Msg(
            _("%(pct)s%% of past orders of %(product)s arrived late"),
            pct=_pct(row[index("product_late")]),
            product=fact["product_name"],
        )
    if name == "lines":
        return Msg(_("A large order: %(lines)s lines"), lines=fact["lines"])
    if name == "amount":
        return Msg(_("A large order by amount"))
    return Msg(_("Only %(days)s days between order and promised date"), days=fact["lead_days"])


def delivery_reason_fits(model: learn.ScoreModel, features: np.ndarray) -> np.ndarray:
    """Which reasons' words are true of each order: a stock flag that is set, a rate or a
    size above the average, a lead time below it."""
    z = model.standardized(features)
    fits = np.zeros_like(z, dtype=bool)
    for i, name in enumerate(DELIVERY_FEATURES):
        if name.startswith("stock_"):
            fits[:, i] = features[:, i] > 0
        elif name == "production_slip":
            fits[:, i] = features[:, i] >= 1
        elif name == "lead_days":
            fits[:, i] = z[:, i] < 0
        else:
            fits[:, i] = z[:, i] > 0.5
    return fits


def fit_delivery_model(as_of: date) -> tuple[learn.ScoreModel, DeliveryHistory]:
    """Trained on the deliveries promised in the 12 months before the last two weeks."""
    end = as_of - timedelta(days=14)
    rows = training_orders(end - timedelta(days=365), end)
    labels = late_labels(rows)
    history = delivery_history(rows, labels, as_of)
    features, _facts = delivery_features(rows, history)
    return learn.fit_score(features, labels, DELIVERY_FEATURES), history


def compute_delivery_risks(as_of: date) -> list[DeliveryRisk]:
    model, history = fit_delivery_model(as_of)
    rows = open_orders(as_of)
    if not rows.ids:
        return []
    features, facts = delivery_features(rows, history)
    probability = model.probability(features)
    contributions = model.contributions(features)
    reasons_idx = learn.top_reasons(contributions, allowed=delivery_reason_fits(model, features))
    result = []
    for n, order_id in enumerate(rows.ids):
        score = round(float(probability[n]) * 100)
        reasons = [
            delivery_reason(DELIVERY_FEATURES[i], facts[n], features[n], history).as_json()
            for i in reasons_idx[n]
        ]
        if rows.promised[n] < as_of and rows.delivered[n] is None:
            score = max(score, 95)
            reasons = [
                Msg(_("Promised for %(date)s: already past"), date=rows.promised[n]).as_json(),
                *reasons[:2],
            ]
        result.append(
            DeliveryRisk(
                order_id=order_id,
                score=score,
                level=learn.level_of(score, medium=DELIVERY_MEDIUM, high=DELIVERY_HIGH),
                reasons=reasons[:3],
                as_of=as_of,
            )
        )
    return result


def stage_delivery_risk(as_of: date) -> int:
    rows = compute_delivery_risks(as_of)
    kept = dict(
        DeliveryRisk.objects.filter(warned_early_at__isnull=False).values_list(
            "order_id", "warned_early_at"
        )
    )
    for row in rows:
        row.warned_early_at = kept.get(row.order_id)
    DeliveryRisk.objects.all().delete()
    DeliveryRisk.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# --- stage 3: churn ----------------------------------------------------------------------

CHURN_FEATURES = [
    "recency",
    "overdue",
    "frequency",
    "frequency_trend",
    "amount",
    "amount_trend",
    "complaints",
    "satisfaction_gap",
]


@dataclass
class CustomerRows:
    ids: list[int]
    features: np.ndarray
    facts: list[dict]
    amount_12m: list[float]
    last_order: list[date]


def customer_rows(as_of: date) -> CustomerRows:
    """Customers with an order in the two years before ``as_of``, as they looked then."""
    rows = _rows(
        """
        WITH o AS (
            SELECT customer_id, order_date, total_amount FROM orders_order
            WHERE order_date < %(d)s AND order_date >= %(d)s - 730 AND status <> ALL(%(excl)s)
        )
        SELECT customer_id, max(order_date),
               count(*) FILTER (WHERE order_date >= %(d)s - 365),
               count(*) FILTER (WHERE order_date >= %(d)s - 90),
               count(*) FILTER (WHERE order_date >= %(d)s - 180 AND order_date < %(d)s - 90),
               coalesce(sum(total_amount) FILTER (WHERE order_date >= %(d)s - 365), 0),
               coalesce(sum(total_amount) FILTER (WHERE order_date >= %(d)s - 90), 0),
               coalesce(sum(total_amount) FILTER (WHERE order_date >= %(d)s - 180
                                                   AND order_date < %(d)s - 90), 0),
               count(*)
        FROM o GROUP BY customer_id ORDER BY customer_id
        """,
        {"d": as_of, "excl": DEMAND_EXCLUDED},
    )
    complaints = dict(
        _rows(
            """
            SELECT o.customer_id, count(*) FROM aftersales_aftersalesticket t
            JOIN orders_order o ON o.id = t.order_id
            WHERE t.opened_at >= %s AND t.opened_at < %s GROUP BY 1
            """,
            [as_of - timedelta(days=180), as_of],
        )
    )
    satisfaction = {
        customer: float(avg)
        for customer, avg in _rows(
            """
            SELECT o.customer_id, avg(v.satisfaction) FROM aftersales_followupvisit v
            JOIN orders_order o ON o.id = v.order_id
            WHERE v.visit_date >= %s AND v.visit_date < %s AND v.satisfaction IS NOT NULL
            GROUP BY 1
            """,
            [as_of - timedelta(days=365), as_of],
        )
    }
    ids, features, facts, amounts, last_orders = [], [], [], [], []
    for customer, last, f365, f90, f90p, a365, a90, a90p, f730 in rows:
        recency = (as_of - last).days
        usual_gap = 730 / max(f730, 1)
        complaints_n = complaints.get(customer, 0)
        sat = satisfaction.get(customer)
        ids.append(customer)
        amounts.append(float(a365))
        last_orders.append(last)
        features.append(
            [
                math.log1p(recency),
                math.log1p(recency / usual_gap),
                math.log1p(f365),
                math.log1p(f90) - math.log1p(f90p),
                math.log1p(float(a365)),
                math.log1p(float(a90)) - math.log1p(float(a90p)),
                float(complaints_n),
                (4.3 - sat) if sat is not None else 0.0,
            ]
        )
        facts.append(
            {
                "recency": recency,
                "usual_gap": round(usual_gap),
                "f90": f90,
                "f90p": f90p,
                "f365": f365,
                "a365": float(a365),
                "a90": float(a90),
                "a90p": float(a90p),
                "complaints": complaints_n,
                "satisfaction": sat,
            }
        )
    return CustomerRows(
        ids,
        np.asarray(features, dtype=float).reshape(-1, len(CHURN_FEATURES)),
        facts,
        amounts,
        last_orders,
    )


def churn_labels(rows: CustomerRows, start: date, end: date) -> np.ndarray:
    """1 for the customers of ``rows`` with no order in [start, end)."""
    ordered = {
        customer
        for (customer,) in _rows(
            "SELECT DISTINCT customer_id FROM orders_order WHERE order_date >= %s "
            "AND order_date < %s AND status <> ALL(%s)",
            [start, end, DEMAND_EXCLUDED],
        )
    }
    return np.array([0 if c in ordered else 1 for c in rows.ids])


def churn_reason(name: str, fact: dict) -> Msg:
    if name in ("recency", "overdue"):
        return Msg(
            _("No order for %(days)s days (usually one every %(gap)s days)"),
            days=fact["recency"],
            gap=fact["usual_gap"],
        )
    if name == "frequency":
        return Msg(_("Few orders: %(n)s in the last 12 months"), n=fact["f365"])
    if name == "frequency_trend":
        return Msg(
            _("Orders down: %(now)s in the last 3 months, %(before)s in the 3 months before"),
            now=fact["f90"],
            before=fact["f90p"],
        )
    if name == "amount":
        return Msg(
            _("Small amounts: %(amount)s in the last 12 months"), amount=f"{fact['a365']:,.0f}"
        )
    if name == "amount_trend":
        return Msg(
            _("Amount down: %(now)s in the last 3 months, %(before)s in the 3 months before"),
            now=f"{fact['a90']:,.0f}",
            before=f"{fact['a90p']:,.0f}",
        )
    if name == "complaints":
        return Msg(_("%(n)s complaints in the last 6 months"), n=fact["complaints"])
    return Msg(
        _("Average satisfaction %(score)s of 5"),
        score=f"{fact['satisfaction']:.1f}" if fact["satisfaction"] is not None else "-",
    )


def churn_reason_fits(model: learn.ScoreModel, rows: CustomerRows) -> np.ndarray:
    """Which reasons' words are true of each customer: late, few, falling, complaining."""
    z = model.standardized(rows.features)
    features = rows.features
    fits = np.zeros_like(z, dtype=bool)
    for i, name in enumerate(CHURN_FEATURES):
        if name in ("recency", "overdue"):
            fits[:, i] = z[:, i] > 0.5
        elif name in ("frequency", "amount"):
            # "few orders" for a customer who still orders; one who stopped has recency.
            fits[:, i] = (z[:, i] < -0.5) & (features[:, CHURN_FEATURES.index("frequency")] > 0)
        elif name in ("frequency_trend", "amount_trend"):
            fits[:, i] = features[:, i] < -0.1
        else:  # complaints, satisfaction below 4.3
            fits[:, i] = features[:, i] > 0
    return fits


def fit_churn_model(as_of: date) -> learn.ScoreModel:
    """Trained on the customers as they were ``CHURN_LABEL_DAYS`` ago and whether they
    ordered since."""
    past = as_of - timedelta(days=CHURN_LABEL_DAYS)
    rows = customer_rows(past)
    labels = churn_labels(rows, past, as_of)
    return learn.fit_score(rows.features, labels, CHURN_FEATURES)


def _dedupe_reasons(names: list[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for name in names:
        group = {"recency": "r", "overdue": "r", "frequency": "f", "frequency_trend": "f"}.get(
            name, {"amount": "a", "amount_trend": "a"}.get(name, name)
        )
        if group not in seen:
            seen.add(group)
            unique.append(name)
    return unique


def compute_churn(as_of: date) -> list[ChurnRisk]:
    model = fit_churn_model(as_of)
    rows = customer_rows(as_of)
    if not rows.ids:
        return []
    probability = model.probability(rows.features)
    reasons_idx = learn.top_reasons(
        model.contributions(rows.features), k=4, allowed=churn_reason_fits(model, rows)
    )
    amounts = np.asarray(rows.amount_12m)
    cutoff = np.quantile(amounts, 1 - KEY_CUSTOMER_SHARE) if len(amounts) else 0
    result = []
    for n, customer in enumerate(rows.ids):
        score = round(float(probability[n]) * 100)
        names = _dedupe_reasons([CHURN_FEATURES[i] for i in reasons_idx[n]])[:3]
        result.append(
            ChurnRisk(
                customer_id=customer,
                score=score,
                level=learn.level_of(score, medium=CHURN_MEDIUM, high=CHURN_HIGH),
                reasons=[churn_reason(name, rows.facts[n]).as_json() for name in names],
                is_key=bool(amounts[n] >= cutoff and amounts[n] > 0),
                amount_12m=_q(amounts[n]),
                last_order_on=rows.last_order[n],
                as_of=as_of,
            )
        )
    return result


def stage_churn(as_of: date) -> int:
    rows = compute_churn(as_of)
    kept = dict(
        ChurnRisk.objects.filter(followup_at__isnull=False).values_list(
            "customer_id", "followup_at"
        )
    )
    for row in rows:
        row.followup_at = kept.get(row.customer_id)
    ChurnRisk.objects.all().delete()
    ChurnRisk.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# --- stage 4: products bought together ---------------------------------------------------


def basket_counts(start: date, end: date, min_orders: int) -> tuple[int, dict, dict]:
    """(orders, orders per product, orders per product pair) of the goods orders placed in
    [start, end); pairs held by fewer than ``min_orders`` orders are left out."""
    params = {"start": start, "end": end, "excl": DEMAND_EXCLUDED, "min": min_orders}
    scope = """
        SELECT DISTINCT l.order_id, l.product_id FROM orders_orderline l
        JOIN orders_order o ON o.id = l.order_id
        WHERE o.order_date >= %(start)s AND o.order_date < %(end)s AND o.status <> ALL(%(excl)s)
          AND o.kind = 'goods'
    """
    (n_orders,) = _rows(
        f"SELECT count(DISTINCT order_id) FROM ({scope}) s",  # noqa: S608 - constant SQL
        params,
    )[0]
    items = dict(
        _rows(f"SELECT product_id, count(*) FROM ({scope}) s GROUP BY 1", params)  # noqa: S608
    )
    pairs = {
        (a, b): n
        for a, b, n in _rows(
            f"""
            WITH s AS MATERIALIZED ({scope})
            SELECT x.product_id, y.product_id, count(*) FROM s x
            JOIN s y ON y.order_id = x.order_id AND y.product_id > x.product_id
            GROUP BY 1, 2 HAVING count(*) >= %(min)s
            """,  # noqa: S608 - constant SQL
            params,
        )
    }
    return int(n_orders), items, pairs


def compute_rules(as_of: date) -> list[ProductPair]:
    n, items, pairs = basket_counts(as_of - timedelta(days=365), as_of, RULE_MIN_ORDERS)
    if not n:
        return []
    rules = learn.association_rules(
        n,
        items,
        pairs,
        min_support=RULE_MIN_ORDERS / n,
        min_confidence=RULE_MIN_CONFIDENCE,
        min_lift=RULE_MIN_LIFT,
    )
    return [
        ProductPair(
            antecedent_id=r.antecedent,
            consequent_id=r.consequent,
            orders_together=r.together,
            support=round(r.support, 6),
            confidence=round(r.confidence, 6),
            lift=round(r.lift, 6),
            as_of=as_of,
        )
        for r in rules
    ]


def stage_rules(as_of: date) -> int:
    rows = compute_rules(as_of)
    ProductPair.objects.all().delete()
    ProductPair.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# --- stage 5: what the engine does about a new high risk ---------------------------------


def stage_follow_up(as_of: date) -> int:
    """High-risk orders whose delivery warning is still ahead warn earlier; key customers
    that turned high-risk get a follow-up task. Each through the engine, once."""
    from core.actions import perform
    from core.models import SlaClock, SlaKind
    from customers.models import Customer
    from orders.models import Order

    done = 0
    horizon = timezone.now() + EARLY_WARNING_LEAD
    order_ids = list(
        DeliveryRisk.objects.filter(level="high", warned_early_at__isnull=True).values_list(
            "order_id", flat=True
        )
    )
    if order_ids:
        from django.contrib.contenttypes.models import ContentType

        waiting = set(
            SlaClock.objects.open()
            .filter(
                content_type=ContentType.objects.get_for_model(Order),
                object_id__in=order_ids,
                kind=SlaKind.DELIVERY_RISK,
                reminded_at__isnull=True,
                due_at__lte=horizon,
            )
            .values_list("object_id", flat=True)
        )
        for order in Order.objects.filter(pk__in=sorted(waiting)):
            perform("insights.warn_delivery_early", actor=None, obj=order)
            done += 1
    customers = ChurnRisk.objects.filter(level="high", is_key=True, followup_at__isnull=True)
    for customer in Customer.objects.filter(pk__in=customers.values("customer_id")).order_by("pk"):
        perform("insights.churn_follow_up", actor=None, obj=customer)
        done += 1
    return done


STAGE_FUNCTIONS: dict[str, Callable[[date], int]] = {
    "forecast": stage_forecast,
    "delivery_risk": stage_delivery_risk,
    "churn": stage_churn,
    "rules": stage_rules,
    "follow_up": stage_follow_up,
}


def nightly_run(as_of: date | None = None, *, force: bool = False) -> LearningRun:
    """Run the unfinished stages of ``as_of``'s run (all of them with ``force``)."""
    as_of = as_of or timezone.localdate()
    run, _created = LearningRun.objects.get_or_create(as_of=as_of)
    if force:
        run.stages, run.seconds, run.finished_at = {}, {}, None
        run.save(update_fields=["stages", "seconds", "finished_at"])
    for stage in STAGES:
        if stage in run.stages:
            continue
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                # This transaction only: the learning queries sort much of the history.
                cursor.execute("SET LOCAL work_mem = '64MB'")
            locked = LearningRun.objects.select_for_update().get(pk=run.pk)
            if stage in locked.stages:  # a concurrent run finished it
                run = locked
                continue
            count = STAGE_FUNCTIONS[stage](as_of)
            locked.stages[stage] = {"at": timezone.now().isoformat(), "rows": count}
            locked.seconds[stage] = round(time.monotonic() - started, 2)
            if all(s in locked.stages for s in STAGES):
                locked.finished_at = timezone.now()
            locked.save(update_fields=["stages", "seconds", "finished_at"])
            run = locked
        logger.info("insights %s: %s rows in %.1fs", stage, count, run.seconds[stage])
    return run
