"""Two scanners at once on PostgreSQL: every reminder is sent exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection, transaction

from core.models import Notification, SlaClock
from core.services import sla_clocks_scan
from core.tests.conftest import at

START = at(2025, 11, 24, 9)
WARN = at(2025, 11, 24, 10, 30)
DUE = at(2025, 11, 24, 11)


def _run_scanners(count: int, now, batch_size: int) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(sla_clocks_scan(now=now, batch_size=batch_size))
        except BaseException as exc:  # reported in the test thread
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=scan) for _i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == count
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scanners_send_each_reminder_exactly_once(start_clock, make_user):
    manager = make_user("sales_manager")
    warn_only = [start_clock(working_hours=4, started_at=START) for _i in range(15)]
    breached = [
        start_clock(working_hours=2, started_at=START, escalate_to=manager) for _i in range(15)
    ]

    # Warning point of the 2-hour clocks: warns them; the 4-hour ones are not there yet.
    _run_scanners(2, WARN, batch_size=2)
    # Past the 4-hour clocks' warning point and the 2-hour clocks' deadline.
    results = _run_scanners(2, at(2025, 11, 24, 12, 0), batch_size=2)

    events = Counter(Notification.objects.values_list("clock_id", "verb", "recipient_id"))
    assert events, "no notifications at all"
    assert max(events.values()) == 1
    expected = (
        # 2-hour clocks: warning, breach, escalation; 4-hour clocks: warning.
        len(breached) * 3 + len(warn_only)
    )
    assert sum(events.values()) == expected
    assert sum(r.breached for r in results) == len(breached)  # type: ignore[attr-defined]
    # Each clock carries its marks; nothing left for a third scanner.
    assert not SlaClock.objects.filter(pk__in=[c.pk for c in breached], breached_at=None).exists()
    assert sla_clocks_scan(now=at(2025, 11, 24, 12, 0)).notification_ids == []
    # And e-mail (sent after each commit) went out once per notification.
    assert len(mail.outbox) == expected


@pytest.mark.django_db(transaction=True)
def test_scanner_skips_a_clock_another_scanner_holds_and_sends_it_later(start_clock):
    clock = start_clock(working_hours=2, started_at=START)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                SlaClock.objects.select_for_update().get(pk=clock.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        assert sla_clocks_scan(now=DUE).breached == 0  # skipped, not blocked
    finally:
        release.set()
        holder.join(timeout=10)
    assert sla_clocks_scan(now=DUE).breached == 1
    assert Notification.objects.filter(clock=clock).count() == 1
