"""A realistic data set for the benchmarks: customers, products, N orders over 5 years.

Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_portal \\
        python manage.py migrate && python -m bench.generate --orders 1000000

Every order is given its whole destined life (draft → … → completed → archived,
or rejected / cancelled on the way) with a timestamp per step; the life is then
cut at "now", so the recent weeks hold the open pipeline in the proportions a
real company has and the old years are archived. Rows go in with PostgreSQL
COPY in chunks; rows that follow from order lines (fulfillment and shipment
lines) are derived in SQL. Columns this module does not know (added by later
migrations) get a neutral value of their type, so the generator keeps working
as the schema grows.

The history carries the signal a real business has, so that what the insights
app learns from it (docs/decisions/0015-learning-from-history.md) can be measured
against simple baselines in ``bench/backtest.py``:

- a yearly season (a year-end peak, a summer lull, a National Day dip) on a
  growth trend, and the Spring Festival dip placed by the lunar calendar
  (``borax``), so it moves between late January and mid February;
- product popularity with a long tail, a season per product family (pumps sell
  in summer, cables before year end), a few products launched in the last
  months and a few never ordered (no history, no suggestion);
- products that sell together: anchor products pull a companion onto the same
  order in about half their orders;
- customers that fade: about one in six orders less and less over 6–15 months,
  complains more and rates lower, then stops (some are fading now);
- delivery delays that follow the stock status (short, to produce, with a
  production plan that slips), hard-to-source products, the region, the
  carrier and the order size; warehouses serve their regions.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import itertools
import math
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import setup_django

CHUNK = 50_000
BENCH_PASSWORD = "bench-pass-123"  # noqa: S105 - a throw-away benchmark database
# Users per role; usernames are bench_<role>_<n>.
ROLE_USERS = {
    "sales_assistant": 30,
    "sales_manager": 3,
    "sales_director": 1,
    "warehouse": 5,
    "logistics": 3,
    "account_manager": 10,
    "aftersales": 4,
    "data_admin": 1,
}
REGIONS = ["north", "northeast", "east", "central", "south", "southwest", "northwest"]
INDUSTRIES = ["manufacturing", "it", "trade", "construction", "healthcare", "energy", "other"]
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "苏州", "成都", "武汉", "南京", "天津"]
NOUNS = ["电机", "控制柜", "传感器", "阀门", "泵", "变频器", "轴承", "减速机", "开关", "线缆"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
CHANNELS = ["web", "phone", "email", "paper", "trade_show", "distributor"]
CHANNEL_W = [25, 35, 20, 5, 5, 10]
TERMS = ["prepaid", "deposit_30", "on_delivery", "net_30", "net_60"]
CARRIERS = ["顺丰速运", "德邦物流", "中通快运", "京东物流"]
DIRECTOR_THRESHOLD_CENTS = 1_000_000


# --- the signal in the history ------------------------------------------------------

# Yearly season by month (the Spring Festival dip is added by day, below).
MONTH_SEASON = {
    1: 1.0,
    2: 1.0,
    3: 1.08,
    4: 1.02,
    5: 1.0,
    6: 1.04,
    7: 0.88,
    8: 0.86,
    9: 1.06,
    10: 0.9,
    11: 1.15,
    12: 1.22,
}
# Per product family: (amplitude, month of the peak) of a cosine season.
FAMILY_SEASON = {
    "泵": (0.45, 7),
    "阀门": (0.2, 6),
    "线缆": (0.35, 11),
    "变频器": (0.25, 3),
    "电机": (0.1, 9),
    "控制柜": (0.3, 12),
    "传感器": (0.0, 1),
    "轴承": (0.15, 4),
    "减速机": (0.2, 10),
    "开关": (0.0, 1),
}
# Transit time multiplier by carrier and region; where each region is served from.
CARRIER_SLOWNESS = {"顺丰速运": 0.8, "德邦物流": 1.0, "中通快运": 1.7, "京东物流": 0.9}
REGION_SLOWNESS = {
    "north": 1.0,
    "northeast": 1.5,
    "east": 0.8,
    "central": 1.0,
    "south": 0.9,
    "southwest": 1.4,
    "northwest": 1.9,
}
REGION_WAREHOUSE = {
    "north": 1,
    "northeast": 1,
    "east": 1,
    "central": 1,
    "south": 2,
    "southwest": 3,
    "northwest": 3,
}
FAR_REGIONS = ("northeast", "southwest", "northwest")


@functools.cache
def spring_festival(year: int) -> date:
    """Lunar 1/1 of ``year`` (春节) as a solar date."""
    from borax.calendars.lunardate import LunarDate

    return LunarDate(year, 1, 1).to_solar_date()


def festival_factor(day: date) -> float:
    """Orders around the Spring Festival: slowing before, almost none in the week, a slow restart."""
    k = (day - spring_festival(day.year)).days
    if k > 200:
        k = (day - spring_festival(day.year + 1)).days
    elif k < -200:
        k = (day - spring_festival(day.year - 1)).days
    if -12 <= k < -4:
        return 0.7
    if -4 <= k <= 6:
        return 0.12
    if 7 <= k <= 15:
        return 0.5
    if 16 <= k <= 25:
        return 0.85
    return 1.0


def day_weight(day: date, frac: float) -> float:
    """The relative number of orders created on ``day`` (``frac``: 0 at the start, 1 now)."""
    weekend = 0.3 if day.weekday() >= 5 else 1.0
    return (0.6 + 0.8 * frac) * MONTH_SEASON[day.month] * festival_factor(day) * weekend


def family_season(family: str, month: int) -> float:
    amplitude, peak = FAMILY_SEASON.get(family, (0.0, 1))
    return 1.0 + amplitude * math.cos(2 * math.pi * (month - peak) / 12)


def fade_acceptance(t: float, start: float, stop: float) -> float:
    """The share of a fading customer's orders still placed at time ``t`` (epoch seconds)."""
    if t < start:
        return 1.0
    if t >= stop:
        return 0.0
    return (stop - t) / (stop - start)


