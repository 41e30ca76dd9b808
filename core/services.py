"""Core's write operations: calendar overrides, SLA clocks, notifications, the scanner.

Business apps only start, meet and cancel clocks (``sla_clock_*``); the
scanner (``sla_clocks_scan``, run every minute by Celery beat) does the rest.
Slow external sends (e-mail, webhook) never happen inside a lock: they run
after the commit, the webhook in its own Celery task with a timeout and retries.
A webhook task the broker did not take (Redis down) is queued again by the scan,
and so is an e-mail that never went out (the process died, the mail server was down).
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.query import prefetch_related_objects
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _l

from core.calendar import BusinessCalendar
from core.exceptions import WebhookError
from core.messages import MessageLike, Msg, datetime_param, join_messages, message_store
from core.models import (
    CalendarOverride,
    DurationUnit,
    Notification,
    NotificationVerb,
    SlaClock,
    SlaKind,
    UserPreference,
    target_url,
)
from core.queueing import broker_errors

logger = logging.getLogger(__name__)

MSG_ONE_DURATION = "give exactly one of due_at, working_hours, working_days or hours"


# --- calendar overrides -------------------------------------------------------------
@transaction.atomic
def calendar_override_save(*, day: date, is_working_day: bool, note: str = "") -> CalendarOverride:
    """Make ``day`` a working day or a day off, whatever the official calendar says.

    Open clocks that fall due on or after that day are rescheduled, so entering
    next year's official holidays moves the deadlines that were only guessed.
    """
    override, _created = CalendarOverride.objects.update_or_create(
        date=day, defaults={"is_working_day": is_working_day, "note": note}
    )
    sla_clocks_reschedule(since=day)
    return override


@transaction.atomic
def calendar_override_delete(*, override: CalendarOverride) -> None:
    """Give the day back to the official calendar and reschedule the clocks it moves."""
    day = override.date
    override.delete()
    sla_clocks_reschedule(since=day)


@transaction.atomic
def calendar_overrides_import(*, days: Iterable[tuple[date, bool, str]]) -> int:
    """Save many overrides (a year's official schedule) and reschedule the clocks once.

    ``days`` are (day, is_working_day, note); the rows are saved like
    :func:`calendar_override_save`, all or none. Returns how many were saved.
    """
    saved = [
        CalendarOverride.objects.update_or_create(
            date=day, defaults={"is_working_day": is_working_day, "note": note}
        )[0]
        for day, is_working_day, note in days
    ]
    if saved:
        sla_clocks_reschedule(since=min(override.date for override in saved))
    return len(saved)


# --- SLA clocks -----------------------------------------------------------------------
def _warn_at(calendar: BusinessCalendar, clock: SlaClock) -> datetime:
    """The moment SLA_WARN_PERCENT of the clock's time has passed.

    Working-time clocks count working time (75 % of 2 working hours is 1.5
    working hours); wall-clock ones count wall-clock time.
    """
    share = Decimal(settings.SLA_WARN_PERCENT) / 100
    if clock.duration_unit in (DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS):
        working = calendar.working_time_between(clock.started_at, clock.due_at)
        if working > timedelta(0):
            return calendar.add_working_time(clock.started_at, working * float(share))
    return clock.started_at + (clock.due_at - clock.started_at) * float(share)


def _due_at(
    calendar: BusinessCalendar, started_at: datetime, unit: str, amount: Decimal | None
) -> datetime:
    if unit == DurationUnit.WORKING_HOURS:
        return calendar.add_working_hours(started_at, float(amount or 0))
    if unit == DurationUnit.WORKING_DAYS:
        return calendar.add_working_days(started_at, int(amount or 0))
    if unit == DurationUnit.HOURS:
        return started_at + timedelta(hours=float(amount or 0))
    raise ValueError(f"a {unit} clock has no computed due time")


def sla_clock_start(
    *,
    target: models.Model,
    kind: str,
    owner: User,
    due_at: datetime | None = None,
    working_hours: float | Decimal | None = None,
    working_days: int | None = None,
    hours: float | Decimal | None = None,
    escalate_to: User | None = None,
    started_at: datetime | None = None,
    note: MessageLike = "",
    calendar: BusinessCalendar | None = None,
) -> SlaClock:
    """Start the ``kind`` deadline on ``target`` for ``owner``.

    The deadline is a fixed ``due_at``, or N working hours / working days on
    the business calendar, or N hours of wall-clock time (e.g. the 24-hour
    after-sales response). Starting a clock that is already running on the same
    object is a no-op that returns the running clock — also when two requests
    race (the partial unique constraint decides).
    """
    given = [value is not None for value in (due_at, working_hours, working_days, hours)]
    if sum(given) != 1:
        raise ValueError(MSG_ONE_DURATION)
    if kind not in SlaKind.values:
        raise ValueError(f"unknown clock kind {kind!r}")

    running = SlaClock.objects.open().for_target(target).filter(kind=kind).first()
    if running is not None:
        return running

    calendar = calendar or BusinessCalendar()
    started_at = started_at or timezone.now()
    if working_hours is not None:
        unit, amount = DurationUnit.WORKING_HOURS, Decimal(str(working_hours))
    elif working_days is not None:
        unit, amount = DurationUnit.WORKING_DAYS, Decimal(working_days)
    elif hours is not None:
        unit, amount = DurationUnit.HOURS, Decimal(str(hours))
    else:
        unit, amount = DurationUnit.FIXED, None
    note_text, note_msg = message_store(note)
    clock = SlaClock(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        kind=kind,
        owner=owner,
        escalate_to=escalate_to,
        started_at=started_at,
        due_at=due_at if due_at is not None else _due_at(calendar, started_at, unit, amount),
        duration_unit=unit,
        duration_amount=amount,
        note=note_text[:500],
        note_msg=note_msg,
    )
    clock.warn_at = _warn_at(calendar, clock)
    # The unique constraint is checked by the database below, where it is race-free.
    clock.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            clock.save()
    except IntegrityError:
        # Another request started the same clock between our check and insert.
        return SlaClock.objects.open().for_target(target).get(kind=kind)
    return clock


def _stop(
    *, target: models.Model, kind: str, field_name: str, at: datetime | None
) -> SlaClock | None:
    with transaction.atomic():
        # Locked so that a concurrent scan does not warn about a clock being met.
        clock = (
            SlaClock.objects.open().for_target(target).filter(kind=kind).select_for_update().first()
        )
        if clock is None:
            return (
                SlaClock.objects.for_target(target)
                .filter(kind=kind)
                .exclude(**{f"{field_name}__isnull": True})
                .order_by(f"-{field_name}")
                .first()
            )
        setattr(clock, field_name, at or timezone.now())
        clock.save(update_fields=[field_name])
        return clock


def sla_clock_meet(
    *, target: models.Model, kind: str, at: datetime | None = None
) -> SlaClock | None:
    """Record that the ``kind`` deadline on ``target`` was met (e.g. the customer was called).

    Idempotent: meeting a clock that is already met (or never ran) changes
    nothing and returns the last met clock, or None.
    """
    return _stop(target=target, kind=kind, field_name="met_at", at=at)


def sla_clock_cancel(
    *, target: models.Model, kind: str, at: datetime | None = None
) -> SlaClock | None:
    """Stop the ``kind`` deadline on ``target`` without meeting it (e.g. the order was cancelled).

    Idempotent like :func:`sla_clock_meet`.
    """
    return _stop(target=target, kind=kind, field_name="cancelled_at", at=at)


@transaction.atomic
def sla_clocks_reschedule(*, since: date, calendar: BusinessCalendar | None = None) -> int:
    """Recompute due and warning times of open, not yet breached clocks due on or after ``since``.

    Only clocks counted on the calendar move; fixed and wall-clock deadlines stay.
    Returns how many clocks changed.
    """
    calendar = calendar or BusinessCalendar()
    since_moment = datetime.combine(since, datetime.min.time(), tzinfo=calendar.tz)
    clocks = list(
        SlaClock.objects.open()
        .filter(
            breached_at__isnull=True,
            due_at__gte=since_moment,
            duration_unit__in=[DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS],
        )
        .select_for_update(skip_locked=True)
    )
    changed = []
    for clock in clocks:
        due = _due_at(calendar, clock.started_at, clock.duration_unit, clock.duration_amount)
        if due != clock.due_at:
            clock.due_at = due
            clock.warn_at = _warn_at(calendar, clock)
            changed.append(clock)
    SlaClock.objects.bulk_update(changed, ["due_at", "warn_at"])
    return len(changed)


# --- notifications --------------------------------------------------------------------
def _absolute(url: str) -> str:
    base = settings.PORTAL_BASE_URL or ""
    if url.startswith("/") and base:
        return base.rstrip("/") + url
    return url


def notification_create(
    *,
    recipient: User,
    title: MessageLike,
    body: MessageLike = "",
    url: str = "",
    target: models.Model | None = None,
    verb: str = NotificationVerb.MESSAGE,
) -> Notification:
    """Send one message to ``recipient``: in the app now, by e-mail and webhook after commit.

    ``title`` and ``body`` are messages (:class:`core.messages.Msg`), stored language-neutral
    and shown in the reader's language; a plain string (a person's words) is kept as written.
    """
    if target is not None and not url:
        url = target_url(target)
    title_text, title_msg = message_store(title)
    body_text, body_msg = message_store(body)
    notification = Notification(
        recipient=recipient,
        verb=verb,
        title=title_text[:200],
        title_msg=title_msg,
        body=body_text,
        body_msg=body_msg,
        url=url,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=target.pk if target is not None else None,
    )
    notification.full_clean()
    notification.save()
    transaction.on_commit(lambda: notifications_deliver(notification_ids=[notification.pk]))
    return notification


def notify_users(
    users: Iterable[User | None],
    *,
    title: MessageLike,
    body: MessageLike = "",
    target: models.Model | None = None,
    url: str = "",
) -> list[Notification]:
    """The same message to each distinct user (None and repeats are skipped); ``url``: the
    page it links to when ``target`` has none of its own."""
    distinct = {user.pk: user for user in users if user is not None}
    return [
        notification_create(recipient=user, title=title, body=body, target=target, url=url)
        for user in distinct.values()
    ]


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read; someone else's does not exist for them."""
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark all of ``user``'s unread notifications read; returns how many."""
    return Notification.objects.filter(recipient=user).unread().update(read_at=timezone.now())


