"""Carriers' tracking events of a shipment (fulfillment/tracking.py): recorded once per
carrier event id, on the order's timeline, a ``delivered`` event delivers a shipped order,
refused for a role without the permission, shown on the order's fulfillment page."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from core.errors import Forbidden, Invalid
from fulfillment.models import Shipment, ShipmentTrackingEvent
from fulfillment.tests.conftest import make_order
from fulfillment.tracking import tracking_event_record
from orders.models import OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


def _shipment(order, shipper):
    """A shipment of ``order`` as logistics recorded it (the steps before are tested in
    test_services.py)."""
    return Shipment.objects.create(
        order=order,
        sequence=1,
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1234567890",
        eta=timezone.localdate() + timedelta(days=2),
        shipped_by=shipper,
    )


@pytest.fixture
def shipment(assistant, shipper, server_a):
    """An order shipped whole in one shipment."""
    order = make_order(assistant, server_a, 10, status=OrderStatus.SHIPPED, number="202611-077")
    return _shipment(order, shipper)


def post(actor, shipment, status="in_transit", external_id="EV-1", **kwargs):
    return tracking_event_record(
        actor=actor,
        shipment=shipment,
        status=status,
        occurred_at=kwargs.pop("occurred_at", timezone.now() - timedelta(hours=1)),
        external_id=external_id,
        **{"location": "上海转运中心", "description": "快件已到达【上海转运中心】", **kwargs},
    )


def timeline(order):
    return list(OrderEvent.objects.filter(order=order).order_by("created_at", "id"))


def test_logistics_records_an_event_on_the_order_timeline(shipper, shipment):
    before = len(timeline(shipment.order))
    result = post(shipper, shipment)
    assert result.created
    event = ShipmentTrackingEvent.objects.get()
    assert (event.shipment, event.status, event.recorded_by) == (shipment, "in_transit", shipper)
    assert event.description == "快件已到达【上海转运中心】"  # the carrier's text, as data
    rows = timeline(shipment.order)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row.action == "tracking" and row.actor == shipper
    assert row.payload["external_id"] == "EV-1"
    # Language-neutral: the status reads in the reader's language.
    with override("en"):
        assert row.note_text == "Shipment 202611-077-1: In transit at 上海转运中心."
    assert row.note_msg is not None
    shipment.order.refresh_from_db()
    assert shipment.order.status == OrderStatus.SHIPPED


def test_the_same_carrier_event_twice_records_it_once(shipper, shipment):
    first = post(shipper, shipment, external_id="EV-7")
    rows = len(timeline(shipment.order))
    again = post(shipper, shipment, external_id="EV-7", status="exception", location="别处")
    assert not again.created
    assert again.event.pk == first.event.pk
    assert again.event.status == "in_transit"  # the first post stands
    assert ShipmentTrackingEvent.objects.count() == 1
    assert len(timeline(shipment.order)) == rows
    # Another event id is another event.
    assert post(shipper, shipment, external_id="EV-8").created
    assert ShipmentTrackingEvent.objects.count() == 2


def test_delivered_event_delivers_the_shipped_order(shipper, shipment):
    result = post(shipper, shipment, status="delivered", external_id="EV-9", location="客户仓库")
    assert result.created and result.delivered
    order = shipment.order
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    tracking_row, delivery_row = timeline(order)[-2:]
    assert tracking_row.action == "tracking"
    assert (delivery_row.action, delivery_row.to_status) == ("deliver", OrderStatus.DELIVERED)
    with override("en"):
        assert "顺丰速运" in delivery_row.note_text
    # A late duplicate of the carrier's delivered event changes nothing.
    again = post(shipper, shipment, status="delivered", external_id="EV-9")
    assert not again.created and not again.delivered
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED).count() == 1


def test_delivered_event_of_a_partly_shipped_order_only_records_it(assistant, shipper, server_a):
    order = make_order(assistant, server_a, 10, status=OrderStatus.READY_TO_SHIP)
    partial = _shipment(order, shipper)
    result = post(shipper, partial, status="delivered")
    assert result.created and not result.delivered
    order.refresh_from_db()
    assert order.status == OrderStatus.READY_TO_SHIP


def test_a_role_without_the_permission_is_refused_and_nothing_is_written(
    assistant, keeper, shipment
):
    rows = len(timeline(shipment.order))
    for actor in (assistant, keeper):
        with pytest.raises(Forbidden):
            post(actor, shipment, status="delivered")
    assert not ShipmentTrackingEvent.objects.exists()
    assert len(timeline(shipment.order)) == rows
    shipment.order.refresh_from_db()
    assert shipment.order.status == OrderStatus.SHIPPED


def test_wrong_input_is_refused_whole(shipper, shipment):
    with pytest.raises(Invalid) as bad_status:
        post(shipper, shipment, status="lost_at_sea")
    assert "status" in bad_status.value.fields
    with pytest.raises(Invalid) as future:
        post(shipper, shipment, occurred_at=timezone.now() + timedelta(days=2))
    assert "occurred_at" in future.value.fields
    with pytest.raises(Invalid) as no_id:
        post(shipper, shipment, external_id="  ")
    assert "external_id" in no_id.value.fields
    assert not ShipmentTrackingEvent.objects.exists()


def test_the_order_page_shows_the_events_in_constant_queries(client, shipper, shipment):
    client.force_login(shipper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("fulfillment:order", args=[shipment.order.pk])
    post(shipper, shipment, external_id="A", location="深圳")
    client.get(url)  # the session's first request reads what later ones have cached
    with CaptureQueriesContext(connection) as one:
        html = client.get(url).content.decode()
    assert html.count('data-testid="tracking-event"') == 1
    assert "深圳" in html and "In transit" in html
    post(shipper, shipment, external_id="B", status="out_for_delivery", location="上海浦东")
    post(shipper, shipment, external_id="C", status="exception", description="客户不在")
    with CaptureQueriesContext(connection) as three:
        html = client.get(url).content.decode()
    assert html.count('data-testid="tracking-event"') == 3
    assert "Out for delivery" in html and "客户不在" in html
    assert len(three) == len(one)
