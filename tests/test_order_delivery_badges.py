"""A deliverable date later than requested shows where sales and logistics work: on the order
page and in the order list — "to negotiate" until the customer answers, then the date agreed
(fulfillment fills the orders pages through core.panels, orders imports nothing above it)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment.models import CustomerAnswer, OrderFulfillment
from orders.models import OrderStatus
from tests.factories import OrderFactory, OrderLineFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    owner = UserFactory(roles=["sales_assistant"])
    today = timezone.localdate()
    order = OrderFactory(
        owner=owner,
        created_by=owner,
        status=OrderStatus.PREPARING,
        number="202611-901",
        requested_delivery_date=today + timedelta(days=15),
    )
    OrderLineFactory(order=order, quantity=Decimal("1"))
    return order


def negotiation(order, *, answer="", days_late=10):
    deliverable = order.requested_delivery_date + timedelta(days=days_late)
    return OrderFulfillment.objects.create(
        order=order,
        deliverable_date=deliverable,
        needs_negotiation=True,
        customer_answer=answer,
        promised_date=deliverable if answer == CustomerAnswer.ACCEPTED else None,
    )


def pages(client, order, role):
    client.force_login(UserFactory(roles=[role]))
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    listing = client.get("/orders/").content.decode()
    return detail, listing


def test_a_later_date_to_negotiate_shows_on_the_order_page_and_in_the_list(client, order):
    fulfillment = negotiation(order)
    for role in ("sales_assistant", "logistics"):
        detail, listing = pages(client, order, role)
        for page in (detail, listing):
            assert 'data-testid="negotiation-flag"' in page and "待协商" in page
            assert fulfillment.deliverable_date.isoformat() in page


def test_the_agreed_date_replaces_the_flag_once_the_customer_answered(client, order):
    fulfillment = negotiation(order, answer=CustomerAnswer.ACCEPTED)
    detail, listing = pages(client, order, "logistics")
    for page in (detail, listing):
        assert 'data-testid="negotiation-flag"' not in page
        assert 'data-testid="agreed-date"' in page
        assert fulfillment.promised_date.isoformat() in page


def test_no_badge_when_the_date_holds(client, order):
    OrderFulfillment.objects.create(order=order, deliverable_date=order.requested_delivery_date)
    detail, listing = pages(client, order, "sales_assistant")
    for page in (detail, listing):
        assert "negotiation-flag" not in page and "agreed-date" not in page


def test_the_list_reads_the_badges_of_a_page_at_once(client, order):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    negotiation(order)
    client.force_login(UserFactory(roles=["sales_manager"]))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/orders/").status_code == 200
        return len(queries)

    few = count()
    for n in range(10):
        negotiation(OrderFactory(number=f"202611-{950 + n}", status=OrderStatus.PREPARING))
    assert count() == few
