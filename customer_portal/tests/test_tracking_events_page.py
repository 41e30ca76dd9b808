"""The customer's tracking page shows each shipment's latest carrier events (the three
newest), in the customer's language, in as many queries with one event as with many."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customer_portal.tests.test_tracking import _shipments
from fulfillment.models import Shipment
from fulfillment.tracking import tracking_event_record
from orders.models import Order, OrderStatus
from tests.factories import UserFactory


def _post(shipment, n, status="in_transit", **kwargs):  # type: ignore[no-untyped-def]
    carrier = UserFactory(username=f"carrier{shipment.pk}-{n}", roles=["logistics"])
    return tracking_event_record(
        actor=carrier,
        shipment=shipment,
        status=status,
        occurred_at=timezone.now() - timedelta(hours=10 - n),
        external_id=f"EV-{n}",
        **kwargs,
    )


def _events(html: str) -> list[str]:
    return re.findall(r'data-testid="tracking-event" data-status="([a-z_]+)"', html)


def test_each_shipment_shows_its_latest_events(world):  # type: ignore[no-untyped-def]
    _shipments(world)
    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.SHIPPED)
    first, second = Shipment.objects.filter(order=world.order).order_by("sequence")
    _post(first, 1, location="深圳", description="快件已揽收", status="picked_up")
    client = world.client()
    client.get(world.url + "?lang=en")  # the first visit records the opening
    with CaptureQueriesContext(connection) as one:
        html = client.get(world.url + "status/", HTTP_HX_REQUEST="true").content.decode()
    assert _events(html) == ["picked_up"]
    assert "快件已揽收" in html and "深圳" in html

    _post(first, 2, location="上海转运中心")
    _post(first, 3, status="out_for_delivery", location="上海浦东")
    _post(first, 4, status="exception", description="客户不在，改日派送")
    _post(second, 1, status="delivered", location="客户仓库")
    with CaptureQueriesContext(connection) as many:
        html = client.get(world.url + "status/", HTTP_HX_REQUEST="true").content.decode()
    card_1, card_2 = html.split('data-sequence="1"')[1].split('data-sequence="2"')
    # The three newest of shipment 1, newest first; the picking-up is no longer shown.
    assert _events(card_1) == ["exception", "out_for_delivery", "in_transit"]
    assert "客户不在，改日派送" in card_1 and "快件已揽收" not in card_1
    assert _events(card_2) == ["delivered"]
    assert len(many) == len(one)
