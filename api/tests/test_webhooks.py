"""Outbound webhooks: the signature and its replay window, subscriptions per client and
event type, the fan-out from the apps' actions, the delivery log, pause after repeated
failures with the data administrator told, resume and manual replay."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from api import webhooks
from api.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from core.models import Notification, OutboxMessage
from core.outbox import outbox_deliver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec_test"


# --- the documented verification -----------------------------------------------------------
def test_a_signed_body_verifies_and_a_changed_one_does_not():
    body = webhooks.canonical_body(
        {"v": 1, "id": "e1", "type": "order.confirmed", "data": {"x": "订单"}}
    )
    header = webhooks.sign(body, SECRET)
    assert webhooks.verify_signature(body, header, SECRET)
    assert not webhooks.verify_signature(body + b" ", header, SECRET)
    assert not webhooks.verify_signature(body, header, "whsec_other")
    assert not webhooks.verify_signature(body, "", SECRET)
    assert not webhooks.verify_signature(body, "t=abc,v1=00", SECRET)
    assert not webhooks.verify_signature(body, header.split(",")[0], SECRET)


def test_a_replayed_body_outside_the_window_is_rejected():
    body = webhooks.canonical_body({"v": 1, "id": "e2", "type": "order.completed", "data": {}})
    signed_at = 1_800_000_000
    header = webhooks.sign(body, SECRET, timestamp=signed_at)
    # Inside the default five minutes: accepted; one second outside, in either direction: not.
    assert webhooks.verify_signature(body, header, SECRET, now=signed_at + 300)
    assert not webhooks.verify_signature(body, header, SECRET, now=signed_at + 301)
    assert not webhooks.verify_signature(body, header, SECRET, now=signed_at - 301)
    assert not webhooks.verify_signature(body, header, SECRET, 60, now=signed_at + 61)
    # A rotated secret: the header may carry several v1; one matching is enough.
    both = f"{header},v1={webhooks.sign(body, 'old', signed_at).split('v1=')[1]}"
    assert webhooks.verify_signature(body, both, SECRET, now=signed_at)


# --- a receiver of the test -------------------------------------------------------------------
class Receiver(ThreadingHTTPServer):
    """Another system: checks each request's signature with the documented function and keeps
    what it got. ``status`` is what it answers."""

    daemon_threads = True

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"

    def got(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        valid = webhooks.verify_signature(
            body, self.headers.get(webhooks.SIGNATURE_HEADER, ""), self.server.secret
        )
        with self.server.lock:
            self.server.requests.append(
                {
                    "valid": valid,
                    "event": json.loads(body),
                    "delivery": self.headers.get("X-Portal-Delivery"),
                }
            )
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _later(seconds: int = 3600) -> Any:
    return timezone.now() + timedelta(seconds=seconds)


# --- subscriptions ---------------------------------------------------------------------------
def test_a_client_subscribes_only_to_what_its_role_may_read(api_client_for):
    erp = api_client_for("warehouse", name="erp", scopes=["read", "webhooks"])
    created = erp.post_json(
        "/api/v1/integrations/webhooks",
        {"url": "https://erp.example.com/hook", "event_types": ["stock.low"]},
    )
    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    assert "secret" not in erp.get("/api/v1/integrations/webhooks").json()[0]
    refused = erp.post_json(
        "/api/v1/integrations/webhooks",
        {"url": "https://erp.example.com/hook", "event_types": ["settlement.issued"]},
    )
    assert refused.status_code == 400
    unknown = erp.post_json(
        "/api/v1/integrations/webhooks",
        {"url": "https://erp.example.com/hook", "event_types": ["order.eaten"]},
    )
    assert unknown.status_code == 400
    assert WebhookSubscription.objects.count() == 1
    # Without the webhooks scope: 403, nothing made.
    plain = api_client_for("warehouse", name="plain", scopes=["read"])
    assert (
        plain.post_json(
            "/api/v1/integrations/webhooks",
            {"url": "https://x.example.com/", "event_types": ["stock.low"]},
        ).status_code
        == 403
    )
    assert WebhookSubscription.objects.count() == 1


def _subscribe(
    api_client_for, url: str, *types: str, role: str = "sales_manager"
) -> WebhookSubscription:
    client = api_client_for(role, scopes=["read", "webhooks"])
    answer = client.post_json(
        "/api/v1/integrations/webhooks", {"url": url, "event_types": list(types)}
    )
    assert answer.status_code == 201, answer.content
    subscription = WebhookSubscription.objects.get(pk=answer.json()["id"])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=SECRET)
    subscription.refresh_from_db()
    subscription.api = client  # type: ignore[attr-defined]
    return subscription


def test_an_event_goes_to_each_subscription_once_signed_and_a_rollback_sends_nothing(
    api_client_for,
):
    with receiver() as other:
        first = _subscribe(api_client_for, other.url, "order.confirmed")
        second = _subscribe(api_client_for, other.url + "/2", "order.confirmed", "order.completed")
        _subscribe(api_client_for, other.url + "/3", "order.completed")
        with transaction.atomic():
            webhooks.emit("order.confirmed", {"order": {"number": "202611-001"}})
        with pytest.raises(RuntimeError), transaction.atomic():
            webhooks.emit("order.confirmed", {"order": {"number": "rolled back"}})
            raise RuntimeError("the action failed")
        assert outbox_deliver() == 2
        got = other.got()
    assert len(got) == 2 and all(request["valid"] for request in got)
    events = [request["event"] for request in got]
    assert {event["id"] for event in events} == {events[0]["id"]}  # one event, one id
    assert {event["type"] for event in events} == {"order.confirmed"}
    assert events[0]["v"] == 1 and events[0]["data"] == {"order": {"number": "202611-001"}}
    assert {int(request["delivery"]) for request in got} == set(
        WebhookDelivery.objects.filter(subscription__in=[first, second]).values_list(
            "pk", flat=True
        )
    )
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        WebhookDeliveryStatus.SENT
    }


def test_repeated_failures_pause_the_subscription_and_tell_the_data_admin_once(
    api_client_for, settings
):
    settings.WEBHOOK_PAUSE_AFTER = 3
    settings.OUTBOX_MAX_ATTEMPTS = 20
    admin = UserFactory(username="zheng", roles=["data_admin"])
    with receiver() as other:
        other.status = 500
        subscription = _subscribe(api_client_for, other.url, "order.completed")
        with transaction.atomic():
            webhooks.emit("order.completed", {"n": 1})
        for hour in range(1, 6):
            outbox_deliver(now=_later(hour * 3600))
        assert len(other.got()) == 3, "paused after the third failure: nothing sent after"
        subscription.refresh_from_db()
        assert subscription.paused_at is not None and subscription.consecutive_failures == 3
        told = Notification.objects.filter(recipient=admin)
        assert told.count() == 1
        assert told.get().title_msg["key"].startswith("Webhook of %(client)s paused")
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == WebhookDeliveryStatus.FAILED and delivery.last_status_code == 500
        # While paused, a new event is not even queued for it.
        with transaction.atomic():
            webhooks.emit("order.completed", {"n": 2})
        assert WebhookDelivery.objects.count() == 1
        # The receiver is back; the client resumes: what waited is sent, once.
        other.status = 200
        resumed = subscription.api.post_json(
            f"/api/v1/integrations/webhooks/{subscription.pk}/resume"
        )
        assert resumed.status_code == 200 and resumed.json() == {"queued": 1}
        outbox_deliver(now=_later(7 * 3600))
        outbox_deliver(now=_later(8 * 3600))
        assert len(other.got()) == 4 and other.got()[-1]["valid"]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SENT
    subscription.refresh_from_db()
    assert subscription.paused_at is None and subscription.consecutive_failures == 0


def test_the_delivery_log_and_a_manual_replay_send_the_same_event_again(api_client_for, client):
    with receiver() as other:
        subscription = _subscribe(api_client_for, other.url, "order.completed")
        with transaction.atomic():
            webhooks.emit("order.completed", {"n": 1})
        outbox_deliver()
        log = subscription.api.get(f"/api/v1/integrations/webhooks/{subscription.pk}/deliveries")
        assert log.status_code == 200
        (row,) = log.json()
        assert (row["status"], row["attempts"], row["last_status_code"]) == ("sent", 1, 200)
        # The data admin replays it from the admin page.
        admin = UserFactory(username="zheng", roles=["data_admin"], is_staff=True)
        client.force_login(admin)
        answer = client.post(
            "/admin/api/webhookdelivery/",
            {"action": "replay_deliveries", "_selected_action": [row["id"]]},
        )
        assert answer.status_code == 302
        outbox_deliver(now=_later())
        got = other.got()
    assert len(got) == 2 and all(request["valid"] for request in got)
    assert (
        got[0]["event"]["id"]
        == got[1]["event"]["id"]
        == str(WebhookDelivery.objects.get().event_id)
    )
    # Another client cannot see or replay this delivery: 404.
    stranger = api_client_for("sales_manager", scopes=["read", "webhooks"])
    assert (
        stranger.post_json(
            f"/api/v1/integrations/webhooks/deliveries/{row['id']}/replay"
        ).status_code
        == 404
    )
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_the_signature_is_made_when_sent_not_when_queued(api_client_for):
    """A delivery retried an hour later is signed then: inside the receiver's window."""
    with receiver() as other:
        _subscribe(api_client_for, other.url, "order.completed")
        with transaction.atomic():
            webhooks.emit("order.completed", {"n": 1})
        time.sleep(1.1)
        outbox_deliver()
        (request,) = other.got()
    assert request["valid"]


def test_the_data_admin_page_shows_the_log_and_replays(api_client_for, client):
    with receiver() as other:
        subscription = _subscribe(api_client_for, other.url, "order.completed")
        with transaction.atomic():
            webhooks.emit("order.completed", {"n": 1})
        outbox_deliver()
        admin = UserFactory(username="zheng", roles=["data_admin"])
        client.force_login(admin)
        listing = client.get("/integrations/webhooks/")
        assert listing.status_code == 200 and other.url in listing.content.decode()
        log = client.get(f"/integrations/webhooks/{subscription.pk}/")
        assert log.status_code == 200
        assert 'data-status="sent"' in log.content.decode()
        delivery = WebhookDelivery.objects.get()
        assert client.post(f"/integrations/deliveries/{delivery.pk}/replay/").status_code == 302
        outbox_deliver(now=_later())
        assert len(other.got()) == 2
        # A salesperson sees nothing of it and cannot replay: 403, nothing queued.
        client.force_login(UserFactory(roles=["sales_assistant"]))
        assert client.get("/integrations/webhooks/").status_code == 403
        queued = OutboxMessage.objects.count()
        assert client.post(f"/integrations/deliveries/{delivery.pk}/replay/").status_code == 403
        assert OutboxMessage.objects.count() == queued
