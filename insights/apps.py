from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """What the order history teaches (docs/architecture.md): nightly forecasts and scores, read from precomputed tables."""

    name = "insights"
    verbose_name = _("Insights")
