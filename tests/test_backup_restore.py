"""scripts/backup.sh then scripts/restore.sh into a fresh, empty database gives back the
same orders and the same files (docs/backup.md)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.db import connection

from orders.models import OrderAttachment
from orders.services.orders import order_recalculate_total
from tests.factories import OrderFactory, OrderLineFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
TABLES = [
    "orders_order",
    "orders_orderline",
    "orders_orderattachment",
    "customers_customer",
    "auth_user",
]

pytestmark = pytest.mark.django_db(transaction=True)


def _uri(name: str) -> str:
    s = connection.settings_dict
    user = quote(s["USER"] or "postgres")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    host = s["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{name}?host={quote(host, safe='')}&port={s['PORT'] or 5432}"
    return f"postgresql://{user}{password}@{host}:{s['PORT'] or 5432}/{name}"


def _counts(uri: str) -> dict[str, int]:
    with psycopg.connect(uri) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(script: str, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_backup_then_restore_into_an_empty_database_gives_back_orders_and_files(settings, tmp_path):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    user = UserFactory(username="backup_li")
    for n in range(3):
        order = OrderFactory(owner=user, created_by=user, number=f"202611-9{n:02d}")
        OrderLineFactory(order=order, quantity=Decimal(n + 1))
        order_recalculate_total(order=order)
        attachment = OrderAttachment(
            order=order, original_name=f"附件{n}.pdf", size=20, uploaded_by=user
        )
        attachment.file.save(
            f"a{n}.pdf", ContentFile(b"%PDF-1.4 test " + bytes([n]) * 10), save=True
        )
    files = {a.file.name: _sha(media / a.file.name) for a in OrderAttachment.objects.all()}
    source_uri = _uri(connection.settings_dict["NAME"])
    expected = _counts(source_uri)
    assert expected["orders_order"] == 3 and expected["orders_orderattachment"] == 3

    backup_dir = tmp_path / "backup"
    _run(
        "backup.sh",
        str(backup_dir),
        env={"DATABASE_URL": source_uri, "PRIVATE_MEDIA_ROOT": str(media)},
    )
    assert (backup_dir / "database.dump").stat().st_size > 0

    throwaway = f"restore_check_{uuid.uuid4().hex[:10]}"
    admin_uri = _uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{throwaway}"')
    try:
        restored_media = tmp_path / "restored_media"
        target_uri = _uri(throwaway)
        _run("restore.sh", str(backup_dir), str(restored_media), env={"DATABASE_URL": target_uri})
        assert _counts(target_uri) == expected
        with psycopg.connect(target_uri) as conn:
            numbers = sorted(r[0] for r in conn.execute("SELECT number FROM orders_order"))
            names = sorted(r[0] for r in conn.execute("SELECT file FROM orders_orderattachment"))
        assert numbers == ["202611-900", "202611-901", "202611-902"]
        assert sorted(files) == names
        assert {name: _sha(restored_media / name) for name in names} == files
        # A second restore into a database that is no longer empty is refused.
        result = subprocess.run(  # noqa: S603
            [str(ROOT / "scripts" / "restore.sh"), str(backup_dir), str(restored_media)],
            env={**os.environ, "DATABASE_URL": target_uri},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2 and "not empty" in result.stderr
    finally:
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{throwaway}" WITH (FORCE)')
