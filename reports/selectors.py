"""Reads of the reports app: the monthly review report (订单复盘报告), the dashboards, the
improvement list and the home page's count. Every figure is an aggregate computed by
PostgreSQL — the report's query count does not depend on the number of orders.

"Orders of the month" are the submitted orders whose order date falls in the month. Every
figure of the report counts the month's own orders — what has happened to them so far —
never another month's: a month without orders reports nothing but that it had none (the
twelve-month trend and the comparison columns say which months they show).
Times are compared in the business time zone (Asia/Shanghai).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _

from archive.periods import month_bounds
from core.models import SlaClock, SlaKind
from customers.models import Region
from orders.models import Order, OrderEvent, OrderLine, OrderStatus, SourceChannel
from reports.models import ImprovementItem, ImprovementStatus

ZERO = Decimal("0.00")
# Orders that never became business: not counted as orders of the month.
logger = logging.getLogger(__name__)

NOT_COUNTED = (OrderStatus.DRAFT, OrderStatus.REJECTED)
DELIVERED_OR_LATER = ("delivered", "accepted", "completed", "archived")
SHIPPED_OR_LATER = ("shipped", *DELIVERED_OR_LATER)

# The stages the review measures: (label, from event, to event); "created" is the entry time.
STAGES = [
    (_("Entry → review passed"), "created", "pending_approval"),
    (_("Review → confirmed"), "pending_approval", "confirmed"),
    (_("Confirmed → shipped"), "confirmed", "shipped"),
    (_("Shipped → accepted"), "shipped", "accepted"),
    (_("Accepted → completed"), "accepted", "completed"),
]
CLOCKS = [
    ("clarification", SlaKind.CLARIFICATION, _("Clarifications within 2 working hours")),
    ("aftersales_response", SlaKind.AFTERSALES_RESPONSE, _("After-sales answered within 24 hours")),
    ("followup_visit", SlaKind.FOLLOWUP_VISIT, _("Follow-ups within 3 working days")),
]


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """A percentage with one decimal, or None when there is nothing to measure."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


# What the report says instead of a percentage when there is nothing to measure (a zero
# denominator): the page, the PDF and the XLSX print these same words.
NO_DELIVERIES = _("No orders were delivered this month; cannot be calculated.")
NO_ACCEPTANCES = _("No orders were accepted this month; cannot be calculated.")
NO_ORDERS_DUE = _("No orders were due for delivery this month; cannot be calculated.")
NO_CUSTOMERS = _("No customers ordered this month; cannot be calculated.")
NO_CLOCKS = _("No such deadline started this month; cannot be calculated.")
NO_VISITS = _("No follow-up visits this month; cannot be calculated.")


@dataclass(frozen=True)
class Figure:
    """One key figure of the review: a value computed from ``part`` / ``whole``.

    ``unit`` is "%" for a rate. With ``whole`` = 0 there is no value and ``empty`` says
    why in words — never "— (0/0)". ``part`` is None for an average, whose ``whole`` is the
    number of things averaged.
    """

    key: str
    label: Any
    value: Decimal | None
    whole: int
    part: int | None = None
    unit: str = ""
    empty: Any = ""

    @property
    def measured(self) -> bool:
        return bool(self.whole) and self.value is not None

    @property
    def text(self) -> str:
        return f"{self.value}{self.unit}" if self.measured else str(self.empty)

    @property
    def basis(self) -> str:
        """What the value was computed from, e.g. "1 / 2" (empty when nothing was measured)."""
        if not self.measured:
            return ""
        return str(self.whole) if self.part is None else f"{self.part} / {self.whole}"


def ratio(key: str, label: Any, part: int, whole: int, empty: Any) -> Figure:
    return Figure(key, label, rate(part, whole), whole, part, "%", empty)


def month_orders(start: date, end: date) -> QuerySet[Order]:
    return Order.objects.filter(order_date__gte=start, order_date__lte=end).exclude(
        status__in=NOT_COUNTED
    )


@dataclass
class Totals:
    orders: int = 0
    amount: Decimal = ZERO
    cancelled: int = 0
    customers: int = 0

    def change(self, other: Totals) -> dict[str, Decimal | None]:
        """Relative change from ``other`` in percent (None when there is no base)."""
        return {
            "orders": rate(self.orders - other.orders, other.orders),
            "amount": rate(self.amount - other.amount, other.amount),
        }


