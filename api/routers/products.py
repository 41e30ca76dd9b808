"""The product catalog (read)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from api.pagination import keyset_page
from api.problems import responses
from api.routers.common import ListParams, Query, require_perm
from api.schemas import ProductOut, ProductPage
from orders.models import Product

router = Router(tags=["Products"])


@router.get("/", response=responses(ProductPage), summary="List products")
def products_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    require_perm(request, "orders.view_product")
    items, cursor = keyset_page(
        Product.objects.all(),
        cursor=params.cursor,
        limit=params.limit,
        updated_since=params.updated_since,
    )
    return {"items": items, "next_cursor": cursor}


@router.get("/{int:product_id}", response=responses(ProductOut), summary="One product")
def product_get(request: HttpRequest, product_id: int) -> Any:
    require_perm(request, "orders.view_product")
    return get_object_or_404(Product, pk=product_id)
