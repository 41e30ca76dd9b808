"""Write operations of the orders app (catalog for now)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from orders.models import Product


@transaction.atomic
def product_save(*, actor: Any, product: Product) -> Product:
    """Create or update a catalog product; history records ``actor`` as the author."""
    product._history_user = actor  # type: ignore[attr-defined]
    product.code = product.code.strip().upper()
    product.full_clean()
    product.save()
    return product
