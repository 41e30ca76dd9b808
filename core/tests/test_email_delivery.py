"""E-mail of notifications: nothing lost, nothing doubled that can be prevented.

The after-commit send and the deadline scan's re-send both claim a notification
(``email_claimed_at``, under a row lock, committed) before e-mailing it, so one
e-mail goes out per notification whoever sends it — also with several scans at once.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.utils import timezone

from core import services
from core.models import Notification
from core.services import notification_emails_resend, notifications_deliver, sla_clocks_scan
from core.tests.conftest import at

START = at(2025, 11, 24, 9)  # an ordinary Monday
DUE = at(2025, 11, 24, 11)  # 2 working hours later


class SlowBackend(locmem.EmailBackend):
    """The test outbox, a little slow, as a real mail server is: sends overlap."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        time.sleep(0.002)
        return super().send_messages(messages)


class RefusingBackend(locmem.EmailBackend):
    """A mail server that refuses every recipient at refused.example.com."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        for message in messages:
            if message.to[0].endswith("@refused.example.com"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})
        return super().send_messages(messages)


class _Clock:
    """timezone.now() as the test says: the scan a minute later, an hour later…"""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
        self.now = now
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _notifications(user, count: int, *, age: timedelta) -> list[Notification]:  # type: ignore[no-untyped-def]
    """Notifications whose after-commit e-mail never ran (the process died first)."""
    created_at = timezone.now() - age
    return Notification.objects.bulk_create(
        Notification(recipient=user, title=f"提醒 {user.username} {n:03d}", created_at=created_at)
        for n in range(count)
    )


def _titles() -> Counter[str]:
    return Counter(message.subject for message in mail.outbox)


# --- (a) the scan sends what the after-commit send never did, once ---------------------
@pytest.mark.django_db
def test_an_email_whose_after_commit_send_never_ran_is_sent_once_by_the_next_scan(
    start_clock, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    manager = make_user("sales_manager", username="manager")
    clock = start_clock(working_hours=2, started_at=START, escalate_to=manager)
    now = _Clock(monkeypatch, DUE)
    # The worker dies right after the scan's commit: its after-commit delivery never runs.
    monkeypatch.setattr(services, "notifications_deliver", lambda **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        first = sla_clocks_scan()
    assert (first.breached, first.escalated, first.emails_resent) == (1, 1, 0)
    # Seconds old: still the writer's to send, the scan leaves them alone.
    assert mail.outbox == []
    assert not Notification.objects.exclude(email_claimed_at=None).exists()

    now.advance(minutes=1)  # the next scan, a minute later (beat)
    second = sla_clocks_scan()
    assert second.emails_resent == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [clock.owner.email, manager.email]
    )
    assert _titles() == Counter(Notification.objects.values_list("title", flat=True))
    assert not Notification.objects.filter(emailed_at=None).exists()

    # Nothing more: not from the next scans, not from a late after-commit send.
    now.advance(hours=2)  # also past the time after which a claim counts as lost
    assert sla_clocks_scan().emails_resent == 0
    monkeypatch.undo()
    notifications_deliver(notification_ids=list(Notification.objects.values_list("pk", flat=True)))
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_after_commit_send_claims_and_marks_so_the_scan_sends_nothing_again(
    start_clock, monkeypatch, django_capture_on_commit_callbacks
):
    start_clock(working_hours=2, started_at=START)
    now = _Clock(monkeypatch, DUE)
    with django_capture_on_commit_callbacks(execute=True):
        sla_clocks_scan()
    assert len(mail.outbox) == 1
    notification = Notification.objects.get()
    assert notification.email_claimed_at == DUE
    assert notification.emailed_at == DUE
    now.advance(hours=2)
    assert sla_clocks_scan().emails_resent == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_claim_without_email_counts_as_lost_only_after_the_lost_time(make_user, settings):
    settings.NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER = 3600
    (notification,) = _notifications(make_user(), 1, age=timedelta(minutes=30))
    # A sender claimed it 20 minutes ago and died, perhaps after the server took it.
    claimed = timezone.now() - timedelta(minutes=20)
    Notification.objects.filter(pk=notification.pk).update(email_claimed_at=claimed)

    assert notification_emails_resend() == 0  # perhaps still being sent: not touched
    services._send_emails([notification.pk])  # nor by a late after-commit send
    assert mail.outbox == []
    later = claimed + timedelta(seconds=3600)
    assert notification_emails_resend(now=later) == 1
    assert notification_emails_resend(now=later + timedelta(hours=2)) == 0
    assert _titles() == {notification.title: 1}


@pytest.mark.django_db
def test_a_mail_server_that_is_down_gives_the_claims_back_for_the_next_scan(make_user, monkeypatch):
    notifications = _notifications(make_user(), 3, age=timedelta(seconds=1))

    class Down:
        def open(self) -> None:
            raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(services, "get_connection", Down)
    assert services._send_emails([n.pk for n in notifications]) == 0
    assert not Notification.objects.exclude(email_claimed_at=None).exists()
    monkeypatch.undo()

    assert notification_emails_resend() == 0  # a second old: still the writer's
    assert notification_emails_resend(now=timezone.now() + timedelta(minutes=1)) == 3
    assert _titles() == Counter(n.title for n in notifications)


@pytest.mark.django_db
def test_a_refused_message_is_tried_again_after_the_lost_time_not_every_scan(make_user, settings):
    settings.EMAIL_BACKEND = "core.tests.test_email_delivery.RefusingBackend"
    settings.NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER = 3600
    refused = make_user(email="gone@refused.example.com")
    (bad,) = _notifications(refused, 1, age=timedelta(minutes=5))
    good = _notifications(make_user(), 2, age=timedelta(minutes=5))

    assert notification_emails_resend() == 2  # the refusal stops nothing else
    assert notification_emails_resend(now=timezone.now() + timedelta(minutes=1)) == 0
    bad.refresh_from_db()
    assert bad.email_claimed_at is not None and bad.emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # fixed
    assert notification_emails_resend(now=timezone.now() + timedelta(hours=1, minutes=1)) == 1
    assert _titles() == Counter(n.title for n in [bad, *good])


@pytest.mark.django_db
def test_the_scan_sends_at_most_limit_per_run_within_the_max_age(make_user, settings):
    settings.NOTIFY_WEBHOOK_REQUEUE_MAX_AGE_HOURS = 24
    user = make_user()
    recent = _notifications(user, 5, age=timedelta(minutes=5))
    hour_ago = timezone.now() - timedelta(hours=1)
    Notification.objects.create(
        recipient=make_user(email=""), title="没有邮箱", created_at=hour_ago
    )
    too_old = timezone.now() - timedelta(hours=25)
    Notification.objects.create(recipient=user, title="昨天以前", created_at=too_old)

    assert notification_emails_resend(limit=3) == 3
    assert notification_emails_resend(limit=3) == 2
    assert notification_emails_resend(limit=3) == 0
    assert _titles() == Counter(n.title for n in recent)


@pytest.mark.django_db
def test_no_email_resent_when_email_is_off(make_user, settings):
    settings.NOTIFY_EMAIL = False
    _notifications(make_user(), 2, age=timedelta(minutes=5))
    assert notification_emails_resend() == 0
    assert mail.outbox == []


# --- (b) concurrent senders: each e-mail once -------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_and_the_after_commit_send_email_each_notification_once(
    make_user, settings
):
    settings.EMAIL_BACKEND = "core.tests.test_email_delivery.SlowBackend"
    users = [make_user(), make_user(), make_user()]
    notifications = [
        notification
        for user in users
        for notification in _notifications(user, 20, age=timedelta(minutes=5))
    ]
    ids = [n.pk for n in notifications]
    barrier = threading.Barrier(4)
    sent: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            # Small claims, again and again: the senders interleave all along.
            while count := notification_emails_resend(limit=4):
                sent.append(count)
        except BaseException as exc:  # reported in the test thread
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    def after_commit() -> None:
        try:
            barrier.wait(timeout=10)
            for start in range(0, len(ids), 6):
                sent.append(services._send_emails(ids[start : start + 6]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _i in range(3)]
    threads.append(threading.Thread(target=after_commit))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(sent) == len(notifications)
    assert _titles() == Counter(n.title for n in notifications)
    assert max(_titles().values()) == 1
    assert not Notification.objects.filter(pk__in=ids, emailed_at=None).exists()
    # A further scan finds nothing.
    assert notification_emails_resend(now=timezone.now() + timedelta(hours=2)) == 0
    assert len(mail.outbox) == len(notifications)
