"""The content security policy is sent, and the templates and vendored assets satisfy it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [
    path
    for path in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in path.parts and "var" not in path.parts
]


def test_every_page_sends_the_policy(client, db):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-eval'" not in policy
    assert "Content-Security-Policy" in client.get("/healthz").headers


def test_no_template_has_an_inline_script_or_event_handler():
    assert TEMPLATES
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>")
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in TEMPLATES
        if inline_script.search(text := path.read_text(encoding="utf-8")) or handler.search(text)
    ]
    assert not offenders


def test_htmx_runs_without_eval(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert """<meta name="htmx-config" content='{"allowEval":false}'>""" in page
