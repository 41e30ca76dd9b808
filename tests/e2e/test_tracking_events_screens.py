"""A carrier's tracking events on the pages: the order's fulfillment page (logistics) and
the customer's tracking page on a phone. Screenshots into test-artifacts/tracking-*.png."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customer_portal.services import link_send
from fulfillment.models import Shipment, ShipmentLine
from fulfillment.tracking import tracking_event_record
from orders.models import OrderStatus
from tests.e2e.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    ContactFactory,
    OrderFactory,
    OrderLineFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_tracking_events_on_the_order_page_and_the_customer_page(browser, live_server, login, page):
    ARTIFACTS.mkdir(exist_ok=True)
    owner = UserFactory(username="owner", roles=["sales_assistant"])
    shipper = UserFactory(username="shipper", roles=["logistics"])
    order = OrderFactory(
        owner=owner, created_by=owner, status=OrderStatus.SHIPPED, number="202611-099"
    )
    line = OrderLineFactory(order=order, quantity=Decimal("2"))
    contact = ContactFactory(customer=order.customer, name="王经理", mobile="13912345678")
    shipment = Shipment.objects.create(
        order=order,
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1234567890",
        eta=timezone.localdate() + timedelta(days=1),
        shipped_by=shipper,
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=Decimal("2"))
    now = timezone.now()
    for n, (status, location, text) in enumerate(
        [
            ("picked_up", "深圳南山营业部", "快件已揽收"),
            ("in_transit", "上海转运中心", "快件已到达【上海转运中心】"),
            ("out_for_delivery", "上海浦东新区", "快递员正在派送，电话 138****0000"),
            ("exception", "上海浦东新区", "客户不在，改日派送"),
        ]
    ):
        tracking_event_record(
            actor=shipper,
            shipment=shipment,
            status=status,
            occurred_at=now - timedelta(hours=8 - 2 * n),
            external_id=f"EV-{n}",
            location=location,
            description=text,
        )

    login("shipper", PASSWORD)
    page.goto(f"{live_server.url}/fulfillment/orders/{order.pk}/")
    expect(page.get_by_test_id("tracking-event")).to_have_count(4)
    page.get_by_test_id("shipments").screenshot(path=str(ARTIFACTS / "tracking-order-page.png"))

    link = link_send(actor=owner, order=order, contact=contact)
    phone = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        device_scale_factor=2,
        locale="zh-CN",
    ).new_page()
    phone.goto(live_server.url + link.get_absolute_url())
    expect(phone.get_by_test_id("tracking-event")).to_have_count(3)
    phone.screenshot(path=str(ARTIFACTS / "tracking-customer-page.png"), full_page=True)
