"""``manage.py api_key_rotate NAME``: a new key for the client (printed once); the old
keys stop working at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from api.keys import api_key_rotate
from api.models import ApiClient


class Command(BaseCommand):
    help = "Rotate the key of API client NAME; prints the new key once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        client = ApiClient.objects.filter(name=options["name"]).first()
        if client is None:
            raise CommandError(f"no API client named {options['name']!r}")
        key = api_key_rotate(client=client)
        self.stdout.write("New key (shown once; store it now):")
        self.stdout.write(key)
