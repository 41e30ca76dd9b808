"""The portal runs on PostgreSQL only, and production settings are safe."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, env):
    # PORTAL_TESTING would turn the production checks off in the child; a test that ran
    # earlier in this process may have left it in os.environ (bench.bench_environment).
    env = {key: value for key, value in env.items() if key != "PORTAL_TESTING"}
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tests_run_on_postgresql(db):
    assert connection.vendor == "postgresql"
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 64 + "-production-like-secret-for-the-check",
        "ALLOWED_HOSTS": "portal.example.com",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by conftest for Playwright only
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "", "ALLOWED_HOSTS": "x"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_junk_in_a_boolean_setting_fails_loudly():
    result = run_manage("check", env={**os.environ, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_without_database_url_the_embedded_postgresql_is_used_over_its_socket():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    code = (
        "from django.conf import settings; from django.db import connection; "
        "d = settings.DATABASES['default']; connection.ensure_connection(); "
        "print(d['ENGINE'], d['HOST'], connection.vendor, settings.CELERY_BROKER_URL)"
    )
    from config import embedded

    # A server this test starts is stopped again (in CI the suite runs on the machine's).
    was_running = (embedded.PGDATA / "postmaster.pid").exists()
    try:
        result = run_manage("shell", "-c", code, env=env)
    finally:
        if not was_running:
            embedded.stop()
    assert result.returncode == 0, result.stderr
    engine, host, vendor, broker = result.stdout.split()[-4:]
    assert engine == "django.db.backends.postgresql" and vendor == "postgresql"
    assert host.startswith("/")  # the socket directory sits in HOST, not OPTIONS
    assert broker == "filesystem://"


def test_nothing_in_the_project_configures_sqlite():
    sources = [
        p for p in ROOT.glob("*/**/*.py") if ".venv" not in p.parts and "tests" not in p.parts
    ]
    assert sources
    assert not [p for p in sources if "backends.sqlite3" in p.read_text(encoding="utf-8")]
