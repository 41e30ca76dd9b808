"""10,000 rows: validated with cached lookups and written in batches, in bounded time and queries."""

from __future__ import annotations

import io
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderEventKind, OrderLine
from orders.services.orders import order_number_next
from orders.spreadsheets import imports
from orders.tests.test_import_helpers import catalog, sheet_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_10000_rows_validate_and_write(make_user):
    actor = make_user("data_admin")
    catalog()
    rows = []
    for i in range(10_000):
        # 4 lines per order: 2,500 orders over two months.
        n = i // 4
        month = 5 + n // 1250
        rows.append(
            sheet_row(
                f"2024{month:02d}-{n % 1250 + 1:03d}", quantity=1 + i % 4, amount=5000 * (1 + i % 4)
            )
        )
    data = xlsx_bytes(rows)

    started = time.perf_counter()
    sheet = imports.read_sheet(io.BytesIO(data), "big.xlsx")
    read_done = time.perf_counter()
    with CaptureQueriesContext(connection) as planning:
        plan = imports.plan_import(sheet, actor=actor)
    plan_done = time.perf_counter()
    assert plan.is_clean and len(plan.rows) == 10_000
    with CaptureQueriesContext(connection) as writing:
        result = imports.import_write(
            plan, actor=actor, create_missing=False, source_name="big.xlsx"
        )
    write_done = time.perf_counter()

    assert result.created == 2_500 and result.lines == 10_000
    assert Order.objects.count() == 2_500 and OrderLine.objects.count() == 10_000
    assert Order.objects.filter(events__kind=OrderEventKind.IMPORTED).count() == 2_500
    assert (
        order_number_next(on=Order.objects.get(number="202406-001").order_date.replace(month=6))
        == "202406-1251"
    )
    # Lookups are cached: the query count does not grow with the rows.
    assert len(planning.captured_queries) < 20
    assert len(writing.captured_queries) < 60
    timing = (
        f"10,000 rows: read {read_done - started:.2f}s, validate {plan_done - read_done:.2f}s, "
        f"write {write_done - plan_done:.2f}s, total {write_done - started:.2f}s; "
        f"queries validate={len(planning.captured_queries)} write={len(writing.captured_queries)}"
    )
    print(timing)
    assert write_done - started < 120
