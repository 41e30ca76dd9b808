"""The benchmark suite: pages, report, import, scan, concurrency, load test.

Usage (after ``python -m bench.generate``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_portal python -m bench.run
    python -m bench.run --repeat 1 --only list_first_page --no-load-test

Each page is fetched with Django's test client as a logged-in user of the right
role: one warm-up, then ``--repeat`` timed runs (median and p95), one more run
under CaptureQueriesContext for the query count (not timed: capturing costs).
The floor is the hand-written SQL that fetches the same rows, timed in the same
run the same way; ratio = page median / floor median. Writes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import setup_django

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass
class Result:
    name: str
    times_ms: list[float]
    queries: int | None = None
    # SQL time of one request (the captured run), to compare with the floor.
    sql_ms: float | None = None
    floor_ms: float | None = None
    target: str = ""
    note: str = ""
    errors: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # Set when the times come from elsewhere (the load test's own percentiles).
    given_median: float | None = None
    given_p95: float | None = None

    @property
    def median(self) -> float:
        if self.given_median is not None:
            return self.given_median
        return statistics.median(self.times_ms) if self.times_ms else float("nan")

    @property
    def p95(self) -> float:
        if self.given_p95 is not None:
            return self.given_p95
        if not self.times_ms:
            return float("nan")
        ordered = sorted(self.times_ms)
        return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))]

    @property
    def ratio(self) -> float | None:
        if not self.floor_ms:
            return None
        return self.median / self.floor_ms


def _timed(call: Callable[[], Any], repeat: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _floor(sql: str, params: list[Any], repeat: int) -> float:
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return statistics.median(_timed(run, max(repeat, 3)))


def _one(sql: str, params: list[Any] | None = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row and len(row) == 1 else row


class Bench:
    def __init__(self, *, repeat: int, only: set[str] | None, quick: bool) -> None:
        from django.contrib.auth import get_user_model

        self.repeat = repeat
        self.only = only
        self.quick = quick
        self.results: list[Result] = []
        self.users = {}
        user_model = get_user_model()
        for role in (
            "sales_manager",
            "sales_assistant",
            "warehouse",
            "data_admin",
            "sales_director",
        ):
            self.users[role] = user_model.objects.get(username=f"bench_{role}_1")

    def wanted(self, name: str) -> bool:
        return self.only is None or name in self.only

    # --- pages ---------------------------------------------------------------------
    def page(
        self,
        name: str,
        url: str,
        *,
        role: str,
        floor_sql: str | None = None,
        floor_params: list[Any] | None = None,
        target: str = "",
        repeat: int | None = None,
        note: str = "",
        before: Callable[[], None] | None = None,
        urls: list[str] | None = None,
        max_bytes: int | None = None,
    ) -> Result | None:
        """Time ``url`` (or each of ``urls`` in turn); an answer larger than ``max_bytes``
        counts as an error."""
        if not self.wanted(name):
            return None
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()
        client.force_login(self.users[role])
        repeat = repeat or self.repeat
        errors = 0
        turns = itertools.cycle(urls or [url])
        sizes: list[int] = []

        def fetch() -> None:
            nonlocal errors
            response = client.get(next(turns))
            # Streaming or not, the whole body is produced before we stop the clock.
            size = len(response.content)
            sizes.append(size)
            if response.status_code != 200 or (max_bytes is not None and size > max_bytes):
                errors += 1

        def timed_fetch() -> None:
            if before is not None:
                before()
            fetch()

        times = _timed(timed_fetch, repeat)
        with CaptureQueriesContext(connection) as ctx:
            fetch()
        floor = _floor(floor_sql, floor_params or [], repeat) if floor_sql else None
        result = Result(
            name,
            times,
            queries=len(ctx.captured_queries),
            sql_ms=sum(float(q["time"]) for q in ctx.captured_queries) * 1000,
            floor_ms=floor,
            target=target,
            note=(note or url)
            + (f"; answer {max(sizes) / 1024:,.1f} KB" if max_bytes is not None else ""),
            errors=errors,
            extra={"bytes": max(sizes)},
        )
        self._add(result)
        return result

    def _add(self, result: Result) -> None:
        self.results.append(result)
        ratio = f"{result.ratio:.1f}x" if result.ratio else "-"
        print(
            f"{result.name:<34} median {result.median:9.1f} ms  p95 {result.p95:9.1f} ms  "
            f"queries {result.queries!s:>4}  floor {result.floor_ms or 0:8.1f} ms  {ratio:>7}"
            f"  errors {result.errors}",
            flush=True,
        )

    # --- the data the pages are asked about -------------------------------------------
    def pick(self) -> dict[str, Any]:
        top_customer = _one(
            "SELECT customer_id FROM orders_order GROUP BY customer_id ORDER BY count(*) DESC "
            "LIMIT 1"
        )
        customer_name = _one("SELECT name FROM customers_customer WHERE id = %s", [top_customer])
        number = _one(
            "SELECT number FROM orders_order WHERE number IS NOT NULL ORDER BY id DESC "
            "LIMIT 1 OFFSET 500"
        ) or _one("SELECT number FROM orders_order WHERE number IS NOT NULL LIMIT 1")
        product = _one(
            "SELECT p.name FROM orders_orderline l JOIN orders_product p ON p.id = l.product_id "
            "ORDER BY l.id DESC LIMIT 1"
        )
        detail = _one(
            "SELECT order_id FROM orders_orderline GROUP BY order_id ORDER BY count(*) DESC, "
            "order_id DESC LIMIT 1"
        )
        busy = _one(
            "SELECT period FROM orders_ordernumbercounter ORDER BY last_serial DESC LIMIT 1"
        )
        return {
            "customer": top_customer,
            # "…客户123有限公司" -> "客户123": the customer's own part of the name.
            "customer_term": customer_name[customer_name.find("客户") : -4]
            if customer_name and "客户" in customer_name
            else (customer_name or "客户"),
            "number": number,
            "product_term": product,
            "detail": detail,
            "busy_month": f"{busy[:4]}-{busy[4:]}" if busy else "",
        }


LIST_FLOOR = """
SELECT o.id, o.number, o.status, o.kind, o.order_date, o.requested_delivery_date,
       o.total_amount, o.urgency, o.created_at, c.id, c.code, c.name,
       u.id, u.username, u.first_name, u.last_name
