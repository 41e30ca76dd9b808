"""The scanner: warn, breach, escalate — each exactly once, late clocks caught up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from core.models import Notification, NotificationVerb, SlaClock
from core.services import sla_clock_meet, sla_clocks_scan
from core.tests.conftest import at

pytestmark = pytest.mark.django_db

START = at(2025, 11, 24, 9)  # an ordinary Monday
WARN = at(2025, 11, 24, 10, 30)  # 75 % of 2 working hours
DUE = at(2025, 11, 24, 11)


@pytest.fixture
def manager(make_user):  # type: ignore[no-untyped-def]
    return make_user("sales_manager", username="manager")


@pytest.fixture
def clock(start_clock, manager):  # type: ignore[no-untyped-def]
    return start_clock(working_hours=2, started_at=START, escalate_to=manager)


def test_nothing_happens_before_the_warning_point(clock):
    result = sla_clocks_scan(now=WARN - timedelta(minutes=1))
    assert result.as_dict() == {"warned": 0, "breached": 0, "escalated": 0}
    assert not Notification.objects.exists()


def test_owner_is_warned_once_at_75_percent(clock):
    first = sla_clocks_scan(now=WARN)
    second = sla_clocks_scan(now=WARN + timedelta(minutes=1))
    assert first.warned == 1
    assert second.warned == 0
    notification = Notification.objects.get()
    assert notification.recipient == clock.owner
    assert notification.verb == NotificationVerb.CLOCK_WARNING
    assert notification.clock == clock
    clock.refresh_from_db()
    assert clock.reminded_at == WARN


def test_breach_notifies_owner_and_escalates_to_manager_once(clock, manager):
    sla_clocks_scan(now=WARN)
    result = sla_clocks_scan(now=DUE)
    assert (result.breached, result.escalated) == (1, 1)
    assert sla_clocks_scan(now=DUE + timedelta(hours=1)).as_dict() == {
        "warned": 0,
        "breached": 0,
        "escalated": 0,
    }
    verbs = sorted(Notification.objects.values_list("verb", "recipient__username"))
    assert verbs == sorted(
        [
            (NotificationVerb.CLOCK_WARNING, clock.owner.username),
            (NotificationVerb.CLOCK_BREACHED, clock.owner.username),
            (NotificationVerb.CLOCK_ESCALATED, manager.username),
        ]
    )


def test_clock_that_passed_while_workers_were_down_is_breached_on_the_next_scan(clock):
    # No scan ran at the warning point nor at the deadline; the next one runs a day later.
    result = sla_clocks_scan(now=DUE + timedelta(days=1))
    assert (result.warned, result.breached, result.escalated) == (0, 1, 1)
    clock.refresh_from_db()
    assert clock.breached_at == DUE + timedelta(days=1)
    assert clock.reminded_at is None


def test_escalation_waits_for_the_grace_period(clock, settings):
    settings.SLA_ESCALATION_DELAY_MINUTES = 30
    assert sla_clocks_scan(now=DUE).as_dict() == {"warned": 0, "breached": 1, "escalated": 0}
    assert sla_clocks_scan(now=DUE + timedelta(minutes=29)).escalated == 0
    assert sla_clocks_scan(now=DUE + timedelta(minutes=30)).escalated == 1


def test_met_clock_is_never_reported(clock):
    sla_clock_meet(target=clock.target, kind="clarification", at=WARN - timedelta(minutes=5))
    assert sla_clocks_scan(now=DUE + timedelta(days=1)).as_dict() == {
        "warned": 0,
        "breached": 0,
        "escalated": 0,
    }


def test_scan_that_dies_before_commit_loses_nothing(clock):
    class WorkerKilled(Exception):
        pass

    with pytest.raises(WorkerKilled), transaction.atomic():
        sla_clocks_scan(now=DUE)
        raise WorkerKilled
    assert not Notification.objects.exists()
    assert SlaClock.objects.get(pk=clock.pk).breached_at is None
    assert sla_clocks_scan(now=DUE).breached == 1


def test_notifications_are_emailed_after_commit(clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sla_clocks_scan(now=DUE)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [clock.owner.email, clock.escalate_to.email]
    )
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_no_email_before_commit(clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sla_clocks_scan(now=DUE)
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_many_clocks_are_scanned_in_batches(start_clock):
    for _i in range(7):
        start_clock(working_hours=2, started_at=START)
    result = sla_clocks_scan(now=DUE, batch_size=3)
    assert result.breached == 7
    assert Notification.objects.count() == 7


def test_notification_links_to_the_object(start_clock, make_target, monkeypatch):
    from django.contrib.auth.models import Group

    monkeypatch.setattr(
        Group, "get_absolute_url", lambda self: f"/groups/{self.pk}/", raising=False
    )
    target = make_target("订单 202511-001")
    start_clock(target=target, working_hours=2, started_at=START)
    sla_clocks_scan(now=DUE)
    notification = Notification.objects.get()
    assert notification.url == f"/groups/{target.pk}/"
    assert "202511-001" in notification.title


def test_scan_task_runs_the_scan(clock, monkeypatch):
    from core import tasks

    monkeypatch.setattr("django.utils.timezone.now", lambda: DUE)
    assert tasks.scan_sla_clocks.apply().get() == {"warned": 0, "breached": 1, "escalated": 1}


def test_scan_is_scheduled_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["scan-sla-clocks"]
    assert entry["task"] == "core.scan_sla_clocks"
    assert entry["schedule"] == 60.0
