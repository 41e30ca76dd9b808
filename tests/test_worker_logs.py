"""The Celery worker's and beat's own log lines are JSON, like the web app's (core.observability).

Celery sets up its own handlers for the root and the task logger; the portal's
``after_setup_logger`` / ``after_setup_task_logger`` receivers (config/celery.py) give
them the portal's formatter. The real processes run on a redis-server of the test.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess

import pytest
from celery import signals
from django.db import connection

from core.observability import JsonFormatter, use_portal_log_format
from tests.processes import BASE_DIR, CELERY, Worker, celery_broker, redis_server, wait_until

# Celery's own text format, e.g. "[2026-11-24 00:58:51,264: INFO/MainProcess] Connected to …".
CELERY_TEXT_LINE = "/MainProcess]"


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_celery_logger_setup_signals_give_celery_handlers_the_portal_json_formatter():
    logger = logging.getLogger("portal.test.celery-setup")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(asctime)s: %(levelname)s] %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        # What Celery sends once it has set up its handlers.
        signals.after_setup_task_logger.send(sender=None, logger=logger, loglevel=logging.INFO)
        logger.warning("worker line %s", 1)
    finally:
        logger.removeHandler(handler)
    assert isinstance(handler.formatter, JsonFormatter)
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "WARNING"
    assert entry["message"] == "worker line 1"
    assert entry["logger"] == "portal.test.celery-setup"
    assert entry["request_id"] == "-"


def test_plain_log_format_is_kept_for_reading_by_eye(settings):
    settings.LOGGING = {
        **settings.LOGGING,
        "handlers": {**settings.LOGGING["handlers"]},
    }
    settings.LOGGING["handlers"]["console"] = {
        **settings.LOGGING["handlers"]["console"],
        "formatter": "plain",
    }
    logger = logging.getLogger("portal.test.celery-plain")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        use_portal_log_format(logger)
    finally:
        logger.removeHandler(handler)
    assert not isinstance(handler.formatter, JsonFormatter)
    assert "%(request_id)s" in handler.formatter._fmt


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_write_their_own_lines_as_json(tmp_path):
    with redis_server(tmp_path / "redis") as redis, celery_broker(redis.url):
        worker = Worker(tmp_path / "worker.log", REDIS_URL=redis.url)
        worker.start()
        try:
            from config.celery import app

            # Celery's own error line: a message for a task this worker does not know.
            app.send_task("portal.no_such_task", ignore_result=True)
            app.send_task("core.scan_sla_clocks", ignore_result=True)
            assert wait_until(lambda: worker.tasks_ended("core.scan_sla_clocks") >= 1, 15)
            assert wait_until(lambda: "portal.no_such_task" in worker.log(), 5)
        finally:
            worker.stop()

        beat_log = tmp_path / "beat.log"
        with beat_log.open("wb") as log:
            beat = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [
                    str(CELERY),
                    "-A",
                    "config",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(tmp_path / "beat-schedule"),
                ],
                cwd=BASE_DIR,
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": "config.settings",
                    "PORTAL_DB_NAME": connection.settings_dict["NAME"],
                    "PORTAL_TESTING": "1",
                    "LOG_FORMAT": "json",
                    "REDIS_URL": redis.url,
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                started = wait_until(lambda: "Starting..." in beat_log.read_text(), 15)
            finally:
                beat.terminate()
                beat.wait(timeout=10)

    worker_text, beat_text = worker.log(), beat_log.read_text(errors="replace")
    assert started, beat_text
    for name, text in (("worker", worker_text), ("beat", beat_text)):
        assert CELERY_TEXT_LINE not in text, f"{name} wrote a line in Celery's text format"
        for entry in _json_lines(text):
            assert {"time", "level", "logger", "message", "request_id"} <= entry.keys(), entry

    worker_lines = _json_lines(worker_text)
    by_message = {entry["message"]: entry for entry in worker_lines}
    ready = [m for m in by_message if m.endswith(" ready.")]
    assert ready and by_message[ready[0]]["logger"] == "celery.apps.worker"
    assert any(m.startswith("Connected to redis://") for m in by_message)
    unknown = [e for e in worker_lines if "portal.no_such_task" in e["message"]]
    assert unknown and unknown[0]["level"] == "ERROR"
    assert unknown[0]["logger"].startswith("celery.")
    # A line logged inside a task carries the task's name and id.
    received = [e for e in worker_lines if e["logger"] == "celery.app.trace"]
    assert received and received[0]["task_name"] == "core.scan_sla_clocks"
    assert received[0]["task_id"]

    beat_lines = _json_lines(beat_text)
    assert any(
        e["logger"] == "celery.beat" and e["message"] == "beat: Starting..." for e in beat_lines
    ), beat_text