# --- COPY with neutral values for the columns we do not set --------------------------


def _neutral(data_type: str) -> Any:
    if data_type in ("character varying", "text", "character"):
        return ""
    if data_type in ("integer", "smallint", "bigint", "numeric", "double precision", "real"):
        return 0
    if data_type == "boolean":
        return False
    if data_type.startswith("timestamp"):
        return datetime.now(UTC)
    if data_type == "date":
        return date.today()
    if data_type in ("json", "jsonb"):
        return "{}"
    if data_type == "uuid":
        return "00000000-0000-0000-0000-000000000000"
    raise ValueError(f"no neutral value for {data_type}")


class Loader:
    """COPY rows into a table; NOT NULL columns missing from ``columns`` get neutral values."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self._meta: dict[str, list[tuple[str, str, bool, bool]]] = {}
        self.counts: dict[str, int] = {}

    def _columns(self, table: str) -> list[tuple[str, str, bool, bool]]:
        if table not in self._meta:
            self.cursor.execute(
                "SELECT column_name, data_type, is_nullable = 'YES', is_generated = 'ALWAYS' "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s ORDER BY ordinal_position",
                [table],
            )
            self._meta[table] = list(self.cursor.fetchall())
        return self._meta[table]

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        known = set(columns)
        extra = [
            (name, _neutral(dtype))
            for name, dtype, nullable, generated in self._columns(table)
            if name not in known and not nullable and not generated
        ]
        names = [*columns, *(name for name, _v in extra)]
        tail = tuple(value for _n, value in extra)
        n = 0
        sql = f'COPY "{table}" ({", ".join(f"{c!s}" for c in names)}) FROM STDIN'
        with self.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row, *tail) if tail else row)
                n += 1
        self.counts[table] = self.counts.get(table, 0) + n
        return n


# --- the life of one order ----------------------------------------------------------

# (action, from, to) of the main path of a goods order.
GOODS_PATH = [
    ("submit", "draft", "pending_review"),
    ("pass_review", "pending_review", "pending_approval"),
    ("approve", "pending_approval", "confirmed"),
    ("confirm_stock", "confirmed", "preparing"),
    ("ready", "preparing", "ready_to_ship"),
    ("ship", "ready_to_ship", "shipped"),
    ("deliver", "shipped", "delivered"),
    ("accept", "delivered", "accepted"),
    ("complete", "accepted", "completed"),
]
SERVICE_PATH = [
    *GOODS_PATH[:3],
    ("schedule_service", "confirmed", "service_scheduled"),
    ("complete", "service_scheduled", "completed"),
]
# Hours each step takes (min, max), by the target state.
STEP_HOURS = {
    "pending_review": (0.5, 30),
    "pending_approval": (0.5, 20),
    "needs_info": (0.5, 6),
    "pending_director": (1, 24),
    "confirmed": (1, 30),
    "returned": (2, 24),
    "rejected": (1, 20),
    "preparing": (2, 30),
    "ready_to_ship": (24, 240),
    "shipped": (2, 48),
    "delivered": (24, 120),
    "accepted": (2, 72),
    "service_scheduled": (24, 120),
    "completed": (24, 200),
    "cancelled": (2, 48),
}


@dataclass
class Step:
    action: str
    src: str
    dst: str
    at: datetime
    actor: int


class Users:
    def __init__(self, by_role: dict[str, list[int]]) -> None:
        self.by_role = by_role

    def pick(self, rnd: random.Random, role: str) -> int:
        return rnd.choice(self.by_role[role])


def order_life(
    rnd: random.Random,
    created: datetime,
    *,
    service: bool,
    big: bool,
    owner: int,
    users: Users,
    extra_hours: dict[str, float] | None = None,
) -> list[Step]:
    """Every step the order will take, with times; cut at "now" by the caller.

    ``extra_hours`` lengthens the step into a state (preparation of a short order,
    transit to a far region).
    """
    steps: list[Step] = []
    at = created
    path = SERVICE_PATH if service else GOODS_PATH
    who = {
        "pending_review": owner,
        "needs_info": users.pick(rnd, "sales_manager"),
        "pending_approval": users.pick(rnd, "sales_manager"),
        "pending_director": users.pick(rnd, "sales_manager"),
        "confirmed": users.pick(rnd, "sales_manager"),
        "returned": users.pick(rnd, "sales_manager"),
        "rejected": users.pick(rnd, "sales_manager"),
        "preparing": users.pick(rnd, "warehouse"),
        "ready_to_ship": users.pick(rnd, "warehouse"),
        "service_scheduled": users.pick(rnd, "warehouse"),
        "shipped": users.pick(rnd, "logistics"),
        "delivered": users.pick(rnd, "logistics"),
        "accepted": users.pick(rnd, "account_manager"),
        "completed": users.pick(rnd, "account_manager"),
        "cancelled": users.pick(rnd, "sales_manager"),
    }

    def add(action: str, src: str, dst: str) -> None:
        nonlocal at
        low, high = STEP_HOURS[dst]
        hours = rnd.uniform(low, high)
        if extra_hours and dst in extra_hours:
            hours += extra_hours[dst]
        at = at + timedelta(hours=hours)
        steps.append(Step(action, src, dst, at, who[dst]))

    fate = rnd.random()
    # 1 % never leave draft, 3 % rejected in review, 5 % cancelled on the way.
    if fate < 0.01:
        return steps
    cancel_at = rnd.randrange(1, 6) if fate > 0.95 else None
    for index, (action, src, dst) in enumerate(path):
        if cancel_at is not None and index == cancel_at:
            add("cancel", src, "cancelled")
            return steps
        if dst == "pending_approval":
            if rnd.random() < 0.06:  # the reviewer asks the customer something first
                add("request_info", "pending_review", "needs_info")
                add("resubmit", "needs_info", "pending_review")
            if fate < 0.04:
                add("reject", "pending_review", "rejected")
                return steps
        if dst == "confirmed":
            if rnd.random() < 0.03:  # the manager returns it once
                add("return", "pending_approval", "returned")
                add("submit", "returned", "pending_review")
                add("pass_review", "pending_review", "pending_approval")
            if big:
                add("approve", "pending_approval", "pending_director")
                add("approve", "pending_director", "confirmed")
                continue
        add(action, src, dst)
    return steps


def _archive_time(completed: datetime) -> datetime:
    """The monthly archive runs on the 3rd of the month after the completion."""
    year, month = completed.year + completed.month // 12, completed.month % 12 + 1
    return datetime(year, month, 3, 2, 0, tzinfo=UTC)


SCANNED_SQL = """
    UPDATE core_slaclock
    SET reminded_at = coalesce(warn_at, due_at),
        breached_at = due_at + interval '1 minute',
        escalated_at = CASE WHEN escalate_to_id IS NOT NULL
                            THEN due_at + interval '1 hour' END
    WHERE met_at IS NULL AND cancelled_at IS NULL AND due_at < now() - interval '1 day'