FROM orders_order o
JOIN customers_customer c ON c.id = o.customer_id
JOIN auth_user u ON u.id = o.owner_id
WHERE {where}
ORDER BY o.created_at DESC, o.id DESC
LIMIT 20 OFFSET {offset}
"""


def list_floor(where: str = "TRUE", offset: int = 0) -> str:
    return LIST_FLOOR.format(where=where, offset=offset)


def run_pages(bench: Bench, data: dict[str, Any]) -> None:
    from urllib.parse import urlencode

    list_target = "p95 < 150 ms, ≤ 3× floor"
    bench.page(
        "list_first_page",
        "/orders/",
        role="sales_manager",
        floor_sql=list_floor(),
        target=list_target,
    )
    # The same page when 1,000 status changes came since the counters were last compacted
    # (the beat task folds them every minute): 2,000 counter rows to sum instead of ~20.
    from django.db import connection

    from orders.services.orders import order_status_counts_compact

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orders_orderstatuscount (status, n) "
            "SELECT 'pending_review', CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END "
            "FROM generate_series(1, 2000) AS i"
        )
    bench.page(
        "list_first_page_busy",
        "/orders/",
        role="sales_manager",
        floor_sql=list_floor(),
        target=list_target,
        note="/orders/ with 2,000 status-counter rows not yet compacted",
    )
    order_status_counts_compact()
    bench.page(
        "list_status_tab",
        "/orders/?status=rejected",
        role="sales_manager",
        floor_sql=list_floor("o.status = 'rejected'"),
        target=list_target,
    )
    bench.page(
        "list_customer_filter",
        f"/orders/?customer={data['customer']}",
        role="sales_manager",
        floor_sql=list_floor("o.customer_id = %s"),
        floor_params=[data["customer"]],
        target=list_target,
    )
    bench.page(
        "list_deep_page_500",
        "/orders/?page=500",
        role="sales_manager",
        floor_sql=list_floor(offset=499 * 20),
        target=list_target,
        note="/orders/?page=500 (OFFSET 9980)",
    )
    # The best hand-written shape: a UNION of the four lookups, each on its trigram index.
    search_floor = """
        o.id IN (SELECT id FROM orders_order WHERE UPPER(number::text) LIKE UPPER(%s)
                 UNION SELECT id FROM orders_order WHERE UPPER(contact_name::text) LIKE UPPER(%s)
                 UNION SELECT id FROM orders_order WHERE customer_id IN (
                     SELECT id FROM customers_customer WHERE UPPER(name::text) LIKE UPPER(%s))
                 UNION SELECT order_id FROM orders_orderline WHERE product_id IN (
                     SELECT id FROM orders_product WHERE UPPER(name::text) LIKE UPPER(%s)
                        OR UPPER(code::text) LIKE UPPER(%s)))
    """
    for name, term in (
        ("list_search_number", data["number"]),
        ("list_search_customer", data["customer_term"]),
        ("list_search_product", data["product_term"]),
    ):
        like = f"%{term}%"
        bench.page(
            name,
            "/orders/?" + urlencode({"q": term}),
            role="sales_manager",
            floor_sql=list_floor(search_floor),
            floor_params=[like] * 5,
            target=list_target,
        )
    bench.page(
        "order_detail",
        f"/orders/{data['detail']}/",
        role="sales_manager",
        floor_sql="""
            SELECT o.*, c.name, l.*, p.name, e.*
            FROM orders_order o JOIN customers_customer c ON c.id = o.customer_id
            JOIN orders_orderline l ON l.order_id = o.id
            JOIN orders_product p ON p.id = l.product_id
            LEFT JOIN LATERAL (SELECT * FROM orders_orderevent e WHERE e.order_id = o.id) e ON TRUE
            WHERE o.id = %s
        """,
        floor_params=[data["detail"]],
        target="< 100 ms",
        note=f"/orders/{data['detail']}/ (the order with the most lines)",
    )
    bench.page(
        "approval_inbox",
        "/orders/approvals/",
        role="sales_manager",
        floor_sql="""
            SELECT o.id, o.number, o.total_amount, c.name, max(l.discount_percent)
            FROM orders_order o JOIN customers_customer c ON c.id = o.customer_id
            JOIN orders_orderline l ON l.order_id = o.id
            WHERE o.status = 'pending_approval'
            GROUP BY o.id, c.name ORDER BY o.submitted_at, o.id LIMIT 200
        """,
        target="p95 < 150 ms",
    )
    bench.page(
        "my_work_assistant",
        "/my-work/",
        role="sales_assistant",
        floor_sql="""
            SELECT id, kind, object_id, due_at FROM core_slaclock
            WHERE owner_id = %s AND met_at IS NULL AND cancelled_at IS NULL
            ORDER BY due_at LIMIT 50
        """,
        floor_params=[bench.users["sales_assistant"].pk],
        target="p95 < 150 ms",
    )
    bench.page(
        "my_work_manager",
        "/my-work/",
        role="sales_manager",
        floor_sql="""
            SELECT status, count(*) FROM orders_order
            WHERE status IN ('pending_approval', 'pending_director') GROUP BY status
        """,
        target="p95 < 150 ms",
    )
    bench.page(
        "warehouse_work",
        "/fulfillment/warehouse/",
        role="warehouse",
        # The page shows the 50 earliest of each of its three statuses.
        floor_sql=" UNION ALL ".join(
            f"""(SELECT o.id, o.number, o.status, o.requested_delivery_date, c.name
                 FROM orders_order o JOIN customers_customer c ON c.id = o.customer_id
                 WHERE o.status = '{status}' AND o.kind = 'goods'
                 ORDER BY o.requested_delivery_date, o.id LIMIT 50)"""  # noqa: S608 - constant statuses
            for status in ("confirmed", "preparing", "ready_to_ship")
        ),
        target="p95 < 150 ms",
    )
    month = data["busy_month"]
    report_floor = """
        SELECT o.status, o.source_channel, count(*), sum(o.total_amount)
        FROM orders_order o
        WHERE o.order_date >= %s::date AND o.order_date < (%s::date + interval '1 month')
        GROUP BY 1, 2
    """
    first = f"{month}-01"
    # "cold": computed for this request (?fresh=1, as after "recalculate"); the plain runs
    # after the warm-up read a past month's report from the cache (reports.selectors).
    for name, path, target, repeat in (
        ("monthly_report_cold", "/reports/monthly/?fresh=1&", "< 2 s", bench.repeat // 3),
        ("monthly_report_pdf_cold", "/reports/monthly.pdf?fresh=1&", "< 5 s", bench.repeat // 5),
        ("monthly_report", "/reports/monthly/?", "< 2 s", bench.repeat // 3),
        ("monthly_report_pdf", "/reports/monthly.pdf?", "< 5 s", bench.repeat // 5),
    ):
        bench.page(
            name,
            f"{path}month={month}",
            role="sales_manager",
            floor_sql=report_floor,
            floor_params=[first, first],
            target=target,
            repeat=max(3, repeat),
        )


# --- order entry at 5,000 and 100,000 products -----------------------------------------

ORDER_FORM_BENCHMARKS = ("order_form_5k_products", "order_form_100k_products", "product_search")
BENCH_PRODUCT_PREFIX = "BENCH-P"


def _top_up_products(total: int) -> int:
    """Add catalogue products (codes BENCH-P…) until there are ``total``; returns how many.

    Names, specs and pinyin initials like the real ones: the picker's search is timed on a
    catalogue it could meet, not on 95,000 copies of one word.
    """
    from decimal import Decimal

    from bench.generate import NOUNS
    from orders.models import Product

    have = _one("SELECT count(*) FROM orders_product")
    missing = max(0, total - have)
    start = _one(
        "SELECT count(*) FROM orders_product WHERE code LIKE %s", [f"{BENCH_PRODUCT_PREFIX}%"]
    )
    qualities = ["工业", "防爆", "高压", "低噪", "智能", "重型", "微型", "数控"]
    batch: list[Any] = []
    for n in range(start, start + missing):
        batch.append(
            Product(
                code=f"{BENCH_PRODUCT_PREFIX}{n:06d}",
                name=f"{qualities[n % len(qualities)]}{NOUNS[n % len(NOUNS)]} {n}",
                spec=f"型号-{n % 997:03d}/{n % 13}",
                unit="台",
                list_price=Decimal(100 + n % 9_000),
            )
        )
        if len(batch) == 5_000:
            Product.objects.bulk_create(batch)  # fills the pinyin initials
            batch = []
    if batch:
        Product.objects.bulk_create(batch)
    if missing:
        _analyze_products()
    return missing


def _analyze_products() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE orders_product")  # as autovacuum would: GIN lists merged


def _drop_bench_products() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM orders_product WHERE code LIKE %s", [f"{BENCH_PRODUCT_PREFIX}%"]
        )
    _analyze_products()


def run_order_form(bench: Bench, *, small: int, large: int) -> None:
    """The new-order page with ``small`` and ``large`` catalogues, and the picker's search.

    The page must not grow with the catalogue (no product is on it until one is searched);
    an answer over 80 KB counts as an error. The products added for it are deleted after.
    """
    if not any(bench.wanted(name) for name in ORDER_FORM_BENCHMARKS):
        return
    target = "< 80 KB, median < 80 ms"
    try:
        if bench.wanted("order_form_5k_products"):
            added = _top_up_products(small)
            count = _one("SELECT count(*) FROM orders_product")
            bench.page(
                "order_form_5k_products",
                "/orders/new/",
                role="sales_assistant",
                target=target,
                max_bytes=80 * 1024,
                note=f"/orders/new/ with {count:,} products ({added:,} added for the run)",
            )
        if bench.wanted("order_form_100k_products") or bench.wanted("product_search"):
            added = _top_up_products(large)
            count = _one("SELECT count(*) FROM orders_product")
            bench.page(
                "order_form_100k_products",
                "/orders/new/",
                role="sales_assistant",
                target=target,
                max_bytes=80 * 1024,
                note=f"/orders/new/ with {count:,} products ({added:,} added for the run)",
            )
            # What a user types: a code, a part of a name, a spec, pinyin initials (轴承 →
            # "zc", 智能电机 → "zndj"), one letter, and a word that matches nothing.
            code = _one("SELECT code FROM orders_product ORDER BY id LIMIT 1 OFFSET 77")
            terms = [code[:5], code, "轴承", "型号-88", "zc", "zndj", "b", "无此产品"]
            from urllib.parse import urlencode

            bench.page(
                "product_search",
                "/orders/product-search/",
                urls=[
                    "/orders/product-search/?" + urlencode({"product_q": term}) for term in terms
                ],
                role="sales_assistant",
                floor_sql="""
                    SELECT id, code, name, spec, unit, list_price FROM orders_product
                    WHERE is_active AND (UPPER(code) LIKE UPPER(%s) OR UPPER(name) LIKE UPPER(%s)
                        OR UPPER(spec) LIKE UPPER(%s) OR UPPER(pinyin_initials) LIKE UPPER(%s))
                    ORDER BY code LIMIT 10
                """,
                floor_params=["%zc%"] * 4,
                target="p95 < 80 ms",
                max_bytes=80 * 1024,
                note=f"the picker's search in {count:,} products, terms in turn: "
                + ", ".join(terms),
            )
    finally:
        _drop_bench_products()


# --- import ----------------------------------------------------------------------------


def run_import(bench: Bench, rows: int) -> None:
    if not bench.wanted("import_10k_rows"):
        return
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from orders.spreadsheets import imports as spreadsheet

    products = list(
        _rows("SELECT code, name, list_price FROM orders_product WHERE kind = 'goods' LIMIT 500")
    )
    customers = list(_rows("SELECT code, name FROM customers_customer ORDER BY id LIMIT 2000"))
    header = "订单编号,客户名称,客户编码,联系人,联系方式,下单日期,产品编码,产品/服务名称,数量,单价(元),付款方式,交付地址"
    lines = [header]
    per_order = 4
    today = datetime.now(UTC).date()
    for n in range(rows):
        order_no = n // per_order
        code, cname = customers[order_no % len(customers)]
        pcode, pname, price = products[n % len(products)]
        lines.append(
            f"IMP{today:%y%m}-{order_no:05d},{cname},{code},张经理,13800138000,"
            f"{today:%Y-%m-%d},{pcode},{pname},{1 + n % 9},{price},款到发货,上海市浦东新区1号"
        )
    data = ("\n".join(lines) + "\n").encode("utf-8")
    actor = bench.users["data_admin"]  # importing is the data admin's (or a manager's) step
    times = []
    queries = None
    problems = 0
    for attempt in range(max(1, min(3, bench.repeat))):
        start = time.perf_counter()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as ctx:
                plan, result = spreadsheet.import_file(io.BytesIO(data), "bench.csv", actor=actor)
            transaction.set_rollback(True)  # the next run imports the same rows again
        times.append((time.perf_counter() - start) * 1000)
        if attempt == 0:
            queries = len(ctx.captured_queries)
        if result is None:  # refused: an error of the benchmark, not a fast run
            problems = max(1, sum(1 for row in plan.rows if row.errors))
    bench._add(
        Result(
            "import_10k_rows",
            times,
            queries=queries,
            target="< 60 s",
            note=f"{rows:,} rows, {rows // per_order:,} orders: validate + write (rolled back)",
            errors=problems,
        )
    )


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


# --- the deadline scan ---------------------------------------------------------------


def run_scan(bench: Bench, open_clocks: int) -> None:
    """The minute's deadline scan over ``open_clocks`` open clocks, in two situations.

    ``deadline_scan``: normal operation — 100 clocks fell due since the last scan (at
    100,000 open clocks of a few working days each, a minute brings 20–30).
    ``deadline_scan_backlog``: 2,500 fell due at once (the workers were down for hours),
    each warned or breached and escalated — how fast the scan catches up.
    Everything runs in one transaction that is rolled back; each timed scan in a savepoint.
    """
    if not bench.wanted("deadline_scan"):
        return
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from core.services import sla_clocks_scan
    from orders.models import Order

    order_ct = ContentType.objects.get_for_model(Order).pk
    owner = bench.users["sales_assistant"].pk
    manager = bench.users["sales_manager"].pk
    floor_sql = """
        SELECT id FROM core_slaclock WHERE met_at IS NULL AND cancelled_at IS NULL
          AND ((warn_at <= now() AND due_at > now() AND reminded_at IS NULL)
               OR (due_at <= now() AND breached_at IS NULL))
        ORDER BY due_at, id LIMIT 200
    """
    with transaction.atomic():
        existing = _one(
            "SELECT count(*) FROM core_slaclock WHERE met_at IS NULL AND cancelled_at IS NULL"
        )
        missing = max(0, open_clocks - existing)
        # Top up to the wanted number of open clocks: delivery notices on archived orders,
        # due in the weeks ahead.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO core_slaclock (content_type_id, object_id, kind, owner_id,
                    escalate_to_id, started_at, due_at, warn_at, duration_unit, note)
                SELECT %s, o.id, 'delivery_notice', %s, %s, now() - interval '1 day',
                       now() + (1 + random() * 20) * interval '1 day', NULL, 'fixed', ''
                FROM (SELECT id FROM orders_order WHERE status = 'archived' ORDER BY id
                      LIMIT %s) o
                """,
                [order_ct, owner, manager, missing],
            )
        total_open = existing + missing
        # What the generated history left due is sent first, as the first scan would.
        sla_clocks_scan(max_batches=10_000)
        for name, due_now, target in (
            ("deadline_scan", 100, "< 1 s"),
            ("deadline_scan_backlog", 2_500, "(catch-up rate)"),
        ):
            situation = transaction.savepoint()
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    UPDATE core_slaclock SET due_at = now() - interval '1 minute'
                    WHERE id IN (SELECT id FROM core_slaclock
                                 WHERE met_at IS NULL AND cancelled_at IS NULL
                                   AND due_at > now() ORDER BY id DESC LIMIT %s)
                    """,
                    [due_now],
                )
            times = []
            counts: dict[str, int] = {}
            for attempt in range(max(2, min(5, bench.repeat))):
                run = transaction.savepoint()
                start = time.perf_counter()
                result = sla_clocks_scan(max_batches=10_000)
                times.append((time.perf_counter() - start) * 1000)
                transaction.savepoint_rollback(run)  # each run finds the same clocks due
                if attempt == 0:
                    counts = result.as_dict()
            floor = _floor(floor_sql, [], 3)
            transaction.savepoint_rollback(situation)
            per_second = sum(counts.values()) / (statistics.median(times) / 1000)
            bench._add(
                Result(
                    name,
                    times,
                    floor_ms=floor,
                    target=target,
                    note=f"{total_open:,} open clocks, {due_now:,} due; sent {counts}"
                    f" ({per_second:,.0f} notifications/s)",
                )
            )
        transaction.set_rollback(True)


# --- concurrency ---------------------------------------------------------------------


def _threads(n: int, work: Callable[[int], None]) -> tuple[list[float], list[str], float]:
    from django.db import connection

    barrier = threading.Barrier(n)
    times: list[float] = [0.0] * n
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            start = time.perf_counter()
            work(i)
            times[i] = (time.perf_counter() - start) * 1000
        except Exception as exc:  # counted and reported, the run goes on
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors, (time.perf_counter() - start) * 1000


def _clone_orders(n: int, *, status: str, actor_id: int, with_fulfillment: bool) -> list[int]:
    """Fresh orders for a destructive benchmark; deleted again by _drop_orders."""
    from decimal import Decimal

    from orders.models import Order, OrderLine

    template = Order.objects.filter(kind="goods", status="archived").order_by("-id").first()
    lines = list(OrderLine.objects.filter(order=template))
    ids = []
    for _ in range(n):
        order = Order(
            status=status,
            kind="goods",
            customer_id=template.customer_id,
            contact_name="张经理",
            contact_phone="13800138000",
            requested_delivery_date=datetime.now(UTC).date() + timedelta(days=30),
            payment_terms="prepaid",
            delivery_address="上海市浦东新区1号",
            owner_id=actor_id,
            created_by_id=actor_id,
            total_amount=template.total_amount,
            number=None,
        )
        order.save()
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                position=line.position,
                product_id=line.product_id,
                quantity=Decimal("1"),
                unit=line.unit,
                unit_price=line.unit_price,
            )
            for line in lines
        )
        if with_fulfillment:
            from fulfillment.models import FulfillmentLine, OrderFulfillment

            ful = OrderFulfillment.objects.create(
                order=order, warehouse_id=1, promised_date=order.requested_delivery_date
            )
            FulfillmentLine.objects.bulk_create(
                FulfillmentLine(fulfillment=ful, order_line=line, quantity=line.quantity)
                for line in order.lines.all()
            )
        ids.append(order.pk)
    return ids


def _drop_orders(ids: list[int]) -> None:
    """Delete benchmark orders with every row that points at them (raw SQL: PROTECT FKs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.confrelid IN ('orders_order'::regclass, "
            "'orders_orderline'::regclass, 'fulfillment_orderfulfillment'::regclass)"
        )
        refs = cursor.fetchall()
        cursor.execute("SET session_replication_role = replica")
        for table, column in refs:
            if table in ("orders_orderline", "fulfillment_orderfulfillment"):
                continue
            cursor.execute(
                f'DELETE FROM {table} WHERE "{column}" = ANY(%s) '  # noqa: S608 - catalogue names
                f'OR "{column}" IN (SELECT id FROM orders_orderline WHERE order_id = ANY(%s)) '
                f'OR "{column}" IN (SELECT id FROM fulfillment_orderfulfillment '
                f"WHERE order_id = ANY(%s))",
                [ids, ids, ids],
            )
        cursor.execute(
            "DELETE FROM core_slaclock WHERE object_id = ANY(%s) AND content_type_id = "
            "(SELECT id FROM django_content_type WHERE app_label='orders' AND model='order')",
            [ids],
        )
        cursor.execute("DELETE FROM fulfillment_orderfulfillment WHERE order_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM orders_orderline WHERE order_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM orders_order WHERE id = ANY(%s)", [ids])
        cursor.execute("SET session_replication_role = DEFAULT")


def run_concurrency(bench: Bench, n: int) -> None:
    from django.db import connection, transaction

    from orders.models import Order, OrderNumberCounter

    if bench.wanted("concurrent_submits"):
        from orders.services.orders import order_submit

        actor = bench.users["sales_assistant"]
        ids = _clone_orders(n, status="draft", actor_id=actor.pk, with_fulfillment=False)
        counters = dict(OrderNumberCounter.objects.values_list("period", "last_serial"))
        try:

            def submit(i: int) -> None:
                with transaction.atomic():
                    order = Order.objects.get(pk=ids[i])
                    order_submit(actor=actor, order=order, confirm_duplicate=True)

            times, errors, wall = _threads(n, submit)
            numbers = list(
                Order.objects.filter(pk__in=ids, number__isnull=False).values_list(
                    "number", flat=True
                )
            )
            duplicates = len(numbers) - len(set(numbers))
        finally:
            _drop_orders(ids)
            for period, last in counters.items():
                OrderNumberCounter.objects.filter(period=period).update(last_serial=last)
            OrderNumberCounter.objects.exclude(period__in=list(counters)).delete()
        bench._add(
            Result(
                f"concurrent_submits_{n}",
                times,
                target="0 errors, unique numbers",
                note=f"{n} threads; wall {wall:.0f} ms; {len(numbers)} numbered, "
                f"{duplicates} duplicates; errors: {errors[:2]}",
                errors=len(errors) + duplicates + (n - len(numbers)),
            )
        )
    if bench.wanted("concurrent_stock_confirm"):
        from fulfillment.models import StockLevel
        from fulfillment.services import fulfillment_confirm_stock

        actor = bench.users["warehouse"]
        ids = _clone_orders(n, status="confirmed", actor_id=actor.pk, with_fulfillment=True)
        stock = dict(StockLevel.objects.values_list("pk", "reserved"))
        try:

            def confirm(i: int) -> None:
                with transaction.atomic():
                    order = Order.objects.get(pk=ids[i])
                    statuses = {
                        line_id: "in_stock" for line_id in order.lines.values_list("pk", flat=True)
                    }
                    fulfillment_confirm_stock(
                        actor=actor,
                        order=order,
                        line_statuses=statuses,
                        deliverable_date=order.requested_delivery_date,
                    )

            times, errors, wall = _threads(n, confirm)
            confirmed = Order.objects.filter(pk__in=ids, status="preparing").count()
        finally:
            _drop_orders(ids)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE fulfillment_stocklevel s SET reserved = v.reserved "
                    "FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, reserved) "
                    "WHERE s.id = v.id AND s.reserved <> v.reserved",
                    [list(stock), [str(v) for v in stock.values()]],
                )
        bench._add(
            Result(
                f"concurrent_stock_confirm_{n}",
                times,
                target="0 errors",
                note=f"{n} threads, same template lines (shared stock rows); wall {wall:.0f} ms; "
                f"{confirmed} confirmed; errors: {errors[:2]}",
                errors=len(errors),
            )
        )


