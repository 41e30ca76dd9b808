"""Stock levels per warehouse and product (read)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from api.pagination import keyset_page
from api.problems import responses
from api.routers.common import ListParams, Query, require_perm
from api.schemas import StockLevelPage
from fulfillment.models import StockLevel

router = Router(tags=["Stock"])


class StockParams(ListParams):
    product_id: int | None = Field(None, gt=0, lt=2**63)
    warehouse_id: int | None = Field(None, gt=0, lt=2**63)


def _row(level: StockLevel) -> dict[str, Any]:
    return {
        "id": level.pk,
        "warehouse_id": level.warehouse_id,
        "warehouse_code": level.warehouse.code,
        "product_id": level.product_id,
        "product_code": level.product.code,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "in_transit": level.in_transit,
        "safety_stock": level.safety_stock,
        "available": level.on_hand - level.reserved,
        "updated_at": level.updated_at,
    }


@router.get("/", response=responses(StockLevelPage), summary="Stock levels")
def stock_list(request: HttpRequest, params: Query[StockParams]) -> Any:
    require_perm(request, "fulfillment.view_stocklevel")
    qs = StockLevel.objects.select_related("warehouse", "product")
    if params.product_id:
        qs = qs.filter(product_id=params.product_id)
    if params.warehouse_id:
        qs = qs.filter(warehouse_id=params.warehouse_id)
    items, cursor = keyset_page(
        qs,
        cursor=params.cursor,
        limit=params.limit,
        updated_since=params.updated_since,
        newest="updated_at",
    )
    return {"items": [_row(level) for level in items], "next_cursor": cursor}