def totals_for(start: date, end: date) -> Totals:
    row = month_orders(start, end).aggregate(
        orders=Count("pk", filter=~Q(status=OrderStatus.CANCELLED)),
        amount=Coalesce(
            Sum("total_amount", filter=~Q(status=OrderStatus.CANCELLED)),
            Value(ZERO),
            output_field=DecimalField(),
        ),
        cancelled=Count("pk", filter=Q(status=OrderStatus.CANCELLED)),
        customers=Count("customer", distinct=True),
    )
    return Totals(**row)


def _grouped(qs: QuerySet[Any], *keys: str, limit: int | None = None) -> list[dict[str, Any]]:
    rows = (
        qs.values(*keys)
        .annotate(
            orders=Count("pk"),
            amount=Coalesce(Sum("total_amount"), Value(ZERO), output_field=DecimalField()),
        )
        .order_by("-amount", *keys)
    )
    return list(rows[:limit] if limit else rows)


@dataclass
class MonthlyReport:
    year: int
    month: int
    start: date
    end: date
    totals: Totals
    previous: Totals
    last_year: Totals
    by_customer: list[dict[str, Any]]
    by_product: list[dict[str, Any]]
    by_region: list[dict[str, Any]]
    by_channel: list[dict[str, Any]]
    by_owner: list[dict[str, Any]]
    on_time: dict[str, Any]
    stages: list[dict[str, Any]]
    clocks: list[dict[str, Any]]
    fulfillment: dict[str, Any]
    repeat: dict[str, Any]
    late_orders: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)
    # When the figures were computed (a past month's report may come from the cache).
    computed_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def is_empty(self) -> bool:
        """No order of the month at all (not even a cancelled one): nothing to report."""
        return not (self.totals.orders or self.totals.cancelled)

    @property
    def key_figures(self) -> list[Figure]:
        """The rates and averages of the review, in the order the page, PDF and XLSX show them."""
        figures = [
            ratio(
                "on_time",
                _("On-time delivery rate"),
                self.on_time["on_time"],
                self.on_time["delivered"],
                NO_DELIVERIES,
            ),
            ratio(
                "fulfillment",
                _("Fulfillment rate"),
                self.fulfillment["shipped"],
                self.fulfillment["due"],
                NO_ORDERS_DUE,
            ),
            *(
                ratio(c["key"], c["label"], c["in_time"], c["total"], NO_CLOCKS)
                for c in self.clocks
            ),
            ratio(
                "repeat",
                _("Repeat customers"),
                self.repeat["repeat"],
                self.repeat["customers"],
                NO_CUSTOMERS,
            ),
            Figure(
                "orders_per_customer",
                _("Orders per customer"),
                self.repeat["orders_per_customer"],
                self.repeat["customers"],
                self.repeat.get("orders"),
                empty=NO_CUSTOMERS,
            ),
        ]
        figures += self.extra.get("satisfaction", {}).get("figures", [])
        return figures


def _stage_times(start: date, end: date) -> list[dict[str, Any]]:
    """Average and median hours per stage, over the month's orders (one SQL statement)."""
    statuses = sorted(
        {to for _label, frm, to in STAGES} | {frm for _l, frm, _t in STAGES} - {"created"}
    )
    firsts = ",\n".join(
        f"MIN(e.created_at) FILTER (WHERE e.to_status = '{status}') AS {status}"
        for status in statuses
    )
    measures = []
    for index, (_label, frm, to) in enumerate(STAGES):
        begin = "t.created" if frm == "created" else f"t.{frm}"
        hours = f"EXTRACT(EPOCH FROM (t.{to} - {begin})) / 3600.0"
        measures.append(
            f"AVG({hours}) AS avg{index}, "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {hours}) AS median{index}, "
            f"COUNT(t.{to}) AS n{index}"
        )
    sql = f"""
        WITH t AS (
            SELECT e.order_id, o.created_at AS created, {firsts}
            FROM orders_order o
            JOIN orders_orderevent e ON e.order_id = o.id AND e.kind = 'transition'
            WHERE o.order_date BETWEEN %s AND %s AND o.status <> ALL(%s)
            GROUP BY e.order_id, o.created_at
        )
        SELECT {", ".join(measures)}
        FROM t
    """  # noqa: S608 - every interpolated name comes from the STAGES constant above
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, list(NOT_COUNTED)])
        row = cursor.fetchone()
    result = []
    for index, (label, _frm, _to) in enumerate(STAGES):
        avg, median, count = row[index * 3 : index * 3 + 3]
        result.append(
            {
                "label": label,
                "avg_hours": None if avg is None else round(float(avg), 1),
                "median_hours": None if median is None else round(float(median), 1),
                "orders": count,
            }
        )
    return result


