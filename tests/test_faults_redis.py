"""Faults: Redis (broker and cache) stopped while people work, then started again.

The test runs its own redis-server on a free port (never the machine's 6379) and points
this process's Celery app and cache at it, also when the run has no REDIS_URL (the
filesystem broker). With Redis stopped, logging in, the home page, the order list, an
order page and order steps that notify people (and so queue webhook tasks) all answer
without an error, fast, with their database work committed; a deadline scan run then
still writes its notifications. With Redis started again on the same port, a real
Celery worker's next scan queues what could not be queued, and every notification
reaches the webhook robot exactly once — also after a second scan.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from core.models import Notification, SlaClock, SlaKind
from core.services import sla_clock_start, sla_clocks_scan, webhook_payload
from orders.models import Order, OrderStatus
from orders.services.orders import order_recalculate_total
from tests.factories import PASSWORD, OrderFactory, OrderLineFactory
from tests.processes import Worker, celery_broker, redis_server, robot, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# A page or step while Redis is down: well under what a user notices as "hanging".
MAX_SECONDS_PER_REQUEST = 2.0
SCAN_TASK = "core.scan_sla_clocks"


def _timed(timings: dict[str, float], label: str, call):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    response = call()
    timings[label] = round(time.monotonic() - started, 3)
    return response


def _login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def test_pages_and_steps_work_while_redis_is_stopped_and_the_next_scan_sends_each_webhook_once(
    make_user, settings, tmp_path, caplog
):
    assistant, reviewer, manager, to_review, to_approve = _orders_to_review_and_approve(
        make_user, first_number=501
    )
    now = timezone.now()
    # Breached a minute ago: the scan run while Redis is down reports it.
    due = sla_clock_start(
        target=to_review,
        kind=SlaKind.DELIVERY_RISK,
        owner=assistant,
        due_at=now - timedelta(minutes=1),
        started_at=now - timedelta(hours=2),
    )

    with robot() as group_robot, redis_server(tmp_path / "redis") as redis:
        settings.NOTIFY_WEBHOOK_URL = group_robot.url
        settings.REDIS_URL = redis.url
        # Production shape: one Redis is the broker and the cache.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis.url,
                "KEY_PREFIX": "faults",
            }
        }
        with celery_broker(redis.url):
            # --- Redis stopped ---------------------------------------------------------
            redis.stop()
            caplog.set_level(logging.WARNING, logger="core.services")
            timings: dict[str, float] = {}
            reviewer_client = _timed(timings, "login", lambda: _login(reviewer.username))
            pages = {
                "home": "/",
                "order list": "/orders/",
                "order page": f"/orders/{to_review.pk}/",
                "my work": "/my-work/",
                "notifications": "/notifications/",
            }
            for label, url in pages.items():
                response = _timed(timings, label, lambda url=url: reviewer_client.get(url))
                assert response.status_code == 200, (label, response.status_code)
            response = _timed(
                timings,
                "request_info step",
                lambda: reviewer_client.post(
                    f"/orders/{to_review.pk}/request-info/", {"reason": "交付日期不明确"}
                ),
            )
            assert response.status_code == 302
            manager_client = _login(manager.username)
            response = _timed(
                timings,
                "approve step",
                lambda: manager_client.post(f"/orders/{to_approve.pk}/approve/", {"note": ""}),
            )
            assert response.status_code == 302
            response = _timed(
                timings, "order page after", lambda: reviewer_client.get(f"/orders/{to_review.pk}/")
            )
            assert response.status_code == 200
            print("seconds per request while Redis is stopped:", timings)
            slow = {label: s for label, s in timings.items() if s > MAX_SECONDS_PER_REQUEST}
            assert not slow, f"too slow while Redis is down: {slow}"

            # The steps are committed whole: state, clock, in-app notifications.
            assert Order.objects.get(pk=to_review.pk).status == OrderStatus.NEEDS_INFO
            assert Order.objects.get(pk=to_approve.pk).status == OrderStatus.CONFIRMED
            assert SlaClock.objects.for_target(to_review).filter(kind=SlaKind.CLARIFICATION)
            assert Notification.objects.filter(recipient=assistant, title__contains="202611-501")
            assert Notification.objects.filter(recipient=assistant, title__contains="202611-502")

            # The deadline scan itself does not fail on a stopped broker either.
            started = time.monotonic()
            assert sla_clocks_scan().breached == 1
            assert time.monotonic() - started < MAX_SECONDS_PER_REQUEST
            assert Notification.objects.filter(clock=due).count() == 1

            # Nothing reached the broker, nothing is marked queued, and the log says why.
            written = Notification.objects.count()
            assert written >= 4  # request_info, approval (warehouse, owner), breach
            assert not Notification.objects.exclude(webhook_queued_at=None).exists()
            assert "broker unavailable" in caplog.text
            assert group_robot.received == []

            # --- Redis started again on the same port ----------------------------------
            redis.start()
            worker = Worker(
                tmp_path / "worker.log",
                REDIS_URL=redis.url,
                NOTIFY_WEBHOOK_URL=group_robot.url,
                # The stranded webhooks are minutes old in real life; here, seconds.
                NOTIFY_WEBHOOK_REQUEUE_AFTER="0",
                NOTIFY_EMAIL="false",
            )
            worker.start()
            try:
                from config.celery import app

                # What beat does every minute.
                app.send_task(SCAN_TASK, ignore_result=True)
                assert wait_until(lambda: worker.tasks_ended(SCAN_TASK) >= 1, 15), worker.log()
                assert wait_until(
                    lambda: not Notification.objects.filter(webhook_sent_at=None).exists(), 15
                ), f"webhooks not sent; worker log:\n{worker.log()[-4000:]}"
                # The next scan finds nothing left to queue: nothing is posted twice.
                app.send_task(SCAN_TASK, ignore_result=True)
                assert wait_until(lambda: worker.tasks_ended(SCAN_TASK) >= 2, 15), worker.log()
                time.sleep(0.3)  # a doubled webhook task would be running by now
            finally:
                worker.stop()

    notifications = list(Notification.objects.all())
    assert len(notifications) >= written
    assert Counter(group_robot.contents()) == Counter(
        webhook_payload(n)["text"]["content"] for n in notifications
    ), "each notification must reach the robot exactly once"
    assert {n.webhook_attempts for n in notifications} == {1}
    assert Notification.objects.filter(clock=due).count() == 1
    # The worker logged the queueing again (JSON lines, like the web app).
    assert any(
        line.get("message", "").startswith("webhooks queued again: ")
        for line in worker.json_lines()
    ), worker.log()[-4000:]


def test_a_hung_redis_costs_a_step_one_socket_timeout_not_one_per_notification(
    make_user, settings, tmp_path, caplog
):
    """SIGSTOPped: Redis accepts connections but never answers (a frozen VM, a full disk)."""
    _assistant, reviewer, manager, to_review, to_approve = _orders_to_review_and_approve(
        make_user, first_number=511
    )
    socket_timeout = settings.REDIS_BROKER_TRANSPORT_OPTIONS["socket_timeout"]

    with redis_server(tmp_path / "redis") as redis, celery_broker(redis.url):
        settings.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/never-reached"
        reviewer_client = _login(reviewer.username)
        manager_client = _login(manager.username)
        redis.pause()
        caplog.set_level(logging.WARNING, logger="core.services")
        timings: dict[str, float] = {}
        response = _timed(
            timings,
            "request_info step",
            lambda: reviewer_client.post(
                f"/orders/{to_review.pk}/request-info/", {"reason": "规格不清"}
            ),
        )
        assert response.status_code == 302
        response = _timed(
            timings,
            "approve step",
            lambda: manager_client.post(f"/orders/{to_approve.pk}/approve/", {"note": ""}),
        )
        assert response.status_code == 302
        response = _timed(
            timings, "order page", lambda: reviewer_client.get(f"/orders/{to_review.pk}/")
        )
        assert response.status_code == 200
        print("seconds per request while Redis hangs:", timings)

    # One socket timeout for the first step; the approval (two notifications) right after
    # does not wait for the broker again.
    assert timings["request_info step"] < socket_timeout + 1.0, timings
    assert timings["approve step"] < 1.0, timings
    assert timings["order page"] < 1.0, timings
    assert "broker unavailable" in caplog.text
    assert Order.objects.get(pk=to_review.pk).status == OrderStatus.NEEDS_INFO
    assert Order.objects.get(pk=to_approve.pk).status == OrderStatus.CONFIRMED
    assert not Notification.objects.exclude(webhook_queued_at=None).exists()


def _orders_to_review_and_approve(make_user, *, first_number: int):  # type: ignore[no-untyped-def]
    """An order waiting for review and one the manager's approval confirms (below the
    director's threshold, at list price), with the people who act on them."""
    assistant = make_user("sales_assistant")
    reviewer = make_user("sales_assistant")
    manager = make_user("sales_manager")
    make_user("warehouse")  # told when the order is confirmed
    to_review = OrderFactory(
        owner=assistant,
        created_by=assistant,
        status="pending_review",
        number=f"202611-{first_number}",
    )
    OrderLineFactory(order=to_review)
    to_approve = OrderFactory(
        owner=assistant,
        created_by=assistant,
        status="pending_approval",
        number=f"202611-{first_number + 1}",
        customer__credit_limit=Decimal("1000000"),
    )
    OrderLineFactory(order=to_approve, quantity=Decimal("1"))
    order_recalculate_total(order=to_approve)
    return assistant, reviewer, manager, to_review, to_approve
