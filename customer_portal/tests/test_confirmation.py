"""Online confirmation (需求确认双签), change requests, the timeline and "production waits"."""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.errors import WrongState
from core.models import SlaClock
from customer_portal.models import ConfirmationKind, CustomerConfirmation, CustomerPortalSettings
from customer_portal.services import CONFIRMATION_CLOCK, confirmation_clock_start
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():  # type: ignore[no-untyped-def]
    cache.clear()


def png_data_url(width: int = 40, height: int = 20) -> str:
    """A real (tiny) PNG as the canvas would send it: a data URL."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def customer_events(order):  # type: ignore[no-untyped-def]
    return list(OrderEvent.objects.filter(order=order, payload__has_key="customer"))


def test_confirm_with_a_drawn_signature_is_on_the_timeline(world):
    client = world.client(ip="203.0.113.7")
    page = client.get(world.url + "confirm/").content.decode()
    assert "数控机床" in page and "外包装需防潮" in page  # lines and special requirements
    response = client.post(world.url + "confirm/", {"signature": png_data_url()})
    assert response.status_code == 302
    assert response["Location"].endswith("?done=confirmed")

    record = CustomerConfirmation.objects.get(order=world.order)
    assert record.kind == ConfirmationKind.CONFIRMED and record.signature_kind == "drawn"
    assert record.signature.read().startswith(b"\x89PNG")
    assert record.ip == "203.0.113.7" and "iPhone" in record.user_agent
    assert record.snapshot["special_requirements"] == "外包装需防潮"
    assert [line["product"] for line in record.snapshot["lines"]] == ["数控机床", "刀塔"]

    (event,) = customer_events(world.order)
    assert event.actor is None
    assert event.payload["customer"]["contact"] == "王经理"
    assert event.payload["customer"]["ip"] == "203.0.113.7"
    assert event.payload["customer"]["at"]
    assert event.note_msg is not None  # a language-neutral message, rendered per reader
    from django.utils import translation

    with translation.override("en"):
        text = event.note_text
    assert "王经理 confirmed the order online" in text
    assert "203.0.113.7" in text and "Safari (mobile)" in text
    # The tracking page says so.
    assert 'data-testid="confirmed-by"' in client.get(world.url).content.decode()


def test_the_order_page_shows_the_customer_step_with_contact_time_and_ip(world, client):
    world.client(ip="203.0.113.8").post(world.url + "confirm/", {"typed_name": "王大明"})
    client.force_login(world.owner)
    page = client.get(world.order.get_absolute_url()).content.decode()
    event = customer_events(world.order)[0]
    assert "203.0.113.8" in page
    assert "王经理" in page
    assert timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M") in page
    assert 'data-testid="customer-confirmed"' in page  # the panel: confirmed online by 王大明
    assert "王大明" in page


def test_typed_signature_and_second_confirmation_refused(world):
    client = world.client()
    assert client.post(world.url + "confirm/", {"typed_name": "王大明"}).status_code == 302
    record = CustomerConfirmation.objects.get()
    assert record.signature_kind == "typed" and record.signed_name == "王大明"
    again = client.post(world.url + "confirm/", {"typed_name": "王大明"})
    assert again.status_code == 403  # the predicate: confirmed already
    assert CustomerConfirmation.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "data:image/png;base64,not-base64!!",
        "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0").decode(),
        "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"\0" * 20).decode(),
        "data:image/png;base64," + "A" * 600_000,
    ],
)
def test_bad_signature_is_refused_with_nothing_written(world, signature):
    response = world.client().post(world.url + "confirm/", {"signature": signature})
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.content.decode()
    assert not CustomerConfirmation.objects.exists()
    assert not customer_events(world.order)


def test_change_request_goes_to_the_sales_owner(world):
    from core.models import Notification

    response = world.client().post(world.url + "change/", {"message": "数量改为 3 台"})
    assert response.status_code == 302
    record = CustomerConfirmation.objects.get()
    assert record.kind == ConfirmationKind.CHANGE_REQUESTED and record.message == "数量改为 3 台"
    note = Notification.objects.get(recipient=world.owner)
    assert world.order.number in note.title_text and "数量改为 3 台" in note.body_text
    (event,) = customer_events(world.order)
    assert "数量改为 3 台" in event.note_text
    # Empty request: the form again, with the reason.
    assert world.client().post(world.url + "change/", {"message": " "}).status_code == 400


def test_production_waits_for_the_customer_when_the_company_says_so(world, make_user):
    from core.actions import perform

    CustomerPortalSettings.objects.update_or_create(
        pk=1, defaults={"confirmation_required": True, "confirmation_hours": 48}
    )
    confirmation_clock_start(world.order)
    clock = SlaClock.objects.for_target(world.order).get(kind=CONFIRMATION_CLOCK)
    assert clock.owner == world.owner
    assert clock.due_at - clock.started_at == timedelta(hours=48)

    from fulfillment.models import OrderFulfillment, Warehouse

    keeper = make_user("warehouse")
    warehouse = Warehouse.objects.create(code="CP", name="客户仓", city="上海", manager=keeper)
    OrderFulfillment.objects.create(order=world.order, warehouse=warehouse)
    statuses = {line.pk: "to_produce" for line in world.order.lines.all()}
    day = timezone.localdate() + timedelta(days=10)

    def start_production():  # type: ignore[no-untyped-def]
        return perform(
            "fulfillment.confirm_stock",
            actor=keeper,
            obj=world.order,
            line_statuses=statuses,
            deliverable_date=day,
        )

    with pytest.raises(WrongState) as refused:
        start_production()
    assert "customer" in str(refused.value.message).lower() or "客户" in str(refused.value.message)
    world.order.refresh_from_db()
    assert world.order.status == "confirmed"

    world.client().post(world.url + "confirm/", {"signature": png_data_url()})
    clock.refresh_from_db()
    assert clock.met_at is not None
    start_production()
    world.order.refresh_from_db()
    assert world.order.status == "preparing"


def test_approval_sends_the_link_and_starts_the_clock_when_production_waits(world, make_user):
    """The final approval: the order's contact gets the link (SMS + e-mail through the
    outbox), the confirmation clock starts."""
    from core.actions import perform
    from core.models import OutboxMessage
    from customer_portal.channels import EMAIL_KIND, SMS_KIND
    from customer_portal.models import CustomerLink
    from orders.models import Order
    from tests.factories import ContactFactory, CustomerFactory, OrderFactory, OrderLineFactory

    CustomerPortalSettings.objects.update_or_create(pk=1, defaults={"confirmation_required": True})
    customer = CustomerFactory()
    ContactFactory(customer=customer, name="王经理", mobile="13911112222", email="w@example.com")
    order = OrderFactory(
        customer=customer,
        owner=world.owner,
        created_by=world.owner,
        status="pending_approval",
        number="SO-APPROVE-1",
    )
    OrderLineFactory(order=order)
    from orders.services.orders import order_recalculate_total

    order_recalculate_total(order=order)
    manager = make_user("sales_manager")
    perform("order.approve", actor=manager, obj=Order.objects.get(pk=order.pk))
    order.refresh_from_db()
    assert order.status == "confirmed"
    link = CustomerLink.objects.get(order=order)
    kinds = sorted(
        OutboxMessage.objects.filter(
            object_id=order.pk, kind__in=[SMS_KIND, EMAIL_KIND]
        ).values_list("kind", flat=True)
    )
    assert kinds == [EMAIL_KIND, SMS_KIND]
    assert SlaClock.objects.for_target(order).filter(kind=CONFIRMATION_CLOCK, met_at=None).exists()
    assert link.contact.mobile == "13911112222"
