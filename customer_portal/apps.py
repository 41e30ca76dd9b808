from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerPortalConfig(AppConfig):
    """The customer's side (docs/architecture.md): signed links, tracking, confirmation, delivery receipt, survey, complaints; every customer step is an action of the engine."""

    name = "customer_portal"
    verbose_name = _("Customer side")