def notifications_deliver(*, notification_ids: list[int]) -> None:
    """E-mail the notifications and queue their webhook posts. Runs after the commit.

    Failures are logged, never raised: the in-app message already exists and a
    mail server or broker that is down must neither undo a scan nor fail the
    request that wrote the notification. A webhook the broker refused is queued
    again by the next deadline scan (:func:`notification_webhooks_requeue`), and
    an e-mail that did not go out is sent by it (:func:`notification_emails_resend`).
    """
    if not notification_ids:
        return
    if settings.NOTIFY_EMAIL:
        _send_emails(notification_ids)
    if settings.NOTIFY_WEBHOOK_URL:
        _webhooks_queue(
            Notification.objects.filter(pk__in=notification_ids, webhook_queued_at__isnull=True)
        )


class BrokerPause:
    """After the broker refused a task, this process leaves it alone for a few seconds.

    A hung Redis costs a request one socket timeout (settings.REDIS_BROKER_TRANSPORT_OPTIONS),
    not one per notification it writes; what is not queued meanwhile the scan queues later.
    """

    SECONDS = 10.0

    def __init__(self) -> None:
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self) -> None:
        self.until = time.monotonic() + self.SECONDS

    def reset(self) -> None:
        self.until = 0.0


broker_pause = BrokerPause()


