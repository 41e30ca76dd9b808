"""Shipments with their lines (read); recording one is the order's ``ship`` step."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from pydantic import Field

from api.pagination import keyset_page
from api.problems import responses
from api.routers.common import PageParams, Query, require_perm
from api.schemas import ShipmentOut, ShipmentPage
from fulfillment.models import Shipment

router = Router(tags=["Shipments"])


class ShipmentParams(PageParams):
    order_id: int | None = Field(None, gt=0, lt=2**63)


def _row(shipment: Shipment) -> dict[str, Any]:
    return {
        **{
            name: getattr(shipment, name)
            for name in (
                "id",
                "order_id",
                "sequence",
                "warehouse_id",
                "carrier",
                "method",
                "tracking_number",
                "eta",
                "shipped_at",
                "customer_notified_at",
            )
        },
        "lines": [
            {"order_line_id": line.order_line_id, "quantity": line.quantity}
            for line in shipment.lines.all()
        ],
    }


@router.get("/", response=responses(ShipmentPage), summary="Shipments, newest first")
def shipments_list(request: HttpRequest, params: Query[ShipmentParams]) -> Any:
    require_perm(request, "fulfillment.view_shipment", "orders.view_order")
    qs = Shipment.objects.prefetch_related("lines")
    if params.order_id:
        qs = qs.filter(order_id=params.order_id)
    items, cursor = keyset_page(qs, cursor=params.cursor, limit=params.limit, newest="shipped_at")
    return {"items": [_row(s) for s in items], "next_cursor": cursor}


@router.get("/{int:shipment_id}", response=responses(ShipmentOut), summary="One shipment")
def shipment_get(request: HttpRequest, shipment_id: int) -> Any:
    require_perm(request, "fulfillment.view_shipment", "orders.view_order")
    return _row(get_object_or_404(Shipment.objects.prefetch_related("lines"), pk=shipment_id))
