"""/readyz, request ids and users in JSON logs, and Celery task start / end / failure logs."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings

from core import observability
from core.observability import ContextFilter, JsonFormatter


def test_readyz_answers_without_login_when_everything_is_up(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "migrations": "ok",
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_answers_503_when_the_broker_is_down(client, db, settings):
    # Nothing listens on port 1: a broker the portal cannot reach.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["status"] == "error"


def test_readyz_checks_the_filesystem_broker_folders(client, db, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }
    assert client.get("/readyz").json()["broker"] == "unavailable"
    for folder in ("queue", "processed", "control"):
        (tmp_path / folder).mkdir()
    assert client.get("/readyz").json()["broker"] == "ok"


def test_readyz_answers_503_with_unapplied_migrations(client, db, monkeypatch):
    class Executor:
        def __init__(self, connection):  # type: ignore[no-untyped-def]
            self.loader = type("Loader", (), {"graph": type("G", (), {"leaf_nodes": list})()})()

        def migration_plan(self, targets):  # type: ignore[no-untyped-def]
            return [("orders", "9999_new")]

    monkeypatch.setattr("django.db.migrations.executor.MigrationExecutor", Executor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "unavailable"


def test_readyz_checks_redis_when_redis_url_is_set(client, db, settings):
    """With REDIS_URL (CI), readyz pings Redis; a Redis that does not answer is reported."""
    import os

    url = os.environ.get("REDIS_URL")
    if url:  # CI and production shape: the real Redis must answer
        settings.REDIS_URL = url
        assert client.get("/readyz").json()["broker"] == "ok"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["broker"] == "unavailable"


def _json_lines(caplog) -> list[dict]:  # type: ignore[no-untyped-def]
    formatter, context = JsonFormatter(), ContextFilter()
    lines = []
    for record in caplog.records:
        context.filter(record)
        lines.append(json.loads(formatter.format(record)))
    return lines


def test_each_response_carries_a_request_id_and_logs_carry_it_and_the_user(role_client, caplog):
    client = role_client("sales_assistant")
    caplog.set_level(logging.WARNING, logger="django.request")
    response = client.get("/fulfillment/warehouse/")  # a 403 for this role, logged
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    lines = [line for line in _json_lines(caplog) if line["logger"] == "django.request"]
    assert lines, "the 403 is logged"
    assert lines[-1]["request_id"] == request_id
    assert lines[-1]["user_id"] == str(client.user.pk)
    assert lines[-1]["level"] == "WARNING"


def test_a_request_id_from_the_proxy_is_kept_and_a_hostile_one_replaced(client, db):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="x\n{fake log line}")["X-Request-ID"]
    assert replaced != "x\n{fake log line}" and len(replaced) == 32


def test_the_console_log_is_json_with_request_and_user_fields():
    console = settings.LOGGING["handlers"]["console"]
    assert settings.LOGGING["formatters"][console["formatter"]]["()"].endswith("JsonFormatter")
    assert "context" in console["filters"]
    record = logging.LogRecord(
        "portal", logging.INFO, __file__, 1, "订单 %s", ("202611-001",), None
    )
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "订单 202611-001"
    assert line["request_id"] == "-" and line["user_id"] == "-"


@pytest.fixture
def eager_app():  # type: ignore[no-untyped-def]
    from config.celery import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


def test_celery_tasks_log_start_end_and_failure_with_their_arguments(eager_app, caplog):
    caplog.set_level(logging.INFO, logger="portal.tasks")

    @eager_app.task(name="tests.add_note")
    def add_note(order_id, note=""):  # type: ignore[no-untyped-def]
        return order_id

    @eager_app.task(name="tests.explode")
    def explode(order_id):  # type: ignore[no-untyped-def]
        raise ValueError("boom")

    add_note.delay(42, note="x" * 500)
    explode.apply(args=(7,))
    lines = [line for line in _json_lines(caplog) if line["logger"] == "portal.tasks"]
    messages = [(line["task_name"], line["message"]) for line in lines]
    assert ("tests.add_note", "task tests.add_note started") in messages
    assert ("tests.add_note", "task tests.add_note ended (SUCCESS)") in messages
    assert ("tests.explode", "task tests.explode failed: ValueError('boom')") in messages
    started = next(line for line in lines if line["message"] == "task tests.add_note started")
    assert started["task_args"].startswith("42, note='xxx") and len(started["task_args"]) <= 200
    failed = next(line for line in lines if "failed" in line["message"])
    assert failed["level"] == "ERROR" and failed["task_args"] == "7"
    assert "ValueError: boom" in failed["exception"]
    assert not observability._task_started  # nothing left behind per task
