"""The tracking page: the order in the customer's words, production progress, each shipment
of a partial delivery apart, live updates, the language, the weight of every page."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.utils import timezone

from core.models import OutboxMessage
from customer_portal.channels import SMS_KIND
from customer_portal.models import CustomerLink, DeliveryRiskOffer
from customer_portal.selectors import STATUS_STAGE
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 150 * 1024


@pytest.fixture(autouse=True)
def _clean_cache():  # type: ignore[no-untyped-def]
    cache.clear()


def stage_of(html: str) -> str:
    match = re.search(r'data-testid="live" data-stage="(\w+)"', html)
    assert match, html[:500]
    return match.group(1)


@pytest.mark.parametrize(("status", "stage"), sorted(STATUS_STAGE.items()))
def test_every_status_in_the_customers_words(world, status, stage):
    Order.objects.filter(pk=world.order.pk).update(status=status)
    html = world.client().get(world.url + "?lang=en").content.decode()
    assert stage_of(html) == stage
    assert 'aria-current="step"' in html


def test_cancelled_order_says_so(world):
    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.CANCELLED)
    html = world.client().get(world.url + "?lang=en").content.decode()
    assert stage_of(html) == "cancelled"
    assert "was cancelled" in html


def _shipments(world):  # type: ignore[no-untyped-def]
    from fulfillment.models import OrderFulfillment, ProgressEntry, Shipment, ShipmentLine

    order = world.order
    OrderFulfillment.objects.create(
        order=order, promised_date=timezone.localdate() + timedelta(days=6)
    )
    today = timezone.localdate()
    ProgressEntry.objects.create(
        order=order,
        stage="production",
        owner=world.owner,
        recorded_by=world.owner,
        planned_end=today,
        actual_end=today,
    )
    ProgressEntry.objects.create(
        order=order,
        stage="qc",
        owner=world.owner,
        recorded_by=world.owner,
        planned_end=today + timedelta(days=2),
    )
    first, second = order.lines.all()
    for n, (carrier, number, line, qty) in enumerate(
        [("顺丰速运", "SF1001", first, Decimal("1")), ("德邦物流", "DB2002", second, Decimal("1"))],
        start=1,
    ):
        shipment = Shipment.objects.create(
            order=order,
            sequence=n,
            carrier=carrier,
            method="express",
            tracking_number=number,
            eta=today + timedelta(days=n),
            shipped_by=world.owner,
        )
        ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=qty)


def test_production_progress(world):
    _shipments(world)
    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.PREPARING)
    html = world.client().get(world.url + "?lang=en").content.decode()
    assert 'aria-valuenow="50"' in html  # one of two stages finished
    assert "50% done" in html
    assert "Production" in html and "Quality check" in html


def test_each_shipment_of_a_partial_delivery_apart(world):
    _shipments(world)
    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.READY_TO_SHIP)
    html = world.client().get(world.url).content.decode()
    cards = re.findall(r'data-testid="shipment" data-sequence="(\d)"', html)
    assert cards == ["1", "2"]
    first, second = html.split('data-sequence="1"')[1].split('data-sequence="2"')
    assert "顺丰速运" in first and "SF1001" in first and "数控机床" in first
    assert "德邦物流" in second and "DB2002" in second and "刀塔" in second
    eta = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert eta in second


def test_the_open_page_updates_itself(world):
    client = world.client()
    html = client.get(world.url).content.decode()
    assert re.search(r'hx-get="[^"]+/status/" hx-trigger="every \d+s"', html)
    assert "/static/vendor/htmx/htmx.min.js" in html
    opened = CustomerLink.objects.get(pk=world.link.pk).opened_count

    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.SHIPPED)
    fragment = client.get(world.url + "status/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert stage_of(fragment.content.decode()) == "shipped"
    assert "<html" not in fragment.content.decode()  # just the fragment
    # A poll is no opening.
    assert CustomerLink.objects.get(pk=world.link.pk).opened_count == opened


def test_a_polling_page_whose_link_was_revoked_reloads_into_the_404(world):
    CustomerLink.objects.filter(pk=world.link.pk).update(revoked_at=timezone.now())
    response = world.client().get(world.url + "status/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404 and response["HX-Refresh"] == "true"


def test_chinese_by_default_english_on_request_and_kept(world):
    client = world.client()
    html = client.get(world.url, HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert '<html lang="zh-CN">' in html
    html = client.get(world.url + "?lang=en").content.decode()
    assert '<html lang="en">' in html and 'data-testid="lang-zh"' in html
    html = client.get(world.url).content.decode()
    assert '<html lang="en">' in html  # kept in the cookie
    html = client.get(world.url + "?lang=zh-hans").content.decode()
    assert '<html lang="zh-CN">' in html


def test_opening_is_recorded_on_the_link(world):
    world.client(ip="203.0.113.44").get(world.url)
    link = CustomerLink.objects.get(pk=world.link.pk)
    assert link.opened_count == 1 and link.last_ip == "203.0.113.44"
    assert "iPhone" in link.last_user_agent and link.first_opened_at is not None


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="/static/([^"?#]+)"', html)


def test_every_customer_page_is_under_150_kb_with_its_assets(world):
    """Page + stylesheet + scripts + icon, as sent (uncompressed): under 150 KB each."""
    _shipments(world)
    DeliveryRiskOffer.objects.create(
        order=world.order,
        promised_date=timezone.localdate() + timedelta(days=2),
        new_date=timezone.localdate() + timedelta(days=4),
        coupon_amount=Decimal("200"),
        warranty_months=6,
    )
    client = world.client()
    checked = {}
    for suffix in ("", "status/", "confirm/", "risk/"):
        response = client.get(world.url + suffix)
        assert response.status_code == 200, suffix
        html = response.content.decode()
        total = len(response.content)
        for asset in _assets(html):
            path = finders.find(asset)
            assert path, asset
            with open(path, "rb") as handle:
                total += len(handle.read())
        checked[suffix] = total
        assert total < PAGE_BUDGET, (suffix, total)
    assert "bootstrap" not in str(_assets(client.get(world.url).content.decode()))
    assert len(checked) == 4


def test_customer_facing_steps_resend_the_link(world, make_user):
    from core.actions import perform

    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.SHIPPED)
    before = OutboxMessage.objects.filter(kind=SMS_KIND).count()
    perform(
        "fulfillment.deliver",
        actor=make_user("logistics"),
        obj=Order.objects.get(pk=world.order.pk),
    )
    sms = OutboxMessage.objects.filter(kind=SMS_KIND).order_by("-pk")
    assert sms.count() == before + 1
    message = sms.first()
    assert message.payload["to"] == "13912345678"
    assert message.payload["template"] == "update"
    assert world.link.get_absolute_url() in message.payload["params"]["url"]
