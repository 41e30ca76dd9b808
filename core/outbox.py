"""The transactional outbox (docs/architecture.md, "The outbox").

Whatever leaves the database — an e-mail to a customer, an SMS, a webhook, a task on
another system — is written here with :func:`outbox_put`, inside the transaction of
the change that causes it. If that transaction rolls back, nothing goes out; if it
commits, the message is delivered by :func:`outbox_deliver` (Celery), however many
workers die or brokers vanish on the way:

* claim: a short transaction locks unsent, unclaimed (or lost-claim) rows with
  ``skip_locked`` and stamps ``claimed_at`` — two workers never take one message;
* send: the handler registered for the message's ``kind`` runs, outside any lock;
* mark: ``sent_at`` is stamped right after the handler returns. A failure counts an
  attempt, keeps the error and gives the message back with a growing delay.

A worker killed before the send leaves a claim that counts as lost after
OUTBOX_CLAIM_LOST_AFTER seconds and is sent then, once. A worker killed between the
handler's send and the mark (milliseconds) may send again: handlers pass the
message id to receivers that can de-duplicate (webhooks send it as a header).

Apps register handlers in ``AppConfig.ready()`` (a registry, no import upwards).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, Handler] = {}


def outbox_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of ``kind`` (raise to retry later)."""

    def register(function: Handler) -> Handler:
        _handlers[kind] = function
        return function

    return register


def registered_kinds() -> list[str]:
    return sorted(_handlers)


def outbox_put(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    target: models.Model | None = None,
    key: str | None = None,
    available_at: datetime | None = None,
) -> OutboxMessage:
    """Queue one message in the caller's transaction; a repeated ``key`` adds nothing.

    Delivery is kicked after the commit (a lost kick costs latency, never the message:
    the beat sweep delivers it).
    """
    if kind not in _handlers:
        raise LookupError(f"no outbox handler for {kind!r}")
    message = OutboxMessage(
        kind=kind,
        payload=payload or {},
        key=key,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=target.pk if target is not None else None,
        available_at=available_at or timezone.now(),
    )
    if key is not None:
        existing = OutboxMessage.objects.filter(key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            return OutboxMessage.objects.get(key=key)
    else:
        message.save()
    transaction.on_commit(_kick)
    return message


def _kick() -> None:
    """Ask a worker to deliver now; best effort (the sweep is the guarantee)."""
    if not settings.OUTBOX_KICK:
        return
    from core.queueing import broker_errors
    from core.tasks import deliver_outbox

    try:
        deliver_outbox.apply_async(expires=60)
    except broker_errors() as exc:
        logger.info("broker unavailable, the outbox sweep delivers later: %s", exc)
    except Exception:
        logger.exception("could not kick the outbox; the sweep delivers later")


def _claim(*, now: datetime, limit: int) -> list[OutboxMessage]:
    lost = now - timedelta(seconds=settings.OUTBOX_CLAIM_LOST_AFTER)
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.filter(
                Q(claimed_at__isnull=True) | Q(claimed_at__lte=lost),
                sent_at__isnull=True,
                failed_at__isnull=True,
                available_at__lte=now,
            )
            .order_by("available_at", "pk")
            .select_for_update(skip_locked=True)[:limit]
        )
        if messages:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(claimed_at=now)
    return messages


def _fail(message: OutboxMessage, claimed_at: datetime, error: str) -> None:
    attempts = message.attempts + 1
    delay = settings.OUTBOX_RETRY_DELAY * 2 ** (attempts - 1)
    give_up = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=message.pk, claimed_at=claimed_at, sent_at__isnull=True).update(
        attempts=F("attempts") + 1,
        last_error=error[:500],
        claimed_at=None,
        available_at=timezone.now() + timedelta(seconds=delay),
        failed_at=timezone.now() if give_up else None,
    )
    log = logger.error if give_up else logger.warning
    log(
        "outbox %s #%s failed (attempt %s%s): %s",
        message.kind,
        message.pk,
        attempts,
        ", given up" if give_up else "",
        error,
    )


def outbox_deliver(*, limit: int = 100, now: datetime | None = None) -> int:
    """Deliver what is due; returns how many messages were sent now."""
    now = now or timezone.now()
    messages = _claim(now=now, limit=limit)
    sent = 0
    for message in messages:
        handler = _handlers.get(message.kind)
        if handler is None:
            _fail(message, now, f"no handler for {message.kind!r}")
            continue
        try:
            handler(message)
        except Exception as exc:
            _fail(message, now, f"{type(exc).__name__}: {exc}")
            continue
        OutboxMessage.objects.filter(pk=message.pk, claimed_at=now).update(
            sent_at=timezone.now(), last_error=""
        )
        sent += 1
    return sent


def outbox_retry(*, message: OutboxMessage) -> OutboxMessage:
    """Give a message that was given up another round of attempts (admin action)."""
    OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
        failed_at=None, attempts=0, claimed_at=None, available_at=timezone.now()
    )
    transaction.on_commit(_kick)
    message.refresh_from_db()
    return message


def outbox_for(target: models.Model) -> models.QuerySet[OutboxMessage]:
    """The messages about ``target`` (the order page lists them)."""
    return OutboxMessage.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    )
