from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    """Settlement statements, credit and debit notes (docs/architecture.md): above after-sales, reads the order's delivered, accepted and replaced quantities."""

    name = "finance"
    verbose_name = _("Finance")
