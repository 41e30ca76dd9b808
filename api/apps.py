from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The versioned REST API /api/v1/ (docs/architecture.md): the top layer, calls the apps' actions and selectors."""

    name = "api"
    verbose_name = _("API")
