"""The API's benchmarks (``python -m bench.run --only api_…``), rows of bench/RESULTS.md:

* ``api_order_list_keyset`` — GET /api/v1/orders/ with a cursor at depths from the first
  page to the last of a million orders (the cursor of row N is built from the row itself,
  as a client that paged there would hold it); target p95 < 100 ms at any depth;
* ``api_sync_10000`` — an ERP pulls the 10,000 most recently changed orders with
  ``updated_since`` and ``next_cursor`` (500 a page); target < 10 s in all;
* ``api_order_create`` — POST /api/v1/orders/ (a draft with two lines, with an
  Idempotency-Key); target p95 < 150 ms; the drafts are deleted after;
* ``api_load_100_clients`` (``--only api_load_test``) — 100 API clients, each with its own key, for 2 minutes against
  gunicorn (bench/api_locustfile.py): lists, pages, order pages, sync, drafts; 0 errors.

Requests go through Django's test client in this process (the load test through gunicorn
on loopback), with the key in ``Authorization`` as an integrator sends it.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

LOAD_CLIENTS = 100


def _client_key(name: str, roles: list[str]) -> str:
    """A key of the bench API client ``name`` (made on first use; a new key every run)."""
    from api.keys import api_client_create, api_key_rotate
    from api.models import ApiClient

    client = ApiClient.objects.filter(name=name).first()
    if client is None:
        _client, key = api_client_create(name=name, roles_=roles, rate_limit=100_000)
        return key
    return api_key_rotate(client=client)


def _http(key: str) -> Any:
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def run_api(
    bench: Any,
    *,
    load_clients: int = LOAD_CLIENTS,
    load_seconds: int = 120,
    load_workers: int = 5,
    load_test: bool = True,
) -> None:
    from bench.run import Result, _one, _timed

    names = ("api_order_list_keyset", "api_sync_10000", "api_order_create", "api_load_test")
    if not any(bench.wanted(n) for n in names):
        return
    reader = _http(_client_key("bench-api-reader", ["sales_manager"]))

    if bench.wanted("api_order_list_keyset"):
        from api.pagination import _encode
        from orders.models import Order

        total = _one("SELECT count(*) FROM orders_order")
        depths = sorted(
            {d for d in (0, 1_000, 10_000, 100_000, total // 2, max(0, total - 100)) if d < total}
        )
        urls = []
        for depth in depths:
            if depth == 0:
                urls.append("/api/v1/orders/?limit=50")
                continue
            row = (
                Order.objects.order_by("-created_at", "-pk")
                .values_list("created_at", "pk")[depth - 1 : depth]
                .first()
            )
            if row:
                urls.append(
                    f"/api/v1/orders/?limit=50&cursor={_encode('created_at', row[0], row[1])}"
                )
        errors = 0
        times: list[float] = []
        per_depth = []
        for url in urls:

            def fetch(url: str = url) -> None:
                nonlocal errors
                response = reader.get(url)
                if response.status_code != 200 or len(response.json()["items"]) == 0:
                    errors += 1

            t = _timed(fetch, bench.repeat)
            times += t
            per_depth.append(sorted(t)[int(0.95 * (len(t) - 1))])
        bench._add(
            Result(
                "api_order_list_keyset",
                times,
                target="p95 < 100 ms at any depth",
                note="GET /api/v1/orders/?limit=50&cursor=… at rows "
                + ", ".join(f"{d:,}" for d in depths)
                + " of "
                + f"{total:,}; p95 per depth: "
                + ", ".join(f"{p:.0f}" for p in per_depth)
                + " ms",
                errors=errors,
            )
        )

    if bench.wanted("api_sync_10000"):
        wanted = min(10_000, _one("SELECT count(*) FROM orders_order"))
        since = _one(
            "SELECT updated_at FROM orders_order ORDER BY updated_at DESC, id DESC "
            "OFFSET %s LIMIT 1",
            [wanted - 1],
        )
        pages = rows = errors = 0
        start = time.perf_counter()
        url = f"/api/v1/orders/?limit=500&updated_since={since.isoformat().replace('+', '%2B')}"
        cursor = None
        while True:
            response = reader.get(url + (f"&cursor={cursor}" if cursor else ""))
            if response.status_code != 200:
                errors += 1
                break
            body = response.json()
            pages += 1
            rows += len(body["items"])
            cursor = body["next_cursor"]
            if not cursor:
                break
        wall = (time.perf_counter() - start) * 1000
        bench._add(
            Result(
                "api_sync_10000",
                [wall],
                target="10,000 changed orders < 10 s",
                note=f"updated_since + next_cursor, 500 a page: {rows:,} orders in {pages} pages",
                errors=errors + (0 if rows >= wanted else 1),
            )
        )

    if bench.wanted("api_order_create"):
        from bench.run import _drop_orders
        from orders.models import Order

        writer = _http(_client_key("bench-api-writer", ["sales_assistant"]))
        customer = _one("SELECT id FROM customers_customer WHERE is_active ORDER BY id LIMIT 1")
        products = [
            r[0]
            for r in _rows_of(
                "SELECT id FROM orders_product WHERE is_active AND kind = 'goods' ORDER BY id LIMIT 2"
            )
        ]
        body = json.dumps(
            {
                "customer_id": customer,
                "contact_name": "张经理",
                "contact_phone": "13800138000",
                "requested_delivery_date": "2031-06-30",
                "payment_terms": "net_30",
                "delivery_address": "上海市浦东新区张江路88号",
                "delivery_postcode": "201203",
                "lines": [
                    {"product_id": p, "quantity": "2", "unit_price": "1200.00"} for p in products
                ],
            }
        )
        errors = 0
        created: list[int] = []

        def create() -> None:
            nonlocal errors
            response = writer.post(
                "/api/v1/orders/",
                body,
                content_type="application/json",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            if response.status_code != 201:
                errors += 1
            else:
                created.append(response.json()["id"])

        try:
            times = _timed(create, bench.repeat)
        finally:
            _drop_orders(created)
        bench._add(
            Result(
                "api_order_create",
                times,
                target="p95 < 150 ms",
                note="POST /api/v1/orders/ (draft, 2 lines, Idempotency-Key); through order.create",
                errors=errors,
            )
        )
        assert not Order.objects.filter(pk__in=created).exists()

    if bench.wanted("api_load_test") and load_test:
        run_api_load(bench, clients=load_clients, seconds=load_seconds, workers=load_workers)


def _rows_of(sql: str, params: list[Any] | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def run_api_load(bench: Any, *, clients: int, seconds: int, workers: int) -> None:
    from bench.loadtest import run_load_test as load
    from bench.run import Result, _drop_orders

    keys = [_client_key(f"bench-api-load-{i}", ["sales_assistant"]) for i in range(clients)]
    started = _rows_of("SELECT coalesce(max(id), 0) FROM orders_order")[0][0]
    try:
        result = load(
            users=clients,
            seconds=seconds,
            workers=workers,
            locustfile="api_locustfile.py",
            extra_env={"BENCH_API_KEYS": ",".join(keys)},
        )
    finally:
        made = [
            r[0]
            for r in _rows_of(
                "SELECT o.id FROM orders_order o JOIN api_apiclient c ON c.user_id = o.created_by_id "
                "WHERE o.id > %s AND c.name LIKE 'bench-api-load-%%'",
                [started],
            )
        ]
        if made:
            _drop_orders(made)
    slowest = sorted(result["pages"].items(), key=lambda kv: -kv[1]["p95"])[:3]
    bench._add(
        Result(
            f"api_load_{clients}_clients",
            [],
            target="0 errors",
            note=f"{clients} API clients (own keys), {result['requests']:,} requests in "
            f"{seconds} s = {result['rps']:.1f} req/s against gunicorn ({workers} workers); "
            "slowest p95: " + ", ".join(f"{n} {p['p95']:.0f} ms" for n, p in slowest),
            errors=result["errors"],
            given_median=result["median"],
            given_p95=result["p95"],
        )
    )
