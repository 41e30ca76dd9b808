"""The catalog's writes as actions of the engine (docs/architecture.md §2). The audit
trail of a product is django-simple-history's (orders/models/catalog.py)."""

from __future__ import annotations

from typing import Any

from core.actions import Step, action, has_perm
from orders.models import Product


def _save(step: Step[Any], product: Product) -> Product:
    product._history_user = step.actor  # type: ignore[attr-defined]
    product.code = product.code.strip().upper()
    product.full_clean()
    product.save()
    return product


@action(
    "product.create",
    model=Product,
    predicate=has_perm("orders.add_product"),
    creates=True,
    records=False,
)
def create(step: Step[Any]) -> Product:
    """A new catalog product; ``Product.save`` derives the pinyin initials from the name."""
    return _save(step, step.params["product"])


@action("product.edit", model=Product, predicate=has_perm("orders.change_product"), records=False)
def edit(step: Step[Any]) -> Product:
    """The product's form instance, applied on the locked row."""
    return _save(step, step.params["product"])
