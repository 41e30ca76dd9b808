"""The webhook channel against a local HTTP server, including one that hangs."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.exceptions import WebhookError
from core.models import Notification
from core.services import sla_clocks_scan, webhook_post
from core.tasks import send_notification_webhook
from core.tests.conftest import at

pytestmark = pytest.mark.django_db

DUE = at(2025, 11, 24, 11)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.received: list[dict] = []
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/robot/send?key=test"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        if self.server.mode == "hang":
            self.server.release.wait(timeout=15)  # never answers in time
        self.server.received.append(json.loads(body))
        status = 500 if self.server.mode == "error" else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def _serve(mode: str) -> Iterator[_Server]:
    server = _Server(mode)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def robot() -> Iterator[_Server]:
    yield from _serve("ok")


@pytest.fixture
def hanging_robot() -> Iterator[_Server]:
    yield from _serve("hang")


@pytest.fixture
def failing_robot() -> Iterator[_Server]:
    yield from _serve("error")


@pytest.fixture
def queued(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Catch what the scan queues for the webhook worker instead of using the broker."""
    ids: list[int] = []
    monkeypatch.setattr(send_notification_webhook, "delay", lambda pk: ids.append(pk))
    return ids


@pytest.fixture
def breached_clock(start_clock):  # type: ignore[no-untyped-def]
    return start_clock(working_hours=2, started_at=at(2025, 11, 24, 9), note="客户电话未接通")


def test_webhook_posts_wecom_dingtalk_text_json(robot):
    webhook_post(url=robot.url, payload={"msgtype": "text", "text": {"content": "你好"}}, timeout=2)
    assert robot.received == [{"msgtype": "text", "text": {"content": "你好"}}]


def test_scan_queues_the_webhook_and_the_task_posts_it(
    robot, settings, queued, breached_clock, django_capture_on_commit_callbacks
):
    settings.NOTIFY_WEBHOOK_URL = robot.url
    with django_capture_on_commit_callbacks(execute=True):
        sla_clocks_scan(now=DUE)
    notification = Notification.objects.get()
    assert queued == [notification.pk]

    assert send_notification_webhook.apply(args=[notification.pk]).get() is True
    message = robot.received[0]
    assert message["msgtype"] == "text"
    assert notification.title in message["text"]["content"]
    assert "客户电话未接通" in message["text"]["content"]
    notification.refresh_from_db()
    assert notification.webhook_sent_at is not None
    assert notification.webhook_attempts == 1
    # A duplicate message (e.g. redelivered after a worker crash) does not post twice.
    assert send_notification_webhook.apply(args=[notification.pk]).get() is False
    assert len(robot.received) == 1


def test_hanging_webhook_never_blocks_the_scan_and_times_out_with_retries(
    hanging_robot, settings, queued, breached_clock, django_capture_on_commit_callbacks, caplog
):
    settings.NOTIFY_WEBHOOK_URL = hanging_robot.url
    settings.NOTIFY_WEBHOOK_TIMEOUT = 0.3
    settings.NOTIFY_WEBHOOK_RETRIES = 2

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        result = sla_clocks_scan(now=DUE)
    assert time.monotonic() - started < 1.0
    assert result.breached == 1
    (notification_id,) = queued

    # What the worker does with the queued message: 3 attempts, each cut at the timeout.
    caplog.set_level(logging.WARNING, logger="core.tasks")
    started = time.monotonic()
    assert send_notification_webhook.apply(args=[notification_id]).get() is False
    elapsed = time.monotonic() - started
    assert 0.8 <= elapsed < 5
    notification = Notification.objects.get(pk=notification_id)
    assert notification.webhook_attempts == 3
    assert notification.webhook_sent_at is None
    assert "timed out" in notification.webhook_error
    assert "given up after 3 attempts" in caplog.text
    # The in-app notification is there whatever the robot does.
    assert notification.recipient == breached_clock.owner


def test_webhook_error_status_is_an_error(failing_robot):
    with pytest.raises(WebhookError, match="500"):
        webhook_post(url=failing_robot.url, payload={"msgtype": "text"}, timeout=2)


def test_webhook_refuses_non_http_urls():
    with pytest.raises(WebhookError):
        webhook_post(url="file:///etc/passwd", payload={}, timeout=1)


def test_no_webhook_configured_queues_nothing(
    settings, queued, breached_clock, django_capture_on_commit_callbacks
):
    settings.NOTIFY_WEBHOOK_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        sla_clocks_scan(now=DUE)
    assert queued == []


def test_links_in_messages_are_absolute_when_the_portal_address_is_set(settings, make_user):
    from core.services import notification_create, webhook_payload

    settings.PORTAL_BASE_URL = "https://portal.example.com/"
    notification = notification_create(recipient=make_user(), title="请查看", url="/orders/1/")
    content = webhook_payload(notification)["text"]["content"]
    assert content == "请查看\nhttps://portal.example.com/orders/1/"
