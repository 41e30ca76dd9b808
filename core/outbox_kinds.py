"""Outbox kinds core itself delivers (docs/architecture.md, "The outbox").

``core.webhook``: POST a JSON body to a URL of another system. The message id goes along
as the ``X-Outbox-Id`` header: a receiver that keeps the ids it has seen drops the one
repeat the outbox cannot rule out (a worker killed after the receiver took the request
and before the message was marked sent). Imported by ``CoreConfig.ready()``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import models

from core.models import OutboxMessage
from core.outbox import outbox_handler, outbox_put

WEBHOOK = "core.webhook"


class WebhookFailed(Exception):
    """The receiver did not take the message; the outbox tries again later."""


def webhook_put(
    *,
    url: str,
    body: dict[str, Any],
    target: models.Model | None = None,
    key: str | None = None,
) -> OutboxMessage:
    """Queue a JSON POST to ``url`` in the caller's transaction."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook URL must be http(s): {url!r}")
    return outbox_put(WEBHOOK, {"url": url, "body": body}, target=target, key=key)


@outbox_handler(WEBHOOK)
def webhook_send(message: OutboxMessage) -> None:
    url = str(message.payload.get("url", ""))
    if not url.startswith(("http://", "https://")):
        raise WebhookFailed(f"webhook URL must be http(s): {url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(message.payload.get("body", {}), ensure_ascii=False).encode("utf-8"),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Outbox-Id": str(message.pk),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.NOTIFY_WEBHOOK_TIMEOUT
        ) as response:
            status = response.status
            response.read(4096)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WebhookFailed(f"webhook failed: {exc}") from exc
    if not 200 <= status < 300:
        raise WebhookFailed(f"webhook answered HTTP {status}")


# --- core.task: a Celery task that must not be lost ------------------------------------
TASK = "core.task"


def task_put(
    task_name: str,
    *args: Any,
    target: models.Model | None = None,
    key: str | None = None,
) -> OutboxMessage:
    """Queue the Celery task ``task_name(*args)`` in the caller's transaction.

    Unlike ``transaction.on_commit(task.delay)``, a broker that is down or a process that
    dies after the commit loses nothing: the outbox hands the task to the broker until it
    takes it. The task itself must tolerate running twice (the one repeat the outbox
    cannot rule out).
    """
    return outbox_put(TASK, {"task": task_name, "args": list(args)}, target=target, key=key)


@outbox_handler(TASK)
def task_send(message: OutboxMessage) -> None:
    from config.celery import app

    app.send_task(str(message.payload["task"]), args=list(message.payload.get("args", [])))