def _deliveries(start: date, end: date) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Of the month's goods orders delivered so far, how many on time; and the latest of the
    month's orders with reasons.

    The promise is the date agreed with the customer (fulfillment) or else the requested
    date. Both statements start from the month's orders (the order-date index) and reach
    their first delivery and promise by one index probe each, so their cost does not grow
    with the years of history.
    """
    tz = settings.TIME_ZONE
    month_sql = """
        SELECT o.id, o.number, o.customer_id,
               COALESCE((SELECT f.promised_date FROM fulfillment_orderfulfillment f
                         WHERE f.order_id = o.id), o.requested_delivery_date) AS promised,
               (SELECT (MIN(e.created_at) AT TIME ZONE %s)::date FROM orders_orderevent e
                 WHERE e.order_id = o.id AND e.kind = 'transition'
                   AND e.to_status = 'delivered') AS delivered_on
        FROM orders_order o
        WHERE o.order_date BETWEEN %s AND %s AND o.kind = 'goods'
          AND o.status NOT IN ('draft', 'rejected', 'cancelled')
    """
    delivered_sql = f"""
        WITH d AS MATERIALIZED ({month_sql})
        SELECT COUNT(d.delivered_on), COUNT(*) FILTER (WHERE d.delivered_on <= d.promised)
        FROM d
    """  # noqa: S608 - month_sql is the constant above
    late_sql = f"""
        WITH d AS MATERIALIZED ({month_sql})
        SELECT d.id, d.number, c.name, d.promised, d.delivered_on,
               (SELECT pe.problem FROM fulfillment_progressentry pe
                 WHERE pe.order_id = d.id AND pe.problem <> ''
                 ORDER BY pe.created_at DESC LIMIT 1) AS reason
        FROM d JOIN customers_customer c ON c.id = d.customer_id
        WHERE d.promised IS NOT NULL AND COALESCE(d.delivered_on, %s) > d.promised
        ORDER BY COALESCE(d.delivered_on, %s) - d.promised DESC, d.id
        LIMIT 10
    """  # noqa: S608 - month_sql is the constant above
    # Undelivered orders are late as of the end of the month (or today, if earlier).
    from django.utils import timezone

    as_of = min(end, timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(delivered_sql, [tz, start, end])
        delivered, on_time = cursor.fetchone()
        cursor.execute(late_sql, [tz, start, end, as_of, as_of])
        late = [
            {
                "id": row[0],
                "number": row[1],
                "customer": row[2],
                "promised": row[3],
                "delivered": row[4],
                "days_late": ((row[4] or as_of) - row[3]).days,
                "reason": row[5] or "",
            }
            for row in cursor.fetchall()
        ]
    return {"delivered": delivered, "on_time": on_time, "rate": rate(on_time, delivered)}, late


def month_clock_targets(start: date, end: date) -> Q:
    """The deadline clocks that watch the month's orders, or the after-sales tickets of them."""
    from django.apps import apps

    month_ids = month_orders(start, end).values("pk")
    targets = Q(content_type=ContentType.objects.get_for_model(Order), object_id__in=month_ids)
    if apps.is_installed("aftersales"):
        ticket = apps.get_model("aftersales", "AftersalesTicket")
        targets |= Q(
            content_type=ContentType.objects.get_for_model(ticket),
            object_id__in=ticket.objects.filter(order__in=month_ids).values("pk"),
        )
    return targets


def _clocks(start: date, end: date) -> list[dict[str, Any]]:
    """Of the deadlines of the month's orders (and their tickets), how many were met in time."""
    rows = (
        SlaClock.objects.filter(month_clock_targets(start, end))
        .filter(kind__in=[kind for _key, kind, _label in CLOCKS])
        .exclude(cancelled_at__isnull=False)
        .values("kind")
        .annotate(total=Count("pk"), in_time=Count("pk", filter=Q(met_at__lte=F("due_at"))))
    )
    by_kind = {row["kind"]: row for row in rows}
    result = []
    for key, kind, label in CLOCKS:
        row = by_kind.get(kind, {"total": 0, "in_time": 0})
        result.append(
            {
                "key": key,
                "label": label,
                "total": row["total"],
                "in_time": row["in_time"],
                "rate": rate(row["in_time"], row["total"]),
            }
        )
    return result