def _webhooks_queue(candidates: models.QuerySet[Notification]) -> int:
    """Queue the webhook task of each candidate nobody else is queueing; returns how many.

    The candidates are locked (``skip_locked``: what another scan or request holds
    is theirs), each task is handed to the broker, and ``webhook_queued_at`` is set
    on those the broker took, all in one short transaction. So two scans never
    queue one notification twice, and a process killed half-way leaves nothing
    marked that was not queued. A broker that is down stops the loop at the first
    refusal (one connect or socket timeout per call at most) and is logged, never
    raised: the next deadline scan queues the rest.
    """
    from core.tasks import send_notification_webhook

    if broker_pause.active():
        logger.info("broker unavailable a moment ago: webhooks left for the next deadline scan")
        return 0
    queued: list[int] = []
    with transaction.atomic():
        ids = list(
            candidates.filter(webhook_sent_at__isnull=True)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        for notification_id in ids:
            try:
                send_notification_webhook.delay(notification_id)
            except broker_errors() as exc:
                broker_pause.start()
                logger.warning(
                    "broker unavailable: webhook of %s notification(s) not queued, "
                    "the next deadline scan queues them: %s",
                    len(ids) - len(queued),
                    exc,
                )
                break
            except Exception:
                logger.exception(
                    "could not queue the webhook of %s notification(s); "
                    "the next deadline scan queues them",
                    len(ids) - len(queued),
                )
                break
            queued.append(notification_id)
        Notification.objects.filter(pk__in=queued).update(webhook_queued_at=timezone.now())
    return len(queued)


def notification_webhooks_requeue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue the webhooks that never reached the broker; run by every deadline scan.

    Candidates are notifications not yet posted, created within
    NOTIFY_WEBHOOK_REQUEUE_MAX_AGE_HOURS, and either never queued (the broker was
    down after the commit, or the process died before queueing) and older than
    NOTIFY_WEBHOOK_REQUEUE_AFTER seconds — younger ones are still being queued by
    the request that wrote them — or queued NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER
    seconds ago and never tried by a worker (the message was lost, e.g. Redis
    restarted without its data). Returns how many were queued.
    """
    if not settings.NOTIFY_WEBHOOK_URL:
        return 0
    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.NOTIFY_WEBHOOK_REQUEUE_AFTER)
    lost = now - timedelta(seconds=settings.NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER)
    candidates = Notification.objects.filter(
        Q(webhook_queued_at__isnull=True, created_at__lte=settled)
        | Q(webhook_queued_at__lte=lost, webhook_attempts=0),
        webhook_sent_at__isnull=True,
        created_at__gte=now - timedelta(hours=settings.NOTIFY_WEBHOOK_REQUEUE_MAX_AGE_HOURS),
    )
    pks = list(candidates.order_by("pk").values_list("pk", flat=True)[:limit])
    if not pks:
        return 0
    # Filtered again under the lock: another scan may have claimed some meanwhile.
    queued = _webhooks_queue(candidates.filter(pk__in=pks))
    if queued:
        logger.info("webhooks queued again: %s", queued)
    return queued


def notification_emails_resend(*, now: datetime | None = None, limit: int = 200) -> int:
    """E-mail the notifications whose e-mail never went out; run by every deadline scan.

    Candidates are notifications not yet e-mailed, to a recipient with an address,
    created within NOTIFY_WEBHOOK_REQUEUE_MAX_AGE_HOURS, and either never claimed
    and older than NOTIFY_WEBHOOK_REQUEUE_AFTER seconds (the process that wrote them
    died before its after-commit send, or the mail server was down then) — younger
    ones are still being sent by the process that wrote them — or claimed
    NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER seconds ago and still not e-mailed (the sender
    died while sending, or the mail server refused the message). At most ``limit``
    per scan; the rest go with the next scans. They are claimed first like every
    e-mail (:func:`_emails_send`). Returns how many were sent.
    """
    if not settings.NOTIFY_EMAIL:
        return 0
    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.NOTIFY_WEBHOOK_REQUEUE_AFTER)
    candidates = Notification.objects.filter(
        Q(email_claimed_at__isnull=True, created_at__lte=settled)
        | Q(email_claimed_at__isnull=False),  # whether the claim is lost: _emails_claim
        created_at__gte=now - timedelta(hours=settings.NOTIFY_WEBHOOK_REQUEUE_MAX_AGE_HOURS),
    )
    sent = _emails_send(candidates, now=now, limit=limit)
    if sent:
        logger.info("e-mails sent by the deadline scan: %s", sent)
    return sent


def _send_emails(notification_ids: list[int]) -> int:
    """E-mail these notifications now (after the commit that wrote them); returns how many."""
    return _emails_send(Notification.objects.filter(pk__in=notification_ids))


# What an SMTP server says when it refuses one message (or its recipient): that message
# keeps its claim and is tried again when the claim counts as lost. Other errors
# (connection refused, dropped, timed out) mean the server is not there: the claims
# still unsent are given back and the next deadline scan sends them.
_MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)


def _emails_send(
    candidates: models.QuerySet[Notification],
    *,
    now: datetime | None = None,
    limit: int | None = None,
) -> int:
    """Claim the candidates nobody else is e-mailing, e-mail them, mark each sent.

    The claim (``email_claimed_at``, set under a ``skip_locked`` row lock in a short
    transaction committed before anything is sent) keeps the after-commit send, the
    deadline scan's re-send and other processes from e-mailing one notification
    twice: what another process holds or has claimed is theirs. Each e-mail is
    marked (``emailed_at``) right after the server took it.

    At least once, not exactly once: a process killed between the mail server
    accepting a message and the mark leaves a claim without ``emailed_at``, and
    that e-mail is sent again when the claim counts as lost
    (NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER seconds). SMTP gives no way to ask the
    server whether it already has the message, so this window (one message, a
    few milliseconds) is the accepted limit. A sender never sends past half of
    that time after its claim — it gives the rest back — so a slow server does
    not make its live claims look lost.
    """
    now = now or timezone.now()
    claimed_at, notifications = _emails_claim(candidates, now=now, limit=limit)
    if not notifications:
        return 0
    deadline = time.monotonic() + settings.NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER / 2
    try:
        mail = get_connection()
        mail.open()
    except Exception:
        logger.exception(
            "mail server unavailable; %s e-mails left for the next deadline scan",
            len(notifications),
        )
        _emails_release(notifications, claimed_at)
        return 0
    sent = 0
    try:
        for index, notification in enumerate(notifications):
            if index and time.monotonic() > deadline:
                logger.warning(
                    "mail server slow; %s e-mails left for the next deadline scan",
                    len(notifications) - index,
                )
                _emails_release(notifications[index:], claimed_at)
                break
            try:
                if not _email_message(notification, mail).send():
                    # Django's SMTP backend sends nothing, silently, without a connection.
                    raise smtplib.SMTPServerDisconnected("no connection to the mail server")
            except _MESSAGE_REFUSED:
                logger.exception(
                    "mail server refused the e-mail for notification %s; tried again later",
                    notification.pk,
                )
                continue
            except OSError:
                logger.exception(
                    "mail server failed; %s e-mails left for the next deadline scan",
                    len(notifications) - index,
                )
                _emails_release(notifications[index:], claimed_at)
                break
            except Exception:
                logger.exception("e-mail for notification %s failed", notification.pk)
                continue
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
            sent += 1
    finally:
        try:
            mail.close()
        except Exception:
            logger.warning("closing the mail connection failed", exc_info=True)
    return sent


def _emails_claim(
    candidates: models.QuerySet[Notification], *, now: datetime, limit: int | None
) -> tuple[datetime, list[Notification]]:
    """Lock, claim and commit: the candidates this process e-mails now (see :func:`_emails_send`)."""
    lost = now - timedelta(seconds=settings.NOTIFY_WEBHOOK_REQUEUE_LOST_AFTER)
    with transaction.atomic():
        query = (
            candidates.filter(
                Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lte=lost),
                emailed_at__isnull=True,
            )
            .exclude(recipient__email="")
            .select_related("recipient")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        notifications = list(query if limit is None else query[:limit])
        claimed_at = timezone.now()
        if notifications:
            Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
                email_claimed_at=claimed_at
            )
    return claimed_at, notifications


def _emails_release(notifications: list[Notification], claimed_at: datetime) -> None:
    """Give back claims not sent, unless someone else claimed them meanwhile."""
    Notification.objects.filter(
        pk__in=[n.pk for n in notifications],
        emailed_at__isnull=True,
        email_claimed_at=claimed_at,
    ).update(email_claimed_at=None)


# --- the reader's language -------------------------------------------------------------
def user_language(user: Any) -> str:
    """The language ``user`` reads e-mail and SMS in: the one they last switched the portal
    to, else the portal's default language."""
    if user is None or getattr(user, "pk", None) is None:
        return str(settings.LANGUAGE_CODE)
    preference = UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True)
    language = preference.first()
    return language if language in dict(settings.LANGUAGES) else str(settings.LANGUAGE_CODE)


