"""``manage.py api_key_revoke NAME``: every key of the client stops working."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from api.keys import api_key_revoke
from api.models import ApiClient


class Command(BaseCommand):
    help = "Revoke every key of API client NAME."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        client = ApiClient.objects.filter(name=options["name"]).first()
        if client is None:
            raise CommandError(f"no API client named {options['name']!r}")
        count = api_key_revoke(client=client)
        self.stdout.write(f"{count} key(s) revoked.")
