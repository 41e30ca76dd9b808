"""Load demo data once: each installed app may provide ``<app>/demo.py`` with ``load(stdout)``.

Apps are loaded in INSTALLED_APPS order (lowest layer first), so a higher app's
demo data can use the customers and products of the lower ones.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Load demo users, customers and products (once; --force to run again)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--force", action="store_true", help="load even if demo data exists")

    def handle(self, *args, force: bool = False, **options):  # type: ignore[no-untyped-def]
        if not force and get_user_model().objects.filter(username="assistant").exists():
            self.stdout.write("Demo data already loaded.")
            return
        with transaction.atomic():
            for config in apps.get_app_configs():
                if module_has_submodule(config.module, "demo"):
                    self.stdout.write(f"{config.label}:")
                    import_module(f"{config.name}.demo").load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
