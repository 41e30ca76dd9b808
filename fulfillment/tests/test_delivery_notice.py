"""The customer's delivery notice goes through the outbox: decided once in the deadline
scan's transaction (``fulfillment.delivery_notice``), sent after it by the outbox —
at least once (a failing mail server is tried again), never twice (two scans, or two
delivery workers, at the same moment send one e-mail)."""

import smtplib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import outbox_deliver
from core.services import sla_clocks_scan
from fulfillment import services
from fulfillment.tests.conftest import make_order, put_stock
from tests.factories import ContactFactory

CUSTOMER = "li@customer.example"


class FailingSmtp(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("mail server went away")


def shipped(assistant, keeper, shipper, warehouse, product):
    """An order shipped in full with an ETA in four days; the customer has an e-mail."""
    put_stock(warehouse, product, 10)
    order = make_order(assistant, product, 2, contact_name="李先生")
    ContactFactory(customer=order.customer, name="李先生", email=CUSTOMER)
    line = order.lines.get()
    today = timezone.localdate()
    services.fulfillment_confirm_stock(
        actor=keeper,
        order=order,
        line_statuses={line.pk: "in_stock"},
        deliverable_date=today + timedelta(days=5),
    )
    services.preparation_save(
        actor=keeper,
        order=order,
        form_data={"packing": "木箱", "package_count": 1, "qc_result": "passed"},
    )
    services.fulfillment_mark_ready(actor=keeper, order=order)
    shipment = services.shipment_create(
        actor=shipper,
        order=order,
        quantities={line.pk: Decimal("2")},
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1",
        eta=today + timedelta(days=4),
    )
    return order, shipment


def fire_the_notice_clock(shipment):
    """What core's scan does the day before the ETA: the clock's warning goes out."""
    eta_morning = timezone.make_aware(
        timezone.datetime.combine(shipment.eta, services.DELIVERY_NOTICE_TIME)
    )
    sla_clocks_scan(now=eta_morning - timedelta(hours=23))


def customer_mails():
    return [m for m in mail.outbox if m.to == [CUSTOMER]]


def run_together(function, n=2):
    """``function`` in ``n`` threads released at the same moment; their results."""
    barrier = threading.Barrier(n)
    results, lock = [], threading.Lock()

    def run():
        close_old_connections()
        try:
            barrier.wait()
            outcome = function()
        except Exception as exc:  # any error fails the test below
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_queue_one_notice_and_two_workers_send_it_once(
    assistant, keeper, shipper, beijing, server_a, settings
):
    assert connection.vendor == "postgresql"
    settings.OUTBOX_KICK = False  # the workers are the threads below
    _order, shipment = shipped(assistant, keeper, shipper, beijing, server_a)
    fire_the_notice_clock(shipment)
    mail.outbox.clear()

    queued = run_together(services.delivery_notices_send)
    assert sorted(queued) == [0, 1], queued
    assert OutboxMessage.objects.filter(kind=services.DELIVERY_NOTICE_KIND).count() == 1
    assert customer_mails() == []  # decided in the scan, not sent by it

    sent = run_together(outbox_deliver)
    assert sorted(sent) == [0, 1], sent
    assert len(customer_mails()) == 1
    notice = OutboxMessage.objects.get(key=services.delivery_notice_key(shipment))
    assert notice.sent_at is not None and notice.attempts == 0
    shipment.refresh_from_db()
    assert shipment.customer_notified_to == CUSTOMER
    assert services.delivery_notices_send() == 0
    assert outbox_deliver(now=timezone.now() + timedelta(days=1)) == 0
    assert len(customer_mails()) == 1


@pytest.mark.django_db
def test_a_failing_mail_server_leaves_the_notice_queued_and_the_retry_sends_it_once(
    client, assistant, keeper, shipper, beijing, server_a, settings
):
    order, shipment = shipped(assistant, keeper, shipper, beijing, server_a)
    fire_the_notice_clock(shipment)
    assert services.delivery_notices_send() == 1
    settings.EMAIL_BACKEND = f"{__name__}.FailingSmtp"
    mail.outbox.clear()

    assert outbox_deliver() == 0
    notice = OutboxMessage.objects.get(key=services.delivery_notice_key(shipment))
    assert notice.sent_at is None and notice.attempts == 1
    assert "mail server went away" in notice.last_error
    shipment.refresh_from_db()
    assert shipment.customer_notified_at is None  # not sent: not "notified"
    client.force_login(shipper)
    page = client.get(reverse("fulfillment:order", args=[order.pk])).content.decode()
    assert 'data-testid="customer-notice-queued"' in page
    assert 'data-testid="customer-notified"' not in page

    # The retry waits its delay; then the mail server is back.
    assert outbox_deliver() == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + timedelta(hours=1)
    assert outbox_deliver(now=later) == 1
    assert outbox_deliver(now=later + timedelta(hours=1)) == 0
    assert [m.to for m in customer_mails()] == [[CUSTOMER]]
    assert str(shipment.order) in customer_mails()[0].subject
    notice.refresh_from_db()
    assert notice.sent_at is not None
    shipment.refresh_from_db()
    assert shipment.customer_notified_to == CUSTOMER
    page = client.get(reverse("fulfillment:order", args=[order.pk])).content.decode()
    assert 'data-testid="customer-notified"' in page


@pytest.mark.django_db
def test_delivery_before_the_eta_stops_the_notice(
    assistant, keeper, shipper, make_user, beijing, server_a
):
    """Arrived already: a "your order arrives tomorrow" would come too late."""
    order, shipment = shipped(assistant, keeper, shipper, beijing, server_a)
    services.fulfillment_record_delivery(actor=shipper, order=order)
    fire_the_notice_clock(shipment)
    assert services.delivery_notices_send() == 0
    assert not OutboxMessage.objects.filter(kind=services.DELIVERY_NOTICE_KIND).exists()


@pytest.mark.django_db
def test_the_beat_runs_fulfillments_deadline_scan_every_minute(
    assistant, keeper, shipper, beijing, server_a, settings
):
    from fulfillment.tasks import scan_deadlines

    entry = settings.CELERY_BEAT_SCHEDULE["fulfillment-scan-deadlines"]
    assert entry["task"] == scan_deadlines.name and entry["schedule"] == 60.0
    _order, shipment = shipped(assistant, keeper, shipper, beijing, server_a)
    fire_the_notice_clock(shipment)
    assert scan_deadlines() == {"delivery_notices": 1, "progress_delays": 0}
    assert scan_deadlines() == {"delivery_notices": 0, "progress_delays": 0}
    assert OutboxMessage.objects.filter(kind=services.DELIVERY_NOTICE_KIND).count() == 1
