"""Performance benchmarks of the order portal at scale.

``python -m bench.generate --orders 1000000`` loads a realistic data set with
PostgreSQL COPY; ``python -m bench.run`` times the pages and services against
it and writes bench/RESULTS.md. Both refuse the dev and test databases unless
told otherwise: run them with DATABASE_URL pointing at a database of their own.
"""

from __future__ import annotations

import os


def bench_environment() -> dict[str, str]:
    """The environment of every bench process (this one, gunicorn, the load test).

    PORTAL_TESTING keeps DEBUG off (no query log eating memory) without the
    production-only HTTPS redirect, secure cookies and collected static manifest,
    which would need a TLS proxy and ``collectstatic`` on loopback.
    """
    defaults = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PORTAL_TESTING": "1",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-insecure-key",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in defaults}


def setup_django(*, allow_any_database: bool = False) -> None:
    """Configure Django for a bench script; refuse databases not named for benchmarks."""
    bench_environment()
    import django

    django.setup()
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if not allow_any_database and "bench" not in name and not name.startswith("test_"):
        raise SystemExit(
            f"refusing to write to database {name!r}: point DATABASE_URL at a bench database "
            "(e.g. postgres://postgres@127.0.0.1:5432/bench_portal) or pass --allow-any-database"
        )
