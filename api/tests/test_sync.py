"""Keyset pagination and incremental sync of orders, customers and products."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_the_order_list_pages_by_cursor_newest_first_without_gaps_or_repeats(api_client_for):
    orders = [OrderFactory() for _ in range(7)]
    erp = api_client_for("sales_manager")
    seen, cursor = [], None
    while True:
        body = erp.get(
            "/api/v1/orders/", {"limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = list(Order.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert seen == expected and len(seen) == len(orders)


def test_updated_since_lists_what_changed_oldest_change_first(api_client_for):
    old, changed, newer = OrderFactory(), OrderFactory(), OrderFactory()
    past = timezone.now() - timedelta(days=2)
    Order.objects.filter(pk=old.pk).update(updated_at=past)
    since = timezone.now() - timedelta(hours=1)
    Order.objects.filter(pk=changed.pk).update(updated_at=timezone.now() - timedelta(minutes=30))
    erp = api_client_for("sales_manager")

    body = erp.get("/api/v1/orders/", {"updated_since": since.isoformat()}).json()

    assert [row["id"] for row in body["items"]] == [changed.pk, newer.pk]


def test_products_sync_and_a_bad_cursor_is_a_400_problem(api_client_for):
    ProductFactory()
    erp = api_client_for("sales_manager")
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    assert len(erp.get("/api/v1/products/", {"updated_since": since}).json()["items"]) == 1

    refused = erp.get("/api/v1/orders/", {"cursor": "not-a-cursor"})
    assert refused.status_code == 400
    assert refused.json()["errors"]["cursor"]
