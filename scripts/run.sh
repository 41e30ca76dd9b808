#!/usr/bin/env bash
# Start the portal: database (embedded unless DATABASE_URL is set), migrations,
# demo data (once), then web + Celery worker + Celery beat under honcho.
# Ctrl-C stops all three, and the embedded database with them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
export PORT

if [ -z "${DATABASE_URL:-}" ]; then
  $PY -m config.embedded start
  trap '$PY -m config.embedded stop' EXIT
fi
$PY manage.py migrate --noinput
$PY manage.py load_demo
# The demo signs delivery receipts with a self-signed certificate (made once, kept in var/).
$PY manage.py make_signing_cert
$PY manage.py collectstatic --noinput -v 0

cat <<MSG

  Order portal:  http://127.0.0.1:${PORT}/
  Demo logins (password demo-pass-2024 — demo data only):
    assistant, assistant2  销售助理     manager    销售经理     director  销售总监
    warehouse              仓储/生产    logistics  物流         account   客户经理
    aftersales             售后         dataadmin  数据管理员   legal     法务
    gm                     总经理       admin      系统管理员 (Django admin)
  Press Ctrl-C to stop web, worker, beat and the embedded database.

MSG
.venv/bin/honcho -f Procfile start
