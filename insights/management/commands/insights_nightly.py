"""Run the nightly learning job now (the beat job's work), e.g. after an import."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compute the replenishment suggestions, risk scores and product pairs now."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, default=None)
        parser.add_argument("--force", action="store_true", help="recompute finished stages")

    def handle(self, *args: Any, **options: Any) -> None:
        from insights.services import nightly_run

        started = time.monotonic()
        run = nightly_run(options["as_of"], force=options["force"])
        total = time.monotonic() - started
        for stage, info in run.stages.items():
            self.stdout.write(f"{stage}: {info.get('rows')} rows, {run.seconds.get(stage)} s")
        self.stdout.write(f"total {total:.1f} s")
