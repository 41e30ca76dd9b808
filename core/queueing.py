"""Handing background jobs to Celery without letting a broker outage fail the request."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# What the user is told when a job could not be handed to the workers.
WORKER_UNAVAILABLE = _(
    "The background workers cannot be reached right now; nothing was lost. "
    "Please try again in a minute."
)


def broker_errors() -> tuple[type[BaseException], ...]:
    """What a publish raises when the broker is down or hangs (kombu wraps most of it)."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    return (OperationalError, OSError, TimeoutError, RedisError)


def task_send(task: Any, *args: Any) -> bool:
    """``task.delay(*args)``; False (logged) when the broker is down or hangs.

    The publish makes one attempt with short timeouts (settings: CELERY_BROKER_*), so a
    stopped Redis costs the request milliseconds and a hung one about two seconds.
    """
    try:
        task.delay(*args)
    except broker_errors() as exc:
        logger.warning("broker unavailable: %s%s not queued: %s", task.name, args, exc)
        return False
    return True
