"""A carrier's tracking events through the API: ``POST /shipments/{id}/tracking-events``
records one (the same carrier event id twice records it once; a ``delivered`` event
delivers a shipped order), a sales client is refused and writes nothing, ``GET`` lists
them newest first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment.models import Shipment, ShipmentTrackingEvent
from orders.models import OrderEvent, OrderStatus
from tests.factories import OrderFactory, OrderLineFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment():
    owner = UserFactory(username="owner_li", roles=["sales_assistant"])
    order = OrderFactory(
        owner=owner, created_by=owner, status=OrderStatus.SHIPPED, number="202611-088"
    )
    OrderLineFactory(order=order, quantity=Decimal("3"))
    return Shipment.objects.create(
        order=order,
        carrier="顺丰速运",
        method="express",
        tracking_number="SF900",
        eta=timezone.localdate() + timedelta(days=2),
        shipped_by=UserFactory(username="shipper_wang", roles=["logistics"]),
    )


@pytest.fixture
def carrier(api_client_for):
    return api_client_for("logistics", name="sf-express")


def url(shipment: Shipment) -> str:
    return f"/api/v1/shipments/{shipment.pk}/tracking-events"


def body(external_id: str = "SF-EV-1", status: str = "in_transit", **extra: str) -> dict:
    moment = timezone.now() - timedelta(hours=2)
    return {
        "status": status,
        "occurred_at": moment.isoformat(),
        "external_id": external_id,
        "location": "上海转运中心",
        "description": "快件已到达【上海转运中心】",
        **extra,
    }


def test_a_logistics_client_records_an_event(carrier, shipment):
    response = carrier.post_json(url(shipment), body())
    assert response.status_code == 201, response.content
    data = response.json()
    event = ShipmentTrackingEvent.objects.get()
    assert data["id"] == event.pk and data["status"] == "in_transit"
    assert data["shipment_id"] == shipment.pk and data["location"] == "上海转运中心"
    assert event.recorded_by == carrier.user
    assert OrderEvent.objects.filter(order=shipment.order, action="tracking").count() == 1
    listed = carrier.get(url(shipment)).json()
    assert [item["external_id"] for item in listed["items"]] == ["SF-EV-1"]


def test_the_same_external_id_creates_nothing(carrier, shipment):
    first = carrier.post_json(url(shipment), body("SF-EV-2"))
    again = carrier.post_json(url(shipment), body("SF-EV-2", status="exception"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "in_transit"
    assert ShipmentTrackingEvent.objects.count() == 1
    assert OrderEvent.objects.filter(order=shipment.order, action="tracking").count() == 1
    # The gateway's Idempotency-Key answers the first result too.
    same = body("SF-EV-3")
    keyed = carrier.post_json(url(shipment), same, Idempotency_Key="k-1")
    replay = carrier.post_json(url(shipment), same, Idempotency_Key="k-1")
    assert (keyed.status_code, replay.status_code) == (201, 201)
    assert replay.json()["id"] == keyed.json()["id"]
    assert ShipmentTrackingEvent.objects.count() == 2


def test_delivered_event_delivers_the_order(carrier, shipment):
    response = carrier.post_json(url(shipment), body("SF-EV-9", status="delivered"))
    assert response.status_code == 201, response.content
    shipment.order.refresh_from_db()
    assert shipment.order.status == OrderStatus.DELIVERED


def test_a_sales_client_gets_403_and_writes_nothing(api_client_for, shipment):
    sales = api_client_for("sales_assistant", name="crm")
    response = sales.post_json(url(shipment), body(status="delivered"))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert not ShipmentTrackingEvent.objects.exists()
    assert not OrderEvent.objects.filter(order=shipment.order).exists()
    shipment.order.refresh_from_db()
    assert shipment.order.status == OrderStatus.SHIPPED


def test_wrong_input_and_unknown_shipment_are_problems(carrier, shipment):
    bad = carrier.post_json(url(shipment), body(status="lost"))
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
    future = (timezone.now() + timedelta(days=3)).isoformat()
    later = carrier.post_json(url(shipment), {**body(), "occurred_at": future})
    assert later.status_code == 400 and "occurred_at" in later.json()["errors"]
    far = carrier.post_json(url(shipment), {**body(), "occurred_at": "0001-01-01T00:00:00+05:00"})
    assert far.status_code == 400
    missing = carrier.post_json(f"/api/v1/shipments/{shipment.pk + 999}/tracking-events", body())
    assert missing.status_code == 404
    assert not ShipmentTrackingEvent.objects.exists()
