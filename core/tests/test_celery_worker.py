"""Integration: a real Celery worker process scans the test database and writes the notification.

The worker talks to REDIS_URL when it is set (CI), else to the embedded
filesystem broker; it uses this run's test database through PORTAL_DB_NAME
(config/settings.py) and listens on a queue of its own, so it takes no message
meant for anyone else.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import Notification, NotificationVerb, SlaClock
from tests.processes import worker_command

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 20


def _forget_queue(queue: str) -> None:
    """Remove what kombu left behind for the private queue (Redis keeps binding keys)."""
    if not settings.REDIS_URL:
        return  # the filesystem transport keeps nothing per queue once it is empty
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)


@pytest.mark.django_db(transaction=True)
def test_real_celery_worker_breaches_a_clock_and_writes_the_notification(start_clock, tmp_path):
    now = timezone.now()
    # Due a second from now: it breaches while the worker starts.
    clock = start_clock(due_at=now + timedelta(seconds=1), started_at=now - timedelta(hours=1))
    queue = f"test-deadlines-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PORTAL_DB_NAME": connection.settings_dict["NAME"],
        "PORTAL_TESTING": "1",  # no production checks (SECRET_KEY) in the worker
        "NOTIFY_WEBHOOK_URL": "",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603 (fixed arguments)
            worker_command(hostname=f"{queue}@%h", queues=queue),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(max((clock.due_at - timezone.now()).total_seconds(), 0) + 0.1)
            from config.celery import app

            app.send_task("core.scan_sla_clocks", queue=queue)
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                if Notification.objects.filter(clock=clock).exists():
                    break
                if worker.poll() is not None:
                    break
                time.sleep(0.2)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
    _forget_queue(queue)
    output = log_path.read_text(errors="replace")
    notification = Notification.objects.filter(clock=clock).first()
    assert notification is not None, f"no notification from the worker; its log:\n{output}"
    assert notification.verb == NotificationVerb.CLOCK_BREACHED
    assert notification.recipient == clock.owner
    assert SlaClock.objects.get(pk=clock.pk).breached_at is not None
    assert "core.scan_sla_clocks" in output
    # The worker really ran on the broker this run was given.
    assert ("redis://" if settings.REDIS_URL else "filesystem://") in output
