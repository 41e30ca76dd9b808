"""The product catalog: what orders and quotations are made of."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from simple_history.models import HistoricalRecords

from core.indexes import trigram_index

PINYIN_INITIALS_LENGTH = 200
_NOT_LETTER_OR_DIGIT = re.compile(r"[^0-9a-z]+")


def pinyin_initials(text: str) -> str:
    """What a user types to find ``text`` by its pinyin initials: "服务器A型" → "fwqax".

    Each Chinese character gives the first letter of its reading (pypinyin reads whole
    words, so 重庆 is "cq"); letters and digits are kept as they are, lower-cased; spaces
    and punctuation are dropped (docs/decisions/0010-product-search-pinyin.md).
    """
    letters = "".join(lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default"))
    return _NOT_LETTER_OR_DIGIT.sub("", letters.lower())[:PINYIN_INITIALS_LENGTH]


class ProductQuerySet(models.QuerySet["Product"]):
    """``save`` keeps a product's pinyin initials; the bulk writes (the spreadsheet import)
    do not call it, so they fill them here."""

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Product]:
        objs = list(objs)
        for product in objs:
            product.pinyin_initials = pinyin_initials(product.name)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        objs, fields = list(objs), list(fields)
        if "name" in fields:
            for product in objs:
                product.pinyin_initials = pinyin_initials(product.name)
            fields = [*fields, "pinyin_initials"] if "pinyin_initials" not in fields else fields
        return super().bulk_update(objs, fields, *args, **kwargs)

    def search(self, query: str, *, limit: int = 10) -> list[Product]:
        """Products on sale whose code, name, spec or pinyin initials contain ``query``.

        The product picker of the entry form asks this as the user types. An exact code
        comes first, then the others by code; each condition is served by a trigram index
        (``Product.Meta.indexes``), so 100,000 products answer as fast as 100.
        """
        # PostgreSQL takes no NUL in a string: a pasted one would be a 500, not "no match".
        query = (query or "").replace("\x00", "").strip()[:50]
        if not query:
            return []
        on_sale = self.filter(is_active=True)
        exact = list(on_sale.filter(code=query.upper())[:1])
        matches = on_sale.filter(
            Q(code__icontains=query)
            | Q(name__icontains=query)
            | Q(spec__icontains=query)
            | Q(pinyin_initials__icontains=query)
        )
        if exact:
            matches = matches.exclude(pk=exact[0].pk)
        return exact + list(matches.order_by("code")[: limit - len(exact)])


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
    # Derived from the name on every save (``save`` below); searched by the product picker.
    pinyin_initials = models.CharField(
        _("pinyin initials"),
        max_length=PINYIN_INITIALS_LENGTH,
        blank=True,
        editable=False,
        default="",
        db_default="",
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "pinyin_initials"])

    objects = ProductQuerySet.as_manager()

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
            # The entry form's product picker (ProductQuerySet.search).
            trigram_index("spec", name="product_spec_trgm_idx"),
            trigram_index("pinyin_initials", name="product_pinyin_trgm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.spec}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pinyin_initials = pinyin_initials(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "pinyin_initials"}
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """How a picker names the product: "S-001 · 服务器A型 · 2U/双路"."""
        return " · ".join(part for part in (self.code, self.name, self.spec) if part)