def _aware(day: date):  # type: ignore[no-untyped-def]
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _fulfillment_rate(start: date, end: date) -> dict[str, Any]:
    """Of the month's goods orders due for delivery by the end of the month, how many
    shipped in full."""
    row = (
        month_orders(start, end)
        .filter(kind="goods", requested_delivery_date__lte=end)
        .exclude(status=OrderStatus.CANCELLED)
        .aggregate(due=Count("pk"), shipped=Count("pk", filter=Q(status__in=SHIPPED_OR_LATER)))
    )
    return {**row, "rate": rate(row["shipped"], row["due"])}


def _repeat_customers(start: date, end: date) -> dict[str, Any]:
    """Customers of the month who had ordered before it, and orders per customer."""
    month = month_orders(start, end)
    row = month.aggregate(customers=Count("customer", distinct=True), orders=Count("pk"))
    # The month's customers (an index range), then one index probe each for an earlier
    # order; joining every earlier order of the company read 700,000 rows at 1M orders.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT DISTINCT customer_id FROM orders_order
                WHERE order_date BETWEEN %s AND %s AND status <> ALL(%s)
            ) AS m
            WHERE EXISTS (SELECT 1 FROM orders_order o
                          WHERE o.customer_id = m.customer_id AND o.order_date < %s
                            AND o.status <> ALL(%s))
            """,
            [start, end, list(NOT_COUNTED), start, list(NOT_COUNTED)],
        )
        (repeat,) = cursor.fetchone()
    frequency = (
        (Decimal(row["orders"]) / row["customers"]).quantize(Decimal("0.01"))
        if row["customers"]
        else None
    )
    return {
        "customers": row["customers"],
        "orders": row["orders"],
        "repeat": repeat,
        "rate": rate(repeat, row["customers"]),
        "orders_per_customer": frequency,
    }


def _trend(year: int, month: int) -> list[dict[str, Any]]:
    """Order amount of the twelve months up to this one (one grouped query)."""
    first_year, first_month = shift_month(year, month, -11)
    start, _ = month_bounds(first_year, first_month)
    _, end = month_bounds(year, month)
    rows = (
        month_orders(start, end)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(m=TruncMonth("order_date"))
        .values("m")
        .annotate(orders=Count("pk"), amount=Sum("total_amount"))
        .order_by("m")
    )
    by_month = {
        row["m"].strftime("%Y-%m") if hasattr(row["m"], "strftime") else str(row["m"])[:7]: row
        for row in rows
    }
    result = []
    for offset in range(12):
        y, m = shift_month(first_year, first_month, offset)
        key = f"{y}-{m:02d}"
        row = by_month.get(key, {"orders": 0, "amount": ZERO})
        result.append({"label": key, "orders": row["orders"], "amount": row["amount"] or ZERO})
    return result


def _with_owner_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from core.people import person_name

    users = get_user_model().objects.in_bulk([row["owner_id"] for row in rows])
    return [{**row, "name": person_name(users.get(row["owner_id"]))} for row in rows]


def _extra(start: date, end: date) -> dict[str, Any]:
    """Sections of the apps above orders (archive may read every app)."""
    from django.apps import apps

    extra: dict[str, Any] = {}
    if apps.is_installed("aftersales"):
        from reports.aftersales_section import aftersales_figures

        extra["satisfaction"] = aftersales_figures(start, end)
    return extra


def monthly_report(*, year: int, month: int) -> MonthlyReport:
    start, end = month_bounds(year, month)
    previous = month_bounds(*shift_month(year, month, -1))
    last_year = month_bounds(year - 1, month)
    orders = month_orders(start, end).exclude(status=OrderStatus.CANCELLED)
    region_labels = dict(Region.choices)
    channel_labels = dict(SourceChannel.choices)
    by_region = [
        {**row, "label": region_labels.get(row["customer__region"], row["customer__region"])}
        for row in _grouped(orders, "customer__region")
    ]
    by_channel = [
        {**row, "label": channel_labels.get(row["source_channel"], row["source_channel"])}
        for row in _grouped(orders, "source_channel")
    ]
    by_product = cast(
        list[dict[str, Any]],
        list(
            OrderLine.objects.filter(order__in=orders)
            .values("product_id", "product__code", "product__name")
            .annotate(
                quantity=Sum("quantity"), amount=Sum("amount"), orders=Count("order", distinct=True)
            )
            .order_by("-amount", "product__code")[:10]
        ),
    )
    on_time, late = _deliveries(start, end)
    return MonthlyReport(
        year=year,
        month=month,
        start=start,
        end=end,
        totals=totals_for(start, end),
        previous=totals_for(*previous),
        last_year=totals_for(*last_year),
        by_customer=_grouped(orders, "customer_id", "customer__name", limit=10),
        by_product=by_product,
        by_region=by_region,
        by_channel=by_channel,
        by_owner=_with_owner_names(_grouped(orders, "owner_id", limit=10)),
        on_time=on_time,
        stages=_stage_times(start, end),
        clocks=_clocks(start, end),
        fulfillment=_fulfillment_rate(start, end),
        repeat=_repeat_customers(start, end),
        late_orders=late,
        trend=_trend(year, month),
        extra=_extra(start, end),
    )


# A past month's report is kept this long: at a million orders it costs 2–4 s to compute,
# and the PDF, the XLSX and every visit of the page would compute it again. The current
# month is always computed live; a report viewer can recompute a past month at will.
REPORT_CACHE_SECONDS = 600


def monthly_report_cached(*, year: int, month: int, fresh: bool = False) -> MonthlyReport:
    """``monthly_report``, from the cache for past months (unless ``fresh``)."""
    from django.core.cache import cache
    from django.utils import timezone, translation

    today = timezone.localdate()
    if (year, month) >= (today.year, today.month):
        report = monthly_report(year=year, month=month)
        report.computed_at = timezone.now()
        return report
    key = f"archive:monthly-report:v2:{year}-{month:02d}:{translation.get_language()}"
    if not fresh:
        cached = _cache_call(cache.get, key)
        if cached is not None:
            return cached
    report = monthly_report(year=year, month=month)
    report.computed_at = timezone.now()
    _cache_call(cache.set, key, report, REPORT_CACHE_SECONDS)
    return report


def _cache_call(method: Any, *args: Any) -> Any:
    """A cache outage only makes the report slower, never unavailable."""
    try:
        return method(*args)
    except Exception:  # any backend error: Redis down, disk full
        logger.warning("report cache unavailable", exc_info=True)
        return None


def dashboard(*, start: date, end: date, group: str) -> list[dict[str, Any]]:
    """Order count, amount, on-time deliveries and open issues per customer / product / region."""
    orders = month_orders(start, end).exclude(status=OrderStatus.CANCELLED)
    open_clock = (
        SlaClock.objects.open()
        .filter(content_type=ContentType.objects.get_for_model(Order), breached_at__isnull=False)
        .values("object_id")
    )
    if group == "product":
        products = cast(
            list[dict[str, Any]],
            list(
                OrderLine.objects.filter(order__in=orders)
                .values("product_id", "product__code", "product__name")
                .annotate(
                    orders=Count("order", distinct=True),
                    amount=Sum("amount"),
                    overdue=Count("order", distinct=True, filter=Q(order_id__in=open_clock)),
                )
                .order_by("-amount")[:50]
            ),
        )
        return products
    key = {"customer": ["customer_id", "customer__name"], "region": ["customer__region"]}[group]
    first_delivery = (
        OrderEvent.objects.filter(order=OuterRef("pk"), kind="transition", to_status="delivered")
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = list(
        orders.annotate(delivered_at=Subquery(first_delivery))
        .values(*key)
        .annotate(
            orders=Count("pk"),
            amount=Coalesce(Sum("total_amount"), Value(ZERO), output_field=DecimalField()),
            delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
            # __date is taken in the business time zone (USE_TZ, TIME_ZONE).
            on_time=Count("pk", filter=Q(delivered_at__date__lte=F("requested_delivery_date"))),
            overdue=Count("pk", filter=Q(pk__in=open_clock)),
        )
        .order_by("-amount")[:50]
    )
    for row in rows:
        row["on_time_rate"] = rate(row["on_time"], row["delivered"])
    return rows


# --- the improvement list and the home page ---------------------------------------------


def improvements_for(*, year: int, month: int) -> list[ImprovementItem]:
    """Items raised up to this month that are still open, plus those finished in it."""
    period = f"{year}-{month:02d}"
    start = _aware(month_bounds(year, month)[0])
    return list(
        ImprovementItem.objects.filter(period__lte=period)
        .filter(~Q(status=ImprovementStatus.DONE) | Q(done_at__gte=start))
        .select_related("owner")
        .order_by("status", "due_date")
    )


def orders_this_month(user: Any) -> int:
    """The managers' home page count: orders of this month so far."""
    from django.utils import timezone

    today = timezone.localdate()
    return month_orders(*month_bounds(today.year, today.month)).count()