"""


# --- the generator ---------------------------------------------------------------------


def _ts(moment: datetime) -> str:
    return moment.isoformat()


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _phone(rnd: random.Random) -> str:
    return f"13{rnd.randrange(100000000, 999999999)}"


def _person(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + rnd.choice(["经理", "工", "总", "先生", "女士"])


def _make_users() -> Users:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from core.roles import sync_role_permissions

    sync_role_permissions()  # a flushed test database has no role groups
    user_model = get_user_model()
    password = make_password(BENCH_PASSWORD)
    by_role: dict[str, list[int]] = {}
    for role, count in ROLE_USERS.items():
        group = Group.objects.get(name=role)
        ids = []
        for n in range(1, count + 1):
            user, _created = user_model.objects.get_or_create(
                username=f"bench_{role}_{n}",
                defaults={
                    "password": password,
                    "first_name": f"{role} {n}",
                    "email": f"{role}{n}@bench.invalid",
                },
            )
            user.groups.add(group)
            ids.append(user.pk)
        by_role[role] = ids
    return Users(by_role)


def generate(*, orders: int, customers: int, products: int, seed: int, years: int = 5) -> dict:
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from orders.models import Order
    from orders.models.catalog import pinyin_initials

    rnd = random.Random(seed)
    t0 = time.monotonic()
    connection.ensure_connection()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor: COPY needs it
        cursor.execute("SELECT count(*) FROM orders_order")
        if cursor.fetchone()[0]:
            raise SystemExit("the database already holds orders: generate into an empty one")
    users = _make_users()
    order_ct = ContentType.objects.get_for_model(Order).pk
    now = datetime.now(UTC)
    today = now.date()
    first_month = date(today.year - years, today.month, 1)
    months = years * 12 + 1  # the current month too
    number_pattern = settings.ORDER_NUMBER_PATTERN
    stats: dict[str, Any] = {}

    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        # The rows are consistent by construction: skip the per-row foreign-key
        # triggers (superuser only, this session only) — they triple the load time.
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET synchronous_commit = off")
        load = Loader(cur)
        # --- catalogue, customers, warehouses --------------------------------------
        product_rows = []
        prices: list[int] = []
        kinds: list[str] = []
        families: list[str] = []
        for pid in range(1, products + 1):
            kind = "service" if pid % 25 == 0 else "goods"
            cents = int(math.exp(rnd.uniform(math.log(2_000), math.log(3_000_000))))
            prices.append(cents)
            kinds.append(kind)
            noun = "安装服务" if kind == "service" else rnd.choice(NOUNS)
            families.append(noun)
            product_rows.append(
                (
                    pid,
                    f"P{pid:06d}",
                    f"{noun} {pid}",
                    pinyin_initials(f"{noun} {pid}"),  # what Product.save would store
                    f"型号-{rnd.randrange(100, 999)}",
                    "次" if kind == "service" else "台",
                    _cents(cents),
                    kind,
                    True,
                    now,
                    now,
                )
            )
        load.copy(
            "orders_product",
            [
                "id",
                "code",
                "name",
                "pinyin_initials",
                "spec",
                "unit",
                "list_price",
                "kind",
                "is_active",
                "created_at",
                "updated_at",
            ],
            product_rows,
        )
        goods_ids = [i + 1 for i, k in enumerate(kinds) if k == "goods"]
        service_ids = [i + 1 for i, k in enumerate(kinds) if k == "service"]
        # Popularity: a long tail (rank ** -0.7, ranks shuffled over the ids); 1 % of
        # the goods are never ordered, 3 % were launched in the last four months.
        ranks = list(range(1, len(goods_ids) + 1))
        rnd.shuffle(ranks)
        popularity = {pid: rank**-0.7 for pid, rank in zip(goods_ids, ranks, strict=True)}
        launched_month: dict[int, int] = {}  # pid -> index of its first month
        for pid in goods_ids:
            fate = rnd.random()
            if fate < 0.01:
                popularity[pid] = 0.0
            elif fate < 0.04:
                launched_month[pid] = years * 12 - rnd.randrange(0, 4)
        hard_to_source = {pid for pid in goods_ids if rnd.random() < 0.12}
        # Products that sell together: popular anchors pull a companion onto the order.
        by_popularity = sorted(goods_ids, key=lambda pid: -popularity[pid])
        companions: dict[int, tuple[int, float]] = {}
        for anchor in rnd.sample(by_popularity[:800], min(150, len(by_popularity) // 4)):
            partner = rnd.choice(by_popularity[:2000])
            if partner != anchor and popularity[partner] > 0:
                companions[anchor] = (partner, rnd.uniform(0.35, 0.75))
        stats["bundles"] = len(companions)
        total_popularity = sum(popularity.values())

        managers = users.by_role["account_manager"]
        customer_region = [""] + [rnd.choice(REGIONS) for _ in range(customers)]
        customer_carrier = [""] + [rnd.choice(CARRIERS) for _ in range(customers)]
        # Customers that fade: fewer and fewer orders over 6–15 months, then none.
        start_ts = datetime(today.year - years, today.month, 1, tzinfo=UTC).timestamp()
        now_ts = now.timestamp()
        fade: dict[int, tuple[float, float]] = {}
        for cid in range(1, customers + 1):
            if rnd.random() < 0.17:
                stop = rnd.uniform(start_ts + 540 * 86400, now_ts + 300 * 86400)
                fade[cid] = (stop - rnd.uniform(180, 450) * 86400, stop)
        stats["fading_customers"] = len(fade)
        load.copy(
            "customers_customer",
            [
                "id",
                "code",
                "name",
                "credit_code",
                "region",
                "industry",
                "qualification_status",
                "credit_limit",
                "credit_term_days",
                "is_active",
                "created_at",
                "updated_at",
                "account_manager_id",
            ],
            (
                (
                    cid,
                    f"C{cid:06d}",
                    f"{rnd.choice(CITIES)}{rnd.choice(NOUNS)}客户{cid}有限公司",
                    f"91{cid:016d}",
                    customer_region[cid],
                    rnd.choice(INDUSTRIES),
                    "qualified" if rnd.random() < 0.95 else "pending",
                    _cents(rnd.choice([50_000_00, 200_000_00, 1_000_000_00])),
                    rnd.choice([30, 60, 90]),
                    True,
                    now,
                    now,
                    rnd.choice(managers),
                )
                for cid in range(1, customers + 1)
            ),
        )
        warehouses = [(1, "WH-SH", "上海仓", "上海"), (2, "WH-GZ", "广州仓", "广州")]
        warehouses.append((3, "WH-CD", "成都仓", "成都"))
        load.copy(
            "fulfillment_warehouse",
            ["id", "code", "name", "city", "is_active", "manager_id"],
            [(*w, True, users.by_role["warehouse"][0]) for w in warehouses],
        )
        # Stock available covers 0–10 weeks of the product's recent demand at that
        # warehouse (about 1.4 lines of 30 units per 100 orders a week, by share) and
        # 60–240 units more; what the open orders reserve is on hand on top of it.
        weekly_lines = orders / (years * 52) * 3.1 * 1.4
        warehouse_share = {1: 0.57, 2: 0.14, 3: 0.29}

        def stock_row(n: int, wid: int, pid: int) -> tuple:
            weekly = weekly_lines * popularity[pid] / total_popularity * warehouse_share[wid] * 30
            # Never quite empty: the benchmarks confirm stock for 50 orders of one template.
            on_hand = int(weekly * rnd.uniform(0, 10)) + rnd.randrange(60, 240)
            in_transit = int(weekly * rnd.uniform(1, 4)) if rnd.random() < 0.3 else 0
            return (n, wid, pid, on_hand, 0, in_transit, int(weekly * rnd.choice([0, 1, 2])))

        load.copy(
            "fulfillment_stocklevel",
            [
                "id",
                "warehouse_id",
                "product_id",
                "on_hand",
                "reserved",
                "in_transit",
                "safety_stock",
            ],
            (
                stock_row(n, wid, pid)
                for n, (wid, pid) in enumerate(
                    ((w, p) for w in (1, 2, 3) for p in goods_ids), start=1
                )
            ),
        )
        # Customers order with a long tail: a few big accounts, many occasional buyers.
        customer_ids = list(range(1, customers + 1))
        rnd.shuffle(customer_ids)

        # --- orders, month by month ---------------------------------------------------
        # Orders per day: trend × yearly season × Spring Festival × weekday.
        all_days = [first_month + timedelta(days=i) for i in range((today - first_month).days + 1)]
        span = max(len(all_days) - 1, 1)
        day_w = {d: day_weight(d, i / span) for i, d in enumerate(all_days)}
        weights = []
        month_start = first_month
        for _m in range(months):
            nxt = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
            weights.append(sum(w for d, w in day_w.items() if month_start <= d < nxt))
            month_start = nxt
        total_w = sum(weights)
        per_month = [int(orders * w / total_w) for w in weights]
        per_month[-1] += orders - sum(per_month)
        stats["orders_per_month_max"] = max(per_month)
        stats["busiest_month"] = None

        ids = {"order": 0, "line": 0, "event": 0, "clock": 0, "ful": 0, "ship": 0}
        ids.update({"acc": 0, "visit": 0, "ticket": 0, "progress": 0})
        counters: dict[str, int] = {}
        buffers: dict[str, list[tuple]] = {}
        columns = {
            "orders_order": [
                "id",
                "number",
                "kind",
                "status",
                "customer_id",
                "contact_name",
                "contact_phone",
                "order_date",
                "requested_delivery_date",
                "payment_terms",
                "delivery_address",
                "delivery_postcode",
                "source_channel",
                "urgency",
                "owner_id",
                "created_by_id",
                "total_amount",
                "submitted_at",
                "reviewed_by_id",
                "reviewed_at",
                "approved_by_id",
                "approved_at",
                "director_approved_by_id",
                "director_approved_at",
                "approved_total",
                "confirmed_at",
                "cancel_reason",
                "director_reasons",
                "created_at",
                "updated_at",
            ],
            "orders_orderline": [
                "id",
                "order_id",
                "position",
                "product_id",
                "spec",
                "quantity",
                "unit",
                "unit_price",
                "discount_percent",
            ],
            "orders_orderevent": [
                "id",
                "order_id",
                "kind",
                "action",
                "from_status",
                "to_status",
                "actor_id",
                "note",
                "created_at",
            ],
            "core_slaclock": [
                "id",
                "content_type_id",
                "object_id",
                "kind",
                "owner_id",
                "escalate_to_id",
                "started_at",
                "due_at",
                "warn_at",
                "duration_unit",
                "met_at",
                "breached_at",
                "note",
            ],
            "fulfillment_orderfulfillment": [
                "id",
                "order_id",
                "warehouse_id",
                "responsible_id",
                "allocated_at",
                "stock_status",
                "deliverable_date",
                "stock_confirmed_at",
                "stock_confirmed_by_id",
                "promised_date",
            ],
            "fulfillment_shipment": [
                "id",
                "order_id",
                "sequence",
                "carrier",
                "method",
                "tracking_number",
                "eta",
                "shipped_at",
                "shipped_by_id",
                "warehouse_id",
            ],
            "fulfillment_progressentry": [
                "id",
                "order_id",
                "stage",
                "owner_id",
                "planned_start",
                "planned_end",
                "actual_start",
                "actual_end",
                "recorded_by_id",
                "created_at",
            ],
            "aftersales_acceptance": [
                "id",
                "order_id",
                "signer",
                "signed_on",
                "recorded_at",
                "recorded_by_id",
            ],
            "aftersales_followupvisit": [
                "id",
                "order_id",
                "method",
                "visit_date",
                "person",
                "satisfaction",
                "feedback",
                "created_at",
                "visited_by_id",
            ],
            "aftersales_aftersalesticket": [
                "id",
                "number",
                "order_id",
                "source",
                "kind",
                "status",
                "description",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "owner_id",
                "opened_by_id",
                "resolved_by_id",
            ],
        }
        for table in columns:
            buffers[table] = []

        def flush() -> None:
            for table, rows in buffers.items():
                if rows:
                    load.copy(table, columns[table], rows)
                    rows.clear()

        assistants = users.by_role["sales_assistant"]
        managers_sales = users.by_role["sales_manager"]
        director = users.by_role["sales_director"][0]
        manager_of = {a: managers_sales[i % len(managers_sales)] for i, a in enumerate(assistants)}
        status_counts: dict[str, int] = {}
        open_clocks = 0
        month_start = first_month
        for month_index, n_month in enumerate(per_month):
            next_month = date(
                month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1
            )
            month_days = [d for d in all_days if month_start <= d < next_month]
            created_list = sorted(
                datetime(d.year, d.month, d.day, tzinfo=UTC)
                + timedelta(seconds=rnd.uniform(0, 86399))
                for d in rnd.choices(month_days, [day_w[d] for d in month_days], k=n_month)
            )
            # The month's product pick: popularity × the family's season, launched products only.
            goods_cum = list(
                itertools.accumulate(
                    popularity[pid] * family_season(families[pid - 1], month_start.month)
                    if launched_month.get(pid, 0) <= month_index
                    else 0.0
                    for pid in goods_ids
                )
            )
            goods_top = goods_cum[-1]
            for created in created_list:
                if created > now:
                    created = now - timedelta(minutes=rnd.uniform(1, 600))
                ids["order"] += 1
                oid = ids["order"]
                service = rnd.random() < 0.06
                created_ts = created.timestamp()
                for _try in range(8):
                    customer = rnd.choice(customer_ids)
                    if rnd.random() < 0.6:
                        # Most orders come from the regular accounts: a skewed pick in which
                        # the biggest account holds about 0.4 % of all orders.
                        customer = customer_ids[int(customers * rnd.random() ** 2)]
                    fading = fade.get(customer)
                    if fading is None or rnd.random() < fade_acceptance(created_ts, *fading):
                        break
                fading = fade.get(customer)
                declining = fading is not None and created_ts >= fading[0]
                owner = rnd.choice(assistants)
                n_lines = 1 if service else min(8, max(1, int(rnd.expovariate(1 / 3.0)) + 1))
                total = 0
                if service:
                    picks = [rnd.choice(service_ids)]
                else:
                    picks = []
                    while len(picks) < n_lines:
                        pid = goods_ids[bisect.bisect_right(goods_cum, rnd.random() * goods_top)]
                        if pid in picks:
                            continue
                        picks.append(pid)
                        pair = companions.get(pid)
                        if pair and pair[0] not in picks and rnd.random() < pair[1]:
                            picks.append(pair[0])
                            n_lines = max(n_lines, len(picks))
                    n_lines = min(len(picks), 9)
                    picks = picks[:n_lines]
                hard = any(pid in hard_to_source for pid in picks)
                for position, pid in enumerate(picks, start=1):
                    ids["line"] += 1
                    qty = rnd.randrange(1, 5) if service else rnd.randrange(1, 60)
                    discount = rnd.choice((0, 0, 0, 5, 10))
                    price = prices[pid - 1]
                    total += (qty * price * (100 - discount) + 50) // 100
                    buffers["orders_orderline"].append(
                        (
                            ids["line"],
                            oid,
                            position,
                            pid,
                            "",
                            qty,
                            "次" if service else "台",
                            _cents(price),
                            discount,
                        )
                    )
                big = total > DIRECTOR_THRESHOLD_CENTS
                # Delivery: the stock status, a slipping production plan, the region,
                # the carrier and the order size decide how long it takes.
                region = customer_region[customer]
                carrier = customer_carrier[customer] if rnd.random() < 0.8 else rnd.choice(CARRIERS)
                roll = rnd.random()
                if hard:
                    stock_status = (
                        "in_stock" if roll < 0.35 else "short" if roll < 0.7 else "to_produce"
                    )
                else:
                    stock_status = (
                        "in_stock" if roll < 0.7 else "short" if roll < 0.85 else "to_produce"
                    )
                plan_days = slip_days = 0
                extra: dict[str, float] = {}
                if not service:
                    prep = 6.0 * n_lines
                    if stock_status == "short":
                        prep += rnd.uniform(48, 400) * (1.5 if hard else 1.0)
                    elif stock_status == "to_produce":
                        plan_days = rnd.randrange(4, 15)
                        slip_days = 0 if rnd.random() < 0.55 else rnd.randrange(1, 14)
                        prep += (plan_days + slip_days) * 24 - 100
                    extra["ready_to_ship"] = prep
                    slowness = CARRIER_SLOWNESS[carrier] * REGION_SLOWNESS[region]
                    extra["delivered"] = rnd.uniform(24, 110) * (slowness - 1)
                life = order_life(
                    rnd,
                    created,
                    service=service,
                    big=big,
                    owner=owner,
                    users=users,
                    extra_hours=extra,
                )
                life = [s for s in life if s.at <= now]
                # Completed orders are archived with their month (cancelled ones too).
                if life and life[-1].dst in ("completed", "cancelled"):
                    archive_at = _archive_time(life[-1].at)
                    if archive_at <= now:
                        life.append(
                            Step(
                                "archive",
                                life[-1].dst,
                                "archived",
                                archive_at,
                                users.by_role["data_admin"][0],
                            )
                        )
                status = life[-1].dst if life else "draft"
                status_counts[status] = status_counts.get(status, 0) + 1
                reached = {s.dst: s for s in life}
                order_date = created.date()
                requested = order_date + timedelta(days=rnd.randrange(7, 60))
                submitted = reached.get("pending_review")
                number = None
                if submitted is not None:
                    period = f"{order_date.year:04d}{order_date.month:02d}"
                    counters[period] = counters.get(period, 0) + 1
                    number = number_pattern.format(
                        year=order_date.year, month=order_date.month, serial=counters[period]
                    )
                review = reached.get("pending_approval") or reached.get("rejected")
                approval = reached.get("pending_director") or reached.get("confirmed")
                director_step = reached.get("pending_director") and reached.get("confirmed")
                confirmed = reached.get("confirmed")
                last = life[-1].at if life else created
                buffers["orders_order"].append(
                    (
                        oid,
                        number,
                        "service" if service else "goods",
                        status,
                        customer,
                        _person(rnd),
                        _phone(rnd),
                        order_date,
                        requested,
                        rnd.choice(TERMS),
                        f"{rnd.choice(CITIES)}市工业园区{rnd.randrange(1, 300)}号",
                        "200000",
                        rnd.choices(CHANNELS, CHANNEL_W)[0],
                        "normal" if rnd.random() < 0.85 else rnd.choice(("urgent", "critical")),
                        owner,
                        owner,
                        _cents(total),
                        submitted.at if submitted else None,
                        review.actor if review else None,
                        review.at if review else None,
                        approval.actor if approval else None,
                        approval.at if approval else None,
                        director if director_step else None,
                        reached["confirmed"].at if director_step else None,
                        _cents(total) if confirmed else None,
                        confirmed.at if confirmed else None,
                        "客户取消" if status == "cancelled" or "cancelled" in reached else "",
                        "金额超过 10,000 元" if big else "",
                        created,
                        last,
                    )
                )
                ev = buffers["orders_orderevent"]
                ids["event"] += 1
                ev.append((ids["event"], oid, "created", "", "", "draft", owner, "", created))
                for step in life:
                    ids["event"] += 1
                    note = "需客户确认规格" if step.dst == "needs_info" else ""
                    ev.append(
                        (
                            ids["event"],
                            oid,
                            "transition",
                            step.action,
                            step.src,
                            step.dst,
                            step.actor,
                            note,
                            step.at,
                        )
                    )
                # --- clocks -----------------------------------------------------------
                clocks = buffers["core_slaclock"]
                if status == "needs_info":
                    start = reached["needs_info"].at
                    ids["clock"] += 1
                    open_clocks += 1
                    clocks.append(
                        (
                            ids["clock"],
                            order_ct,
                            oid,
                            "clarification",
                            owner,
                            manager_of[owner],
                            start,
                            start + timedelta(hours=2),
                            start + timedelta(hours=1, minutes=30),
                            "working_hours",
                            None,
                            start + timedelta(hours=2)
                            if start + timedelta(hours=2) < now
                            else None,
                            "",
                        )
                    )
                if status == "preparing":
                    start = reached["preparing"].at
                    ids["clock"] += 1
                    open_clocks += 1
                    due = start + timedelta(days=1)
                    clocks.append(
                        (
                            ids["clock"],
                            order_ct,
                            oid,
                            "preparation_checkin",
                            owner,
                            None,
                            start,
                            due,
                            due - timedelta(hours=3),
                            "working_days",
                            None,
                            None,
                            "",
                        )
                    )
                accepted = reached.get("accepted")
                if accepted is not None and not service:
                    ids["clock"] += 1
                    due = accepted.at + timedelta(days=3)
                    met = reached.get("completed")
                    open_clocks += met is None
                    clocks.append(
                        (
                            ids["clock"],
                            order_ct,
                            oid,
                            "followup_visit",
                            accepted.actor,
                            manager_of[owner],
                            accepted.at,
                            due,
                            due - timedelta(hours=8),
                            "working_days",
                            met.at if met else None,
                            None,
                            "",
                        )
                    )
                # --- fulfillment, shipment, acceptance, after-sales -------------------
                if confirmed is not None and not service:
                    ids["ful"] += 1
                    stock = reached.get("preparing")
                    buffers["fulfillment_orderfulfillment"].append(
                        (
                            ids["ful"],
                            oid,
                            REGION_WAREHOUSE[region]
                            if rnd.random() < 0.9
                            else rnd.choice((1, 2, 3)),
                            stock.actor if stock else users.pick(rnd, "warehouse"),
                            confirmed.at,
                            stock_status if stock else "",
                            requested if stock else None,
                            stock.at if stock else None,
                            stock.actor if stock else None,
                            requested if stock else None,
                        )
                    )
                stock = reached.get("preparing")
                if plan_days and stock is not None:
                    ready = reached.get("ready_to_ship")
                    plan_start = stock.at.date()
                    ids["progress"] += 1
                    buffers["fulfillment_progressentry"].append(
                        (
                            ids["progress"],
                            oid,
                            "production",
                            stock.actor,
                            plan_start,
                            plan_start + timedelta(days=plan_days),
                            plan_start,
                            ready.at.date() if ready else None,
                            stock.actor,
                            stock.at,
                        )
                    )
                shipped = reached.get("shipped")
                if shipped is not None:
                    ids["ship"] += 1
                    buffers["fulfillment_shipment"].append(
                        (
                            ids["ship"],
                            oid,
                            1,
                            carrier,
                            rnd.choice(("express", "ltl", "ftl")),
                            f"SF{oid:012d}",
                            (shipped.at + timedelta(days=rnd.randrange(1, 6))).date(),
                            shipped.at,
                            shipped.actor,
                            1,
                        )
                    )
                if accepted is not None and not service:
                    ids["acc"] += 1
                    buffers["aftersales_acceptance"].append(
                        (
                            ids["acc"],
                            oid,
                            _person(rnd),
                            accepted.at.date(),
                            accepted.at,
                            accepted.actor,
                        )
                    )
                completed = reached.get("completed")
                if completed is not None and not service and rnd.random() < 0.9:
                    ids["visit"] += 1
                    buffers["aftersales_followupvisit"].append(
                        (
                            ids["visit"],
                            oid,
                            rnd.choice(("phone", "visit", "wechat")),
                            completed.at.date(),
                            _person(rnd),
                            rnd.choices(
                                (1, 2, 3, 4, 5),
                                (10, 20, 30, 25, 15) if declining else (2, 3, 10, 40, 45),
                            )[0],
                            "",
                            completed.at,
                            completed.actor,
                        )
                    )
                delivered = reached.get("delivered")
                if delivered is not None and rnd.random() < (0.15 if declining else 0.03):
                    ids["ticket"] += 1
                    opened = delivered.at + timedelta(days=rnd.uniform(1, 20))
                    if opened < now:
                        done = opened + timedelta(days=rnd.uniform(1, 10))
                        is_done = done < now
                        support = users.pick(rnd, "aftersales")
                        buffers["aftersales_aftersalesticket"].append(
                            (
                                ids["ticket"],
                                f"T{opened:%Y%m}-{ids['ticket']:06d}",
                                oid,
                                "complaint",
                                rnd.choice(("repair", "replacement", "refund", "other")),
                                "resolved" if is_done else "open",
                                "设备运行异常",
                                opened,
                                opened + timedelta(hours=rnd.uniform(1, 30)) if is_done else None,
                                done if is_done else None,
                                support,
                                accepted.actor if accepted else owner,
                                support if is_done else None,
                            )
                        )
                if len(buffers["orders_order"]) >= CHUNK:
                    flush()
            month_start = date(
                month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1
            )
            print(
                f"  {month_start:%Y-%m} orders={ids['order']:,} ({time.monotonic() - t0:.0f}s)",
                file=sys.stderr,
                flush=True,
            )
        flush()
        load.copy(
            "orders_ordernumbercounter",
            ["period", "last_serial"],
            sorted(counters.items()),
        )

        # --- rows that follow from the order lines: derived in SQL ----------------------
        cur.execute(
            """
            INSERT INTO fulfillment_fulfillmentline
                (fulfillment_id, order_line_id, quantity, stock_status, reserved, shipped)
            SELECT f.id, l.id, l.quantity, f.stock_status,
                   CASE WHEN o.status IN ('preparing', 'ready_to_ship') THEN l.quantity ELSE 0 END,
                   CASE WHEN o.status IN ('shipped', 'delivered', 'accepted', 'completed',
                                          'archived') THEN l.quantity ELSE 0 END
            FROM fulfillment_orderfulfillment f
            JOIN orders_order o ON o.id = f.order_id
            JOIN orders_orderline l ON l.order_id = f.order_id
            """
        )
        load.counts["fulfillment_fulfillmentline"] = cur.rowcount
        cur.execute(
            """
            INSERT INTO fulfillment_shipmentline (shipment_id, order_line_id, quantity)
            SELECT s.id, l.id, l.quantity
            FROM fulfillment_shipment s JOIN orders_orderline l ON l.order_id = s.order_id
            """
        )
        load.counts["fulfillment_shipmentline"] = cur.rowcount
        # What the open orders hold is reserved on the stock levels.
        cur.execute(
            """
            UPDATE fulfillment_stocklevel s
            SET reserved = r.qty, on_hand = s.on_hand + r.qty
            FROM (
                SELECT f.warehouse_id, l.product_id, sum(fl.reserved) AS qty
                FROM fulfillment_fulfillmentline fl
                JOIN fulfillment_orderfulfillment f ON f.id = fl.fulfillment_id
                JOIN orders_orderline l ON l.id = fl.order_line_id
                WHERE fl.reserved > 0
                GROUP BY 1, 2
            ) r
            WHERE s.warehouse_id = r.warehouse_id AND s.product_id = r.product_id
            """
        )
        # Open clocks that fell due before today were seen by the scanner back then:
        # warned, reported and escalated, as a running portal leaves them.
        cur.execute(SCANNED_SQL)
        # The identity sequences continue after the ids given above.
        for table in [*columns, "orders_product", "customers_customer", "fulfillment_warehouse"]:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        for table in ("fulfillment_stocklevel", "fulfillment_fulfillmentline"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cur.execute("SET session_replication_role = DEFAULT")
    # The load ran with triggers off: the list's status counters are counted once here.
    from orders.services.orders import order_status_counts_rebuild

    order_status_counts_rebuild()
    load_seconds = time.monotonic() - t0
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    busiest = max(counters.items(), key=lambda item: item[1]) if counters else ("", 0)
    stats.update(
        {
            "orders": ids["order"],
            "rows": load.counts,
            "statuses": dict(sorted(status_counts.items(), key=lambda kv: -kv[1])),
            "open_clocks": open_clocks,
            "busiest_month": busiest,
            "load_seconds": round(load_seconds, 1),
            "total_seconds": round(time.monotonic() - t0, 1),
        }
    )
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument(
        "--allow-any-database",
        action="store_true",
        help="skip the check that the database name says 'bench'",
    )
    args = parser.parse_args(argv)
    setup_django(allow_any_database=args.allow_any_database)
    stats = generate(
        orders=args.orders,
        customers=args.customers,
        products=args.products,
        seed=args.seed,
        years=args.years,
    )
    import json

    print(json.dumps(stats, indent=2, default=str))


if __name__ == "__main__":
    main()
