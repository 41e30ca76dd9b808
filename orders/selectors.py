from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from orders.models import Product


def product_list(*, filters: dict[str, Any]) -> QuerySet[Product]:
    qs = Product.objects.all()
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(spec__icontains=q))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    active = filters.get("active")
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("code")
