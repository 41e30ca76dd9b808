"""A past month's report comes from the cache until someone recalculates it; this month is live."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import selectors as reports
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

URL = reverse("reports:monthly")


def _orders_figure(response) -> int:  # type: ignore[no-untyped-def]
    return response.context["report"].totals.orders


def _past_month() -> date:
    today = timezone.localdate()
    return date(today.year - 1, today.month, 10)


def test_a_past_month_is_computed_once_and_recalculated_on_request(role_client):
    client = role_client("sales_manager")
    day = _past_month()
    month = day.strftime("%Y-%m")
    OrderFactory(order_date=day, status="completed", total_amount=Decimal("100.00"))
    first = client.get(URL, {"month": month})
    assert _orders_figure(first) == 1
    assert 'data-testid="computed-at"' in first.content.decode()

    OrderFactory(order_date=day, status="completed", total_amount=Decimal("50.00"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        again = client.get(URL, {"month": month})
    assert _orders_figure(again) == 1  # the cached figures, with their time shown
    assert again.context["report"].computed_at == first.context["report"].computed_at
    assert not [q for q in ctx.captured_queries if "orders_orderevent" in q["sql"]]

    fresh = client.get(URL, {"month": month, "fresh": "1"})
    assert _orders_figure(fresh) == 2
    assert _orders_figure(client.get(URL, {"month": month})) == 2


def test_the_current_month_is_always_live(role_client):
    client = role_client("sales_manager")
    today = timezone.localdate()
    OrderFactory(order_date=today, status="completed")
    assert _orders_figure(client.get(URL)) == 1
    OrderFactory(order_date=today, status="completed")
    assert _orders_figure(client.get(URL)) == 2


def test_a_broken_cache_only_makes_the_report_slower(role_client, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("cache server is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    day = _past_month()
    OrderFactory(order_date=day, status="completed")
    response = role_client("sales_manager").get(URL, {"month": day.strftime("%Y-%m")})
    assert response.status_code == 200
    assert _orders_figure(response) == 1


def test_the_pdf_uses_the_same_cached_figures(role_client, monkeypatch):
    client = role_client("sales_manager")
    day = _past_month()
    OrderFactory(order_date=day, status="completed")
    client.get(URL, {"month": day.strftime("%Y-%m")})
    calls = []
    real = reports.monthly_report
    monkeypatch.setattr(reports, "monthly_report", lambda **kw: calls.append(kw) or real(**kw))
    response = client.get(reverse("reports:monthly_pdf"), {"month": day.strftime("%Y-%m")})
    assert response.status_code == 200
    assert calls == []
