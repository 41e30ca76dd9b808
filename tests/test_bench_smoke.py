"""CI smoke run of the benchmark suite: it still runs; no timing is asserted.

Generates a tiny data set into the test database and runs every benchmark once,
load test included (a few seconds against gunicorn on the test database).
"""

from __future__ import annotations

import pytest

from bench import generate, run

pytestmark = pytest.mark.django_db(transaction=True)

BENCHMARKS = {
    "list_first_page",
    "list_first_page_busy",
    "list_status_tab",
    "list_customer_filter",
    "list_deep_page_500",
    "list_search_number",
    "list_search_customer",
    "list_search_product",
    "order_detail",
    "order_form_5k_products",
    "order_form_100k_products",
    "product_search",
    "approval_inbox",
    "my_work_assistant",
    "my_work_manager",
    "warehouse_work",
    "monthly_report",
    "monthly_report_cold",
    "monthly_report_pdf_cold",
    "monthly_report_pdf",
    "import_10k_rows",
    "deadline_scan",
    "deadline_scan_backlog",
    "concurrent_submits_5",
    "concurrent_stock_confirm_5",
    "load_test_5_users",
    "api_order_list_keyset",
    "api_sync_10000",
    "api_order_create",
    "api_load_5_clients",
}


def test_every_benchmark_runs_on_a_small_data_set(tmp_path) -> None:
    stats = generate.generate(orders=2_000, customers=300, products=200, seed=1)
    assert stats["orders"] == 2_000
    assert stats["rows"]["orders_orderline"] >= 2_000
    assert len(stats["statuses"]) >= 10  # the pipeline, not only archived orders
    # The load bypasses the triggers; the list's status counters are rebuilt after it.
    from django.db.models import Sum

    from orders.models import OrderStatusCount

    counted = dict(OrderStatusCount.objects.values_list("status").annotate(n=Sum("n")))
    assert counted == stats["statuses"]

    output = tmp_path / "RESULTS.md"
    bench = run.main(
        [
            "--repeat",
            "1",
            "--import-rows",
            "200",
            "--form-products",
            "300",
            "--form-products-large",
            "1000",
            "--open-clocks",
            "2000",
            "--concurrency",
            "5",
            "--load-users",
            "5",
            "--load-seconds",
            "5",
            "--load-workers",
            "2",
            "--api-clients",
            "5",
            "--output",
            str(output),
        ]
    )

    names = {result.name for result in bench.results}
    assert names == BENCHMARKS
    for result in bench.results:
        assert result.errors == 0, (result.name, result.note)
    assert "| list_first_page |" in output.read_text(encoding="utf-8")
    # The order-form rows add products for their run and take them away again.
    from orders.models import Product

    assert Product.objects.count() == 200
    form = next(result for result in bench.results if result.name == "order_form_100k_products")
    assert "1,000 products" in form.note and form.extra["bytes"] < 80 * 1024
