"""Integration: a ticket left unanswered breaches and escalates to the manager exactly once,
scanned by a real Celery worker process on REDIS_URL (or the filesystem broker) against this
run's test database. Time is moved forward by starting the clock 25 hours ago."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from aftersales import services
from core.models import Notification, NotificationVerb, SlaClock, SlaKind
from core.tests.test_celery_worker import BASE_DIR, _forget_queue
from tests.processes import worker_command

WAIT_SECONDS = 30


def _start_worker(queue: str, log) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PORTAL_DB_NAME": connection.settings_dict["NAME"],
        "PORTAL_TESTING": "1",
        "NOTIFY_WEBHOOK_URL": "",
    }
    return subprocess.Popen(  # noqa: S603 (fixed arguments)
        worker_command(hostname=f"{queue}@%h", queues=queue),
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _scans_done(log_path) -> int:  # type: ignore[no-untyped-def]
    text = log_path.read_text(errors="replace")
    return sum(
        1 for line in text.splitlines() if "core.scan_sla_clocks" in line and "succeeded" in line
    )


def _wait(predicate, worker) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return True
        if worker.poll() is not None:
            return False
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_unanswered_ticket_breaches_and_escalates_exactly_once(
    people, delivered_order, tmp_path
):
    ticket = services.ticket_open_complaint(
        actor=people["am"], order=delivered_order, kind="repair", description="服务器运行时有异响"
    )
    now = timezone.now()
    # Time moved forward: the ticket was opened 25 hours ago and nobody answered.
    clocks = SlaClock.objects.for_target(ticket).filter(kind=SlaKind.AFTERSALES_RESPONSE)
    clocks.update(
        started_at=now - timedelta(hours=25),
        due_at=now - timedelta(hours=1),
        warn_at=now - timedelta(hours=7),
    )
    clock = clocks.get()
    queue = f"test-aftersales-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / "worker.log"
    from config.celery import app

    with log_path.open("wb") as log:
        worker = _start_worker(queue, log)
        try:
            app.send_task("core.scan_sla_clocks", queue=queue)
            escalated = _wait(
                lambda: Notification.objects.filter(
                    clock=clock, verb=NotificationVerb.CLOCK_ESCALATED
                ).exists(),
                worker,
            )
            # A second and third scan must not send anything again.
            for _n in range(2):
                app.send_task("core.scan_sla_clocks", queue=queue)
            # Wait until the worker has run all three scans (its log says so).
            _wait(lambda: _scans_done(log_path) >= 3, worker)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
    _forget_queue(queue)
    output = log_path.read_text(errors="replace")
    assert escalated, f"no escalation from the worker; its log:\n{output}"
    notes = Notification.objects.filter(clock=clock)
    assert notes.filter(verb=NotificationVerb.CLOCK_ESCALATED).count() == 1
    assert notes.get(verb=NotificationVerb.CLOCK_ESCALATED).recipient == people["boss"]
    assert notes.filter(verb=NotificationVerb.CLOCK_BREACHED).count() == 1
    assert notes.get(verb=NotificationVerb.CLOCK_BREACHED).recipient == people["as"]
    clock.refresh_from_db()
    assert clock.breached_at and clock.escalated_at and clock.met_at is None
    assert _scans_done(log_path) >= 3, output
