"""Make the self-signed certificate the demo signs documents with (core.pdfsign).

Writes ``PDF_SIGNING_CERT`` and ``PDF_SIGNING_KEY`` (by default under var/signing/) unless
they exist; ``--force`` replaces them. ``make run`` calls it, so the demo's delivery
receipts are signed from the first start. Production names a real certificate in the
same settings and never runs this.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from core import pdfsign


class Command(BaseCommand):
    help = "Make a self-signed certificate for signing PDF documents (demo), unless one exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Replace an existing pair.")
        parser.add_argument("--days", type=int, default=3 * 365, help="Validity in days.")
        parser.add_argument(
            "--common-name", default="", help="Subject CN (default: the company name)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cert, key = pdfsign.signing_paths()
        if cert.exists() and key.exists() and not options["force"]:
            self.stdout.write(f"Signing certificate present: {cert}")
            return
        company = str(getattr(settings, "PORTAL_COMPANY", "") or "Order Portal")
        pdfsign.make_self_signed(
            cert,
            key,
            common_name=options["common_name"] or f"{company} (demo signing certificate)",
            organization=company,
            days=options["days"],
        )
        summary = pdfsign.certificate_summary(cert)
        self.stdout.write(
            self.style.SUCCESS(
                f"Self-signed signing certificate written: {cert} (key {key}); "
                f"SHA-256 fingerprint {summary['fingerprint']}"
            )
        )
