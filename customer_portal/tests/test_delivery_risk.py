"""48 hours before a delivery at risk: the customer is offered a new date, self-pickup or a
split delivery with the company's compensation; the choice updates the order through the
engine and is seen by logistics and sales."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.models import Notification, OutboxMessage, SlaClock, SlaKind
from customer_portal.channels import SMS_KIND
from customer_portal.models import CustomerPortalSettings, DeliveryRiskOffer
from customer_portal.services import risk_offers_scan
from orders.models import Order, OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():  # type: ignore[no-untyped-def]
    cache.clear()


@pytest.fixture
def at_risk(world, make_user):  # type: ignore[no-untyped-def]
    """The order in production, promised for tomorrow, its risk clock started."""
    from fulfillment.models import OrderFulfillment, Warehouse
    from fulfillment.services import delivery_risk_start

    make_user("sales_manager")
    keeper = make_user("warehouse")
    warehouse = Warehouse.objects.create(code="RK", name="风险仓", city="苏州", manager=keeper)
    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.PREPARING)
    world.order.refresh_from_db()
    fulfillment = OrderFulfillment.objects.create(
        order=world.order,
        warehouse=warehouse,
        promised_date=timezone.localdate() + timedelta(days=1),
    )
    delivery_risk_start(world.order, fulfillment)
    CustomerPortalSettings.objects.update_or_create(
        pk=1, defaults={"coupon_amount": Decimal("300.00"), "warranty_months": 12}
    )
    world.keeper = keeper
    world.fulfillment = fulfillment
    return world


def test_the_offer_goes_out_once_when_the_clock_warns(at_risk):
    world = at_risk
    assert SlaClock.objects.for_target(world.order).filter(kind=SlaKind.DELIVERY_RISK).exists()
    before = OutboxMessage.objects.filter(kind=SMS_KIND).count()
    assert risk_offers_scan() == 1
    assert risk_offers_scan() == 0  # once per promised date
    offer = DeliveryRiskOffer.objects.get(order=world.order)
    assert offer.coupon_amount == Decimal("300.00") and offer.warranty_months == 12
    assert offer.new_date > world.fulfillment.promised_date
    risk_sms = OutboxMessage.objects.filter(kind=SMS_KIND).order_by("-pk")
    assert risk_sms.count() == before + 1
    assert risk_sms.first().payload["template"] == "risk"
    page = world.client().get(world.url + "?lang=en").content.decode()
    assert 'data-testid="risk-offer"' in page
    risk_page = world.client().get(world.url + "risk/?lang=en").content.decode()
    assert "¥300.00" in risk_page and "12 more months of warranty" in risk_page


def test_not_yet_at_risk_nothing_is_offered(world):
    from fulfillment.models import OrderFulfillment
    from fulfillment.services import delivery_risk_start

    Order.objects.filter(pk=world.order.pk).update(status=OrderStatus.PREPARING)
    fulfillment = OrderFulfillment.objects.create(
        order=world.order, promised_date=timezone.localdate() + timedelta(days=20)
    )
    delivery_risk_start(world.order, fulfillment)
    assert risk_offers_scan() == 0


def test_the_customer_accepts_the_new_date(at_risk):
    world = at_risk
    risk_offers_scan()
    offer = DeliveryRiskOffer.objects.get()
    response = world.client(ip="203.0.113.9").post(
        world.url + "risk/", {"choice": "new_date", "note": "下周一也可以"}
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.choice == "new_date" and offer.answered_contact == world.contact
    world.fulfillment.refresh_from_db()
    assert world.fulfillment.promised_date == offer.new_date
    clock = SlaClock.objects.for_target(world.order).open().get(kind=SlaKind.DELIVERY_RISK)
    assert timezone.localtime(clock.due_at).date() == offer.new_date
    # Logistics and sales hear of it; the timeline has the customer's step with contact and IP.
    told = set(
        Notification.objects.filter(title__contains=world.order.number).values_list(
            "recipient", flat=True
        )
    )
    assert {world.keeper.pk, world.owner.pk} <= told
    event = OrderEvent.objects.filter(order=world.order, payload__has_key="customer").get()
    assert (
        event.payload["choice"] == "new_date" and event.payload["customer"]["ip"] == "203.0.113.9"
    )
    assert "下周一也可以" in event.note_text


def choice_label(choice: str) -> str:
    from customer_portal.models import RiskChoice

    return str(RiskChoice(choice).label)[:8]


@pytest.mark.parametrize("choice", ["pickup", "split"])
def test_pickup_or_split_is_shown_to_logistics_and_sales(at_risk, client, choice):
    world = at_risk
    risk_offers_scan()
    promised = world.fulfillment.promised_date
    assert world.client().post(world.url + "risk/", {"choice": choice}).status_code == 302
    world.fulfillment.refresh_from_db()
    assert world.fulfillment.promised_date == promised  # the date stays
    assert Notification.objects.filter(
        recipient=world.keeper, title__contains=choice_label(choice)
    ).exists()
    client.force_login(world.owner)
    page = client.get(world.order.get_absolute_url()).content.decode()
    assert 'data-testid="customer-risk-choice"' in page


def test_an_answer_is_given_once_and_must_be_a_choice(at_risk):
    world = at_risk
    risk_offers_scan()
    client = world.client()
    assert client.post(world.url + "risk/", {"choice": "free-delivery"}).status_code == 400
    assert client.post(world.url + "risk/", {"choice": "pickup"}).status_code == 302
    assert client.post(world.url + "risk/", {"choice": "split"}).status_code == 403
    assert DeliveryRiskOffer.objects.get().choice == "pickup"
