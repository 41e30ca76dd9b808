"""Faults: the Celery worker is SIGKILLed in the middle of a deadline scan.

A real worker (its own redis-server as broker, this run's test database) scans 300
due clocks in batches of 10 and is killed after a few batches. What it committed is
whole — every marked clock has its one notification, no notification lacks its
mark — and the batch it was working on left nothing. A new worker's scan (what beat
sends every minute) does the rest: in the end every clock is warned or breached
exactly once, with exactly one notification, and every notification reached the
webhook robot exactly once — none lost with the killed worker, none doubled.

E-mail goes to a real SMTP server of the test: every notification is e-mailed once.
The one exception SMTP allows is the message the killed worker had handed to the
server but not yet marked sent: its claim counts as lost and it is sent again
(at least once). Whatever the worker had claimed and not yet sent is sent by the
next scans, not lost.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.utils import timezone

from core.models import DurationUnit, Notification, NotificationVerb, SlaClock, SlaKind
from core.services import webhook_payload
from tests.processes import Worker, celery_broker, mail_sink, redis_server, robot, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

CLOCKS = 300  # half breached, half only due for the warning
BATCH = 10  # clocks per scan transaction in the killed worker
KILL_AFTER = 40  # notifications committed when the worker is killed (4 batches)
SCAN_TASK = "core.scan_sla_clocks"
# Seconds after which an e-mail claimed and not sent counts as lost (production: an hour).
CLAIM_LOST_AFTER = 3


def _due_clocks(owner) -> list[SlaClock]:  # type: ignore[no-untyped-def]
    now = timezone.now()
    groups = Group.objects.bulk_create(Group(name=f"kill-T{n:04d}") for n in range(CLOCKS))
    group_type = ContentType.objects.get_for_model(Group)
    clocks = []
    for n, group in enumerate(groups):
        breached = n % 2 == 0
        clocks.append(
            SlaClock(
                content_type=group_type,
                object_id=group.pk,
                kind=SlaKind.FOLLOWUP_VISIT,
                owner=owner,
                started_at=now - timedelta(hours=3),
                warn_at=now - timedelta(hours=2 if breached else 0, minutes=10),
                due_at=now - timedelta(hours=1) if breached else now + timedelta(days=1),
                duration_unit=DurationUnit.FIXED,
            )
        )
    return SlaClock.objects.bulk_create(clocks)


def _marked() -> Q:
    return Q(breached_at__isnull=False) | Q(reminded_at__isnull=False)


def test_a_worker_killed_mid_scan_loses_no_reminder_and_the_next_scan_doubles_none(
    make_user, tmp_path
):
    owner = make_user("account_manager")
    clocks = _due_clocks(owner)
    from config.celery import app

    with (
        robot() as group_robot,
        mail_sink() as smtp,
        redis_server(tmp_path / "redis") as redis,
    ):
        env = {
            "REDIS_URL": redis.url,
            "NOTIFY_WEBHOOK_URL": group_robot.url,
            "NOTIFY_EMAIL": "true",
            **smtp.env(),
        }
        with celery_broker(redis.url):
            # --- a scan, killed after a few batches ------------------------------------
            doomed = Worker(tmp_path / "worker-killed.log", SLA_SCAN_BATCH_SIZE=str(BATCH), **env)
            doomed.start()
            app.send_task(SCAN_TASK, ignore_result=True)
            reached = wait_until(
                lambda: Notification.objects.count() >= KILL_AFTER, timeout=20, step=0.005
            )
            doomed.kill()
            killed_at = time.monotonic()
            assert reached, f"the scan did not start; worker log:\n{doomed.log()[-4000:]}"
            # What the mail server has from the killed worker, and what it claimed and
            # never marked sent (perhaps sent — that is the one SMTP cannot tell).
            assert wait_until(smtp.idle, timeout=5)
            mailed_at_kill = set(smtp.subjects())
            claimed_unsent = set(
                Notification.objects.filter(emailed_at=None)
                .exclude(email_claimed_at=None)
                .values_list("title", flat=True)
            )
            print(
                f"e-mails at the kill: {len(mailed_at_kill)} received, "
                f"{len(claimed_unsent)} claimed and not marked sent"
            )
            at_kill = Notification.objects.count()
            print(f"killed with {at_kill} of {CLOCKS} clocks notified")
            assert at_kill < CLOCKS, "the scan finished before the kill: make it longer"
            assert not doomed.tasks_ended(SCAN_TASK), "the scan ended before the kill"

            # Only whole batches were committed: each marked clock has its one
            # notification, each notification its marked clock.
            assert at_kill % BATCH == 0, at_kill
            assert SlaClock.objects.filter(_marked()).count() == at_kill
            assert not (
                SlaClock.objects.annotate(n=Count("notifications"))
                .filter(_marked())
                .exclude(n=1)
                .exists()
            )
            assert not SlaClock.objects.exclude(_marked()).filter(notifications__isnull=False)

            # --- a new worker, and the scan beat sends a minute later -------------------
            survivor = Worker(
                tmp_path / "worker-new.log",
                pool="threads",
                concurrency=4,
                # The never-queued webhooks of the killed worker are a minute old in real
                # life; here they are seconds old. So are its claimed e-mails.
                NOTIFY_WEBHOOK_REQUEUE_AFTER="0",
                NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER=str(CLAIM_LOST_AFTER),
                **env,
            )
            survivor.start()
            try:
                app.send_task(SCAN_TASK, ignore_result=True)
                assert wait_until(
                    lambda: not SlaClock.objects.exclude(_marked()).exists(), timeout=20
                ), survivor.log()[-4000:]
                assert wait_until(
                    lambda: not Notification.objects.filter(webhook_sent_at=None).exists(),
                    timeout=20,
                ), f"webhooks not sent; worker log:\n{survivor.log()[-4000:]}"
                # A scan once the killed worker's claims count as lost sends what it
                # claimed and did not send.
                time.sleep(max(0.0, killed_at + CLAIM_LOST_AFTER + 0.5 - time.monotonic()))
                app.send_task(SCAN_TASK, ignore_result=True)
                assert wait_until(lambda: survivor.tasks_ended(SCAN_TASK) >= 2, timeout=20)
                assert not Notification.objects.filter(emailed_at=None).exists(), (
                    f"e-mails not sent; worker log:\n{survivor.log()[-4000:]}"
                )
                # One more scan: nothing is left to send, nothing is sent again.
                app.send_task(SCAN_TASK, ignore_result=True)
                assert wait_until(lambda: survivor.tasks_ended(SCAN_TASK) >= 3, timeout=20)
            finally:
                survivor.stop()

    # Every clock marked exactly once, with exactly one notification of the right kind.
    clocks_by_pk = {clock.pk: clock for clock in clocks}
    notifications = list(Notification.objects.select_related("clock"))
    assert len(notifications) == CLOCKS
    assert Counter(n.clock_id for n in notifications) == Counter(list(clocks_by_pk))
    for notification in notifications:
        clock = notification.clock
        if clock.due_at <= clock.started_at + timedelta(hours=2):  # the breached half
            assert notification.verb == NotificationVerb.CLOCK_BREACHED
            assert clock.breached_at is not None and clock.reminded_at is None
        else:
            assert notification.verb == NotificationVerb.CLOCK_WARNING
            assert clock.reminded_at is not None and clock.breached_at is None
    # Every notification reached the robot exactly once.
    assert Counter(group_robot.contents()) == Counter(
        webhook_payload(n)["text"]["content"] for n in notifications
    )
    assert {n.webhook_attempts for n in notifications} == {1}
    # Every notification e-mailed exactly once — but the one the mail server took
    # from the killed worker before it could mark it sent, which went twice.
    doubled = mailed_at_kill & claimed_unsent
    assert len(doubled) <= 1, doubled
    assert Counter(smtp.subjects()) == Counter(
        {n.title: 2 if n.title in doubled else 1 for n in notifications}
    )
    print(f"e-mails sent twice (SMTP's window between acceptance and the mark): {len(doubled)}")