def user_language_set(*, user: Any, language: str) -> None:
    """Remember ``language`` as ``user``'s (called when they switch the portal's language)."""
    if getattr(user, "pk", None) is None or language not in dict(settings.LANGUAGES):
        return
    UserPreference.objects.update_or_create(user_id=user.pk, defaults={"language": language})


def _email_message(notification: Notification, mail: Any) -> EmailMessage:
    """The notification's e-mail, written in the recipient's language (not the language of
    whoever caused it)."""
    with translation.override(user_language(notification.recipient)):
        subject, body = notification.title_text, notification.body_text
    if notification.url:
        body = f"{body}\n\n{_absolute(notification.url)}".strip()
    return EmailMessage(
        subject=subject,
        body=body,
        to=[notification.recipient.email],
        connection=mail,
    )


def webhook_payload(notification: Notification) -> dict[str, Any]:
    """The message for a WeCom / DingTalk group robot (both accept this text format), in
    the recipient's language."""
    with translation.override(user_language(notification.recipient)):
        lines = [notification.title_text]
        if notification.body_msg or notification.body:
            lines.append(notification.body_text)
    if notification.url:
        lines.append(_absolute(notification.url))
    return {"msgtype": "text", "text": {"content": "\n".join(lines)}}


def webhook_post(*, url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST ``payload`` as JSON; raises :class:`WebhookError` on any failure or timeout."""
    if not url.startswith(("http://", "https://")):
        raise WebhookError(f"webhook URL must be http(s): {url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
            response.read(4096)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WebhookError(f"webhook failed: {exc}") from exc
    if not 200 <= status < 300:
        raise WebhookError(f"webhook answered HTTP {status}")


def notification_webhook_send(*, notification_id: int) -> bool:
    """Post one notification to the configured webhook; True if posted now.

    Each attempt is counted on the notification and its error kept for the
    admins. Raises :class:`WebhookError` so the Celery task can retry.
    Already posted notifications are not posted again, also when two copies of
    the task run at once (:func:`_webhook_send_lock`).
    """
    url = settings.NOTIFY_WEBHOOK_URL
    if not url:
        return False
    with _webhook_send_lock(notification_id) as locked:
        if not locked:
            # A duplicate message of this notification is being posted by another worker.
            return False
        notification = Notification.objects.filter(pk=notification_id).first()
        if notification is None or notification.webhook_sent_at is not None:
            return False
        Notification.objects.filter(pk=notification_id).update(
            webhook_attempts=models.F("webhook_attempts") + 1
        )
        try:
            webhook_post(
                url=url,
                payload=webhook_payload(notification),
                timeout=settings.NOTIFY_WEBHOOK_TIMEOUT,
            )
        except WebhookError as exc:
            Notification.objects.filter(pk=notification_id).update(webhook_error=str(exc)[:500])
            raise
        Notification.objects.filter(pk=notification_id).update(
            webhook_sent_at=timezone.now(), webhook_error=""
        )
        return True


_WEBHOOK_LOCK_CLASS = 0x7765_6268  # "webh": pg advisory lock space of the webhook posts


@contextmanager
def _webhook_send_lock(notification_id: int) -> Iterator[bool]:
    """A session-level advisory lock per notification, held while it is posted.

    Two messages for one notification (queued again after a lost message, or after
    a crash between queueing and marking it queued) may run on two workers at
    once; only the one holding the lock posts. No row is locked meanwhile, so the
    recipient can still mark the notification read. A killed worker's lock goes
    with its database connection.
    """
    key = [_WEBHOOK_LOCK_CLASS, notification_id % 2_147_483_647]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        locked = bool(cursor.fetchone()[0])
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


# --- the scanner ----------------------------------------------------------------------
@dataclass
class ScanResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    notification_ids: list[int] = field(default_factory=list)
    webhooks_requeued: int = 0
    emails_resent: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"warned": self.warned, "breached": self.breached, "escalated": self.escalated}


def _clock_notification(clock: SlaClock, verb: str, recipient: User, now: datetime) -> Notification:
    """The deadline's notification: language-neutral, each part (the kind, the time, the
    clock's note) rendered in the reader's language."""
    from core.people import person_name

    target = clock.target
    subject = str(target) if target is not None else f"#{clock.object_id}"
    values: dict[str, Any] = {
        "kind": SlaKind(clock.kind) if clock.kind in SlaKind.values else clock.kind,
        "object": subject,
        "due": datetime_param(clock.due_at),
        "owner": person_name(clock.owner),
    }
    if verb == NotificationVerb.CLOCK_WARNING:
        title = Msg(_l("Deadline soon: %(kind)s — %(object)s"), **values)
        body = Msg(_l("Due at %(due)s."), **values)
    elif verb == NotificationVerb.CLOCK_BREACHED:
        title = Msg(_l("Deadline missed: %(kind)s — %(object)s"), **values)
        body = Msg(_l("It was due at %(due)s."), **values)
    else:
        title = Msg(_l("Escalated: %(kind)s — %(object)s"), **values)
        body = Msg(_l("%(owner)s missed the deadline at %(due)s."), **values)
    note: MessageLike | None = None
    if clock.note_msg:
        note = Msg.from_json(clock.note_msg)
    elif clock.note:
        note = clock.note  # a person's words, or a row from before messages
    full_body = join_messages(body, note) if note else body
    title_text, title_msg = message_store(title)
    body_text, body_msg = message_store(full_body)
    return Notification(
        recipient=recipient,
        verb=verb,
        title=title_text[:200],
        title_msg=title_msg,
        body=body_text,
        body_msg=body_msg,
        url=target_url(target) if target is not None else "",
        content_type_id=clock.content_type_id,
        object_id=clock.object_id,
        clock=clock,
        created_at=now,
    )


def _due_for_something(now: datetime) -> Q:
    grace = timedelta(minutes=settings.SLA_ESCALATION_DELAY_MINUTES)
    return (
        Q(warn_at__lte=now, due_at__gt=now, reminded_at__isnull=True)
        | Q(due_at__lte=now, breached_at__isnull=True)
        | Q(escalate_to__isnull=False, escalated_at__isnull=True, due_at__lte=now - grace)
    )


def _scan_batch(now: datetime, batch_size: int, result: ScanResult) -> int:
    grace = timedelta(minutes=settings.SLA_ESCALATION_DELAY_MINUTES)
    with transaction.atomic():
        # skip_locked: a clock another scanner holds is that scanner's to send;
        # if it dies, its transaction rolls back and the next scan sends.
        clocks = list(
            SlaClock.objects.open()
            .filter(_due_for_something(now))
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("owner", "escalate_to")
            .order_by("due_at", "pk")[:batch_size]
        )
        if not clocks:
            return 0
        prefetch_related_objects(clocks, "target")
        notifications: list[Notification] = []
        with translation.override(settings.LANGUAGE_CODE):
            for clock in clocks:
                if clock.due_at <= now:
                    # Late (perhaps while the workers were down): the warning is
                    # moot, the breach is what the owner needs to hear.
                    if clock.breached_at is None:
                        clock.breached_at = now
                        result.breached += 1
                        notifications.append(
                            _clock_notification(
                                clock, NotificationVerb.CLOCK_BREACHED, clock.owner, now
                            )
                        )
                    if (
                        clock.escalate_to is not None
                        and clock.escalated_at is None
                        and clock.due_at <= now - grace
                    ):
                        clock.escalated_at = now
                        result.escalated += 1
                        notifications.append(
                            _clock_notification(
                                clock, NotificationVerb.CLOCK_ESCALATED, clock.escalate_to, now
                            )
                        )
                elif clock.reminded_at is None:
                    clock.reminded_at = now
                    result.warned += 1
                    notifications.append(
                        _clock_notification(clock, NotificationVerb.CLOCK_WARNING, clock.owner, now)
                    )
        created = Notification.objects.bulk_create(notifications)
        SlaClock.objects.bulk_update(clocks, ["breached_at", "reminded_at", "escalated_at"])
        ids = [notification.pk for notification in created]
        result.notification_ids.extend(ids)
        transaction.on_commit(lambda: notifications_deliver(notification_ids=ids))
    return len(clocks)


def sla_clocks_scan(
    *, now: datetime | None = None, batch_size: int = 200, max_batches: int = 50
) -> ScanResult:
    """Warn owners of clocks nearly due, report breaches, escalate breached clocks.

    Each event is sent exactly once: the clocks are locked, the notifications
    written and the clocks marked in one transaction per batch, and e-mail and
    webhook go out after that commit. A worker killed mid-scan loses at most the
    batch it had not committed, which the next scan sends. A clock whose
    deadline passed while no worker ran is reported on the next scan, and so are
    webhooks the broker could not take (:func:`notification_webhooks_requeue`) and
    e-mails that did not go out (:func:`notification_emails_resend`).
    """
    now = now or timezone.now()
    result = ScanResult()
    for _batch in range(max_batches):
        if _scan_batch(now, batch_size, result) < batch_size:
            break
    # Real time, not the scan's ``now``: this is about deliveries, not deadlines.
    result.webhooks_requeued = notification_webhooks_requeue()
    result.emails_resent = notification_emails_resend()
    if result.notification_ids or result.webhooks_requeued or result.emails_resent:
        logger.info(
            "SLA scan: %s",
            {
                **result.as_dict(),
                "webhooks_requeued": result.webhooks_requeued,
                "emails_resent": result.emails_resent,
            },
        )
    return result
