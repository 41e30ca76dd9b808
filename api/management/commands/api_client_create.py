"""``manage.py api_client_create NAME --role ROLE [--role …] [--scope …] [--rate-limit N]``

Makes an API client, its technical user in the role group(s) and its first key, and
prints the key — the only time it is shown (docs/api.md, "Clients and keys").
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from api.keys import api_client_create
from api.models import ApiScope
from core import roles
from core.errors import DomainError, problem


class Command(BaseCommand):
    help = "Create an API client acting as a technical user with ROLE; prints its key once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("--role", action="append", required=True, choices=roles.ALL_ROLES)
        parser.add_argument(
            "--scope", action="append", choices=[s.value for s in ApiScope], default=None
        )
        parser.add_argument("--rate-limit", type=int, default=0, help="requests per minute")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client, key = api_client_create(
                name=options["name"],
                roles_=options["role"],
                scopes=options["scope"],
                rate_limit=options["rate_limit"],
            )
        except DomainError as exc:
            raise CommandError(str(problem(exc).get("errors") or exc)) from exc
        self.stdout.write(f"API client {client.name} (technical user {client.user.username})")
        self.stdout.write("Key (shown once; store it now):")
        self.stdout.write(key)
