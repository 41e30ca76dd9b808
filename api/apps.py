from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The versioned REST API /api/v1/ (docs/architecture.md): the top layer, calls the apps' actions and selectors."""

    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Outbound webhooks: hooks on the apps' actions, the outbox handler, grants, admin
        # (api/webhooks/__init__.py; registries only).
        from api import webhooks

        webhooks.register()
