"""Start gunicorn on loopback and run bench/locustfile.py against it, headless."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import bench_environment

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))


def _wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {url}")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def run_load_test(
    *,
    users: int,
    seconds: int,
    workers: int,
    locustfile: str = "locustfile.py",
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM (SELECT id FROM orders_order ORDER BY id DESC LIMIT 50000) AS newest "
            "ORDER BY random() LIMIT 2000"
        )
        order_ids = ",".join(str(row[0]) for row in cursor.fetchall()) or "1"
        cursor.execute(
            "SELECT number FROM orders_order WHERE number IS NOT NULL ORDER BY id DESC LIMIT 1"
        )
        number = (cursor.fetchone() or ["2025"])[0]
        cursor.execute("SELECT id FROM customers_customer WHERE is_active ORDER BY id LIMIT 200")
        customers = ",".join(str(row[0]) for row in cursor.fetchall())
        cursor.execute(
            "SELECT id FROM orders_product WHERE is_active AND kind = 'goods' ORDER BY id LIMIT 200"
        )
        products = ",".join(str(row[0]) for row in cursor.fetchall())
    if not _port_free(PORT):
        raise RuntimeError(f"port {PORT} is taken; set BENCH_PORT")
    env = {**os.environ, **bench_environment()}
    env.update(
        {
            "BENCH_ORDER_IDS": order_ids,
            "BENCH_SEARCH_TERMS": f"{number[:9]},客户12,减速机 1",
            "BENCH_CUSTOMER_IDS": customers or "1",
            "BENCH_PRODUCT_IDS": products or "1",
            "DB_CONN_MAX_AGE": "600",
            # The database this process uses (the test database in the CI smoke run).
            "PORTAL_DB_NAME": str(connection.settings_dict["NAME"]),
            **(extra_env or {}),
        }
    )
    bin_dir = Path(sys.executable).parent
    gunicorn = subprocess.Popen(  # noqa: S603 - our own command line
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    try:
        # A loaded machine takes half a minute to import the project in every worker.
        _wait_for(f"http://127.0.0.1:{PORT}/healthz", timeout=120)
        locust = shutil.which("locust", path=str(bin_dir))
        if locust is None:
            raise RuntimeError("locust is not installed: pip install -e '.[dev]'")
        subprocess.run(  # noqa: S603 - our own command line
            [
                locust,
                "-f",
                str(ROOT / "bench" / locustfile),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(max(1, users // 5)),
                "-t",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{PORT}",
                "--csv",
                str(out / "run"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            check=False,
            timeout=seconds + 120,
        )
        with open(out / "run_stats.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    total = next(row for row in rows if row["Name"] == "Aggregated")
    per_page = {
        row["Name"]: {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "median": float(row["50%"] or 0),
            "p95": float(row["95%"] or 0),
        }
        for row in rows
        if row["Name"] != "Aggregated"
    }
    return {
        "tool": "locust",
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "median": float(total["50%"] or 0),
        "p95": float(total["95%"] or 0),
        "pages": per_page,
    }