# --- the load test --------------------------------------------------------------------


def run_load_test(bench: Bench, *, users: int, seconds: int, workers: int) -> None:
    if not bench.wanted("load_test"):
        return
    from bench.loadtest import run_load_test as load

    result = load(users=users, seconds=seconds, workers=workers)
    slowest = sorted(result["pages"].items(), key=lambda kv: -kv[1]["p95"])[:3]
    bench._add(
        Result(
            f"load_test_{users}_users",
            [],
            target="0 errors",
            note=f"{result['requests']:,} requests in {seconds} s = {result['rps']:.1f} req/s "
            f"against gunicorn ({workers} workers) on loopback, {result['tool']}; slowest p95: "
            + ", ".join(f"{name} {page['p95']:.0f} ms" for name, page in slowest),
            errors=result["errors"],
            given_median=result["median"],
            given_p95=result["p95"],
        )
    )


# --- report -------------------------------------------------------------------------------


def write_results(bench: Bench, *, path: Path, context: dict[str, Any]) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (bench/run.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Data: {context['orders']:,} orders, {context['lines']:,} lines, "
        f"{context['events']:,} timeline events, {context['clocks']:,} clocks "
        f"({context['open_clocks']:,} open) in `{context['database']}`; "
        f"{context['cpus']} CPU cores; {bench.repeat} timed runs per page.",
        "",
        "Times in milliseconds. *Floor* is the hand-written SQL that fetches the same rows, "
        "timed in the same run; *ratio* = median / floor. *SQL* is the time the page's own "
        "queries took in one request (*SQL ratio* = SQL / floor): the rest of a page's time "
        "is Python and the template. Query counts are SQL statements per request (or per "
        "operation).",
        "",
        "| benchmark | median | p95 | queries | SQL | floor | ratio | SQL ratio | errors "
        "| target | what |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in bench.results:
        sql_ratio = r.sql_ms / r.floor_ms if r.sql_ms is not None and r.floor_ms else None
        lines.append(
            f"| {r.name} | {r.median:.1f} | {r.p95:.1f} | "
            f"{'' if r.queries is None else r.queries} | "
            f"{'' if r.sql_ms is None else f'{r.sql_ms:.1f}'} | "
            f"{'' if r.floor_ms is None else f'{r.floor_ms:.1f}'} | "
            f"{'' if r.ratio is None else f'{r.ratio:.1f}×'} | "
            f"{'' if sql_ratio is None else f'{sql_ratio:.1f}×'} | {r.errors} | {r.target} | "
            f"{r.note.replace('|', '/')} |"
        )
    lines += [
        "",
        "What was changed to reach these numbers, and why: [NOTES.md](NOTES.md).",
        "",
    ]
    # The backtest section (bench/backtest.py) is kept: it is written by its own run.
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    begin, end = previous.find("<!-- backtest -->"), previous.find("<!-- /backtest -->")
    if begin != -1 and end != -1:
        lines += ["", previous[begin : end + len("<!-- /backtest -->")], ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> Bench:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", action="append", help="run only these benchmarks")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--form-products", type=int, default=5_000)
    parser.add_argument("--form-products-large", type=int, default=100_000)
    parser.add_argument("--open-clocks", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--load-users", type=int, default=50)
    parser.add_argument("--load-seconds", type=int, default=120)
    parser.add_argument("--load-workers", type=int, default=5)
    parser.add_argument("--no-load-test", action="store_true")
    parser.add_argument("--api-clients", type=int, default=100, help="API load test clients")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args(argv)
    setup_django(allow_any_database=args.allow_any_database)
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    return run_all(args)


def run_all(args: Any) -> Bench:
    from django.conf import settings

    bench = Bench(repeat=args.repeat, only=set(args.only) if args.only else None, quick=False)
    data = bench.pick()
    print(f"parameters: {data}", flush=True)
    run_pages(bench, data)
    run_order_form(bench, small=args.form_products, large=args.form_products_large)
    run_import(bench, args.import_rows)
    run_scan(bench, args.open_clocks)
    run_concurrency(bench, args.concurrency)
    from bench.api import run_api

    run_api(
        bench,
        load_clients=args.api_clients,
        load_seconds=args.load_seconds,
        load_workers=args.load_workers,
        load_test=not args.no_load_test or bool(args.only and "api_load_test" in args.only),
    )
    if not args.no_load_test:
        run_load_test(
            bench, users=args.load_users, seconds=args.load_seconds, workers=args.load_workers
        )
    context = {
        "orders": _one("SELECT count(*) FROM orders_order"),
        "lines": _one("SELECT count(*) FROM orders_orderline"),
        "events": _one("SELECT count(*) FROM orders_orderevent"),
        "clocks": _one("SELECT count(*) FROM core_slaclock"),
        "open_clocks": _one(
            "SELECT count(*) FROM core_slaclock WHERE met_at IS NULL AND cancelled_at IS NULL"
        ),
        "database": settings.DATABASES["default"]["NAME"],
        "cpus": os.cpu_count(),
    }
    if args.output:
        write_results(bench, path=args.output, context=context)
    return bench


if __name__ == "__main__":
    main()
