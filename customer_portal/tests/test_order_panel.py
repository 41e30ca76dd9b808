"""发送客户链接 on the order page: send (SMS + e-mail through the outbox), revoke, who may."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from core.models import OutboxMessage
from customer_portal.channels import EMAIL_KIND, SMS_KIND
from customer_portal.models import CustomerLink
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():  # type: ignore[no-untyped-def]
    cache.clear()


def test_the_owner_sends_and_revokes_from_the_order_page(world, client):
    client.force_login(world.owner)
    page = client.get(world.order.get_absolute_url()).content.decode()
    assert 'data-testid="order-panel-customer_links"' in page
    assert 'data-testid="customer-link-send"' in page
    assert 'data-testid="customer-link"' in page  # the link the fixture sent

    before = OutboxMessage.objects.filter(kind__in=[SMS_KIND, EMAIL_KIND]).count()
    response = client.post(f"/c/staff/orders/{world.order.pk}/send/", {"contact": world.contact.pk})
    assert response.status_code == 302
    # The current link is sent again (no second link), by SMS and e-mail.
    assert CustomerLink.objects.filter(order=world.order).count() == 1
    assert OutboxMessage.objects.filter(kind__in=[SMS_KIND, EMAIL_KIND]).count() == before + 2
    sent = OrderEvent.objects.filter(order=world.order, action="customer_link_sent")
    assert sent.count() == 2 and sent.last().actor == world.owner

    page = client.get(world.order.get_absolute_url()).content.decode()
    assert 'data-testid="customer-message"' in page  # the messages, with their state

    response = client.post(f"/c/staff/links/{world.link.pk}/revoke/")
    assert response.status_code == 302
    world.link.refresh_from_db()
    assert world.link.revoked_at is not None and world.link.revoked_by == world.owner
    assert world.client().get(world.url).status_code == 404
    assert OrderEvent.objects.filter(order=world.order, action="customer_link_revoked").exists()


def test_people_without_the_order_cannot_send_or_revoke(world, client, make_user):
    stranger = make_user("sales_assistant")
    client.force_login(stranger)
    response = client.post(f"/c/staff/orders/{world.order.pk}/send/", {"contact": world.contact.pk})
    assert response.status_code == 403
    assert client.post(f"/c/staff/links/{world.link.pk}/revoke/").status_code == 403
    world.link.refresh_from_db()
    assert world.link.revoked_at is None


def test_a_contact_of_another_customer_is_refused(world, client):
    from tests.factories import ContactFactory

    foreign = ContactFactory(name="外人", mobile="13600000000")
    client.force_login(world.owner)
    client.post(f"/c/staff/orders/{world.order.pk}/send/", {"contact": foreign.pk})
    assert not CustomerLink.objects.filter(contact=foreign).exists()


def test_anonymous_staff_urls_ask_for_login(world, client):
    response = client.post(f"/c/staff/orders/{world.order.pk}/send/", {"contact": world.contact.pk})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_badges_for_logistics_and_sales(world, client):
    from decimal import Decimal

    from django.utils import timezone

    from customer_portal.models import CustomerPortalSettings, DeliveryRiskOffer

    CustomerPortalSettings.objects.update_or_create(pk=1, defaults={"confirmation_required": True})
    client.force_login(world.owner)
    page = client.get(world.order.get_absolute_url()).content.decode()
    assert 'data-testid="customer-confirmation-badge"' in page
    listing = client.get("/orders/").content.decode()
    assert 'data-testid="customer-confirmation-badge"' in listing

    world.client().post(world.url + "confirm/", {"typed_name": "王大明"})
    DeliveryRiskOffer.objects.create(
        order=world.order,
        promised_date=timezone.localdate(),
        coupon_amount=Decimal("1"),
        choice="pickup",
        answered_at=timezone.now(),
    )
    page = client.get(world.order.get_absolute_url()).content.decode()
    assert 'data-testid="customer-confirmation-badge"' not in page
    assert 'data-testid="customer-risk-badge"' in page
