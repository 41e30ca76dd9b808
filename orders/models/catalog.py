"""The product catalog: what orders and quotations are made of."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.indexes import trigram_index


class ProductKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    SERVICE = "service", _("Service")


class Product(models.Model):
    """An item of the catalog: what orders are made of."""

    code = models.CharField(_("product code"), max_length=30, unique=True)
    name = models.CharField(_("product name"), max_length=200)
    spec = models.CharField(_("specification / model"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="台")
    list_price = models.DecimalField(
        _("list price (CNY)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ProductKind.choices, default=ProductKind.GOODS
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        permissions = [("view_prices", _("Can view prices"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="product_list_price_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="product_name_idx"),
            # The order list's search by product name or code.
            trigram_index("name", name="product_name_trgm_idx"),
            trigram_index("code", name="product_code_trgm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.spec}".strip()
