"""Readiness checks, request ids in structured (JSON) logs, and Celery task logging.

Every log record carries ``request_id`` and ``user_id`` of the request being served (or
``-``), so one request's lines can be found across the log. The id comes from the
``X-Request-ID`` header set by the proxy, or is made here, and is echoed in the response.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
user_id_var: ContextVar[str] = ContextVar("user_id", default="-")

# A request id from outside is trusted only if it looks like one (no log injection).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

task_logger = logging.getLogger("portal.tasks")


# --- readiness ------------------------------------------------------------------------
def check_database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_broker() -> str:
    """Redis answers PING when REDIS_URL is set; otherwise the broker folders are writable."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        try:
            if not client.ping():
                raise ConnectionError("no PONG")
        finally:
            client.close()
        return "ok"
    options: dict[str, Any] = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        folder = options[key]
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise OSError(f"broker folder {key} missing or not writable")
    return "ok"


def check_migrations() -> str:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migrations not applied")
    return "ok"


READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "migrations": check_migrations,
}


def readiness() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a probe reports, it never raises
            logging.getLogger("portal.readyz").warning("readiness check %s failed: %r", name, exc)
            results[name] = "unavailable"
    return all(value == "ok" for value in results.values()), results


# --- request id ---------------------------------------------------------------------
class RequestIdMiddleware:
    """Give each request an id (X-Request-ID), put it and the user id into every log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs 4xx/5xx answers after the last middleware
        # returned, and that line needs the id too; request_finished resets them.
        request_id_var.set(request_id)
        user_id_var.set("-")
        response = self.get_response(request)
        user = getattr(request, "_cached_user", None)  # only if something already asked
        if user is not None and user.is_authenticated:
            user_id_var.set(str(user.pk))
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        # Runs after AuthenticationMiddleware: the user is known from here on.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id_var.set(str(user.pk))


def reset_request_context(**_: Any) -> None:
    """request_finished: log lines between requests belong to no request."""
    request_id_var.set("-")
    user_id_var.set("-")


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` to every record (``-`` outside a request).

    In a Celery worker, a line logged while a task runs also gets its ``task_name``
    and ``task_id``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        if not hasattr(record, "task_id"):
            task = _current_task()
            if task is not None:
                record.task_name = task.name
                record.task_id = task.request.id
        return True


def _current_task() -> Any:
    try:
        from celery._state import get_current_task
    except ImportError:  # pragma: no cover (celery is a dependency)
        return None
    task = get_current_task()
    return task if task is not None and getattr(task.request, "id", None) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and user, extras."""

    EXTRA_FIELDS = ("task_name", "task_id", "task_args", "task_state", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
        }
        for field in self.EXTRA_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# --- Celery tasks ---------------------------------------------------------------------
def summarize_args(args: Any, kwargs: Any, limit: int = 200) -> str:
    """The task's arguments, shortened: enough to know which object it worked on."""
    parts = [repr(arg) for arg in (args or ())]
    parts += [f"{key}={value!r}" for key, value in (kwargs or {}).items()]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_task_started: dict[str, float] = {}


def on_task_prerun(
    sender: Any = None,
    task_id: str = "",
    task: Any = None,
    args: Any = None,
    kwargs: Any = None,
    **_: Any,
) -> None:
    _task_started[task_id] = time.monotonic()
    name = getattr(task, "name", str(sender))
    task_logger.info(
        "task %s started",
        name,
        extra={"task_name": name, "task_id": task_id, "task_args": summarize_args(args, kwargs)},
    )


def on_task_postrun(
    sender: Any = None,
    task_id: str = "",
    task: Any = None,
    args: Any = None,
    kwargs: Any = None,
    state: str | None = None,
    **_: Any,
) -> None:
    started = _task_started.pop(task_id, None)
    name = getattr(task, "name", str(sender))
    task_logger.info(
        "task %s ended (%s)",
        name,
        state,
        extra={
            "task_name": name,
            "task_id": task_id,
            "task_args": summarize_args(args, kwargs),
            "task_state": state,
            "duration_ms": round((time.monotonic() - started) * 1000) if started else None,
        },
    )


def on_task_failure(
    sender: Any = None,
    task_id: str = "",
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    name = getattr(sender, "name", str(sender))
    task_logger.error(
        "task %s failed: %r",
        name,
        exception,
        exc_info=(type(exception), exception, exception.__traceback__) if exception else None,
        extra={"task_name": name, "task_id": task_id, "task_args": summarize_args(args, kwargs)},
    )


# --- the Celery worker's and beat's own log lines -------------------------------------
def portal_log_formatter() -> logging.Formatter:
    """The formatter of the portal's console handler (settings.LOGGING): JSON, or plain."""
    config: dict[str, Any] = settings.LOGGING
    name = config["handlers"]["console"]["formatter"]
    options = dict(config["formatters"][name])
    factory = options.pop("()", None)
    if factory is not None:
        if isinstance(factory, str):
            from django.utils.module_loading import import_string

            factory = import_string(factory)
        return factory(**options)
    return logging.Formatter(options.get("format"), options.get("datefmt"))


def use_portal_log_format(logger: logging.Logger | None = None, **_: Any) -> None:
    """Give every handler of ``logger`` the portal's formatter and context filter.

    Connected to Celery's ``after_setup_logger`` and ``after_setup_task_logger``
    (config/celery.py): the worker and beat set up their own handlers for the root
    and the task logger ("Connected to redis://…", "beat: Starting…", task
    received / succeeded, errors) and would write them in Celery's text format.
    """
    if logger is None:
        return
    formatter = portal_log_formatter()
    for handler in logger.handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())


def connect_request_signals() -> None:
    from django.core.signals import request_finished

    request_finished.connect(reset_request_context, dispatch_uid="portal-reset-request-context")


def connect_task_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(on_task_prerun, weak=False, dispatch_uid="portal-task-prerun")
    signals.task_postrun.connect(on_task_postrun, weak=False, dispatch_uid="portal-task-postrun")
    signals.task_failure.connect(on_task_failure, weak=False, dispatch_uid="portal-task-failure")
