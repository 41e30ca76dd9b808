"""Thirty warehouse confirmations race for ten units on PostgreSQL."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from fulfillment import services
from fulfillment.exceptions import NotEnoughStock
from fulfillment.models import FulfillmentLine, StockLevel
from fulfillment.tests.conftest import ledger_matches, make_order, put_stock

pytestmark = pytest.mark.django_db(transaction=True)


def test_thirty_concurrent_confirmations_reserve_at_most_ten_units(
    assistant, keeper, beijing, server_a
):
    assert connection.vendor == "postgresql"
    level = put_stock(beijing, server_a, 10)
    orders = [make_order(assistant, server_a, 1) for _ in range(30)]
    day = timezone.localdate() + timedelta(days=10)
    barrier = threading.Barrier(30)
    results: list[str] = []
    lock = threading.Lock()

    def confirm(order):
        close_old_connections()
        try:
            barrier.wait()
            services.fulfillment_confirm_stock(
                actor=keeper,
                order=order,
                line_statuses={order.lines.get().pk: "in_stock"},
                deliverable_date=day,
            )
            outcome = "ok"
        except NotEnoughStock as exc:
            outcome = str(exc.message)
        except Exception as exc:  # anything else is a failure of the test
            outcome = f"ERROR {exc!r}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=confirm, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 30
    assert not [r for r in results if r.startswith("ERROR")], results
    assert results.count("ok") == 10
    refused = [r for r in results if r != "ok"]
    assert len(refused) == 20
    assert all("服务器A型" in r or "Server" in r or "S-001" in r for r in refused)
    level.refresh_from_db()
    assert level.on_hand == Decimal("10")
    assert level.reserved == Decimal("10")
    assert ledger_matches(level)
    assert sum(f.reserved for f in FulfillmentLine.objects.all()) == Decimal("10")
    assert StockLevel.objects.filter(reserved__gt=models_F("on_hand")).count() == 0


def models_F(name):
    from django.db.models import F

    return F(name)


def test_thirty_concurrent_allocations_reserve_at_most_ten_units(assistant, beijing, server_a):
    """The same race through the approval's path (its hook allocates: fulfillment.allocate)."""
    level = put_stock(beijing, server_a, 10)
    orders = [make_order(assistant, server_a, 1) for _ in range(30)]
    barrier = threading.Barrier(30)

    def allocate(order):
        close_old_connections()
        try:
            barrier.wait()
            services.fulfillment_allocate(order=order)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.refresh_from_db()
    assert level.reserved == Decimal("10")
    assert FulfillmentLine.objects.filter(reserved=1).count() == 10
    assert FulfillmentLine.objects.count() == 30
    assert ledger_matches(level)
