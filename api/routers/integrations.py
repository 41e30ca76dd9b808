"""The exchange with other systems (docs/decisions/0016-webhooks-and-settlements.md):

* ``/integrations/erp/stock`` — the ERP reports receipts, goods in transit and stock
  counts; each becomes one stock movement with who and why (fulfillment/erp.py);
* ``/integrations/mes/…`` — the MES reads an order's work orders and reports production
  progress, which becomes a row of the order's progress table (fulfillment/mes.py);
* ``/integrations/webhooks…`` — a client's webhook subscriptions and their delivery log,
  with replay and resume (api/webhooks/__init__.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from api import webhooks
from api.auth import require_scope
from api.models import WebhookDelivery, WebhookSubscription
from api.problems import WRITE_ERRORS, responses
from api.routers.common import require_perm
from api.schemas import InSchema
from fulfillment.erp import erp_stock_post
from fulfillment.mes import progress_record, work_orders_for
from fulfillment.models import Stage, Warehouse
from orders.models import Order, Product

router = Router(tags=["Integrations"])


# --- ERP stock ---------------------------------------------------------------------------------
class ErpStockIn(InSchema):
    warehouse: str = Field(max_length=20, description="Warehouse code.")
    product: str = Field(max_length=30, description="Product code.")
    kind: Literal["receipt", "in_transit", "level"]
    reference: str = Field("", max_length=100, description="ERP document; posted once per level.")
    reason: str = Field("", max_length=300)
    quantity: Decimal | None = Field(
        None, max_digits=12, decimal_places=2, description="receipt (> 0), in_transit (≠ 0)."
    )
    from_transit: bool = Field(False, description="receipt: the goods were in transit.")
    expected_on: date | None = Field(None, description="in_transit: expected arrival.")
    on_hand: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    in_transit: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    safety_stock: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)


class StockLevelOut(Schema):
    warehouse: str
    product: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    in_transit: Decimal
    safety_stock: Decimal
    below_safety: bool


class ErpStockOut(Schema):
    movement: int
    kind: str
    on_hand_delta: Decimal
    in_transit_delta: Decimal
    expected_on: date | None
    reference: str
    conflict: Decimal = Field(
        description="Units counted below the reservations of confirmed orders (not applied)."
    )
    replayed: bool = Field(description="The reference was posted before: nothing moved now.")
    level: StockLevelOut


@router.post(
    "/erp/stock",
    response=responses(ErpStockOut, 201, WRITE_ERRORS),
    summary="ERP: a receipt, goods in transit or a stock count",
)
def erp_stock(request: HttpRequest, body: ErpStockIn) -> Any:
    require_scope(request, "integrations")
    warehouse = get_object_or_404(Warehouse, code=body.warehouse)
    product = get_object_or_404(Product, code=body.product)
    result = erp_stock_post(
        actor=request.user,
        warehouse=warehouse,
        product=product,
        kind=body.kind,
        reference=body.reference,
        reason=body.reason,
        quantity=body.quantity,
        from_transit=body.from_transit,
        expected_on=body.expected_on,
        on_hand=body.on_hand,
        in_transit=body.in_transit,
        safety_stock=body.safety_stock,
    )
    movement, level = result.movement, result.level
    return Status(
        201,
        {
            "movement": movement.pk,
            "kind": movement.kind,
            "on_hand_delta": movement.on_hand_delta,
            "in_transit_delta": movement.in_transit_delta,
            "expected_on": movement.expected_on,
            "reference": movement.reference,
            "conflict": result.conflict,
            "replayed": result.replayed,
            "level": {
                "warehouse": warehouse.code,
                "product": product.code,
                "on_hand": level.on_hand,
                "reserved": level.reserved,
                "available": level.available,
                "in_transit": level.in_transit,
                "safety_stock": level.safety_stock,
                "below_safety": level.below_safety,
            },
        },
    )


# --- MES -------------------------------------------------------------------------------------
class ShortageOut(Schema):
    component: str
    name: str
    needed: Decimal
    available: Decimal
    short: Decimal
    in_transit: Decimal
    expected_on: date | None


class WorkOrderProductOut(Schema):
    code: str
    name: str


class WorkOrderRefOut(Schema):
    id: int
    number: str | None


class WorkOrderOut(Schema):
    number: str
    order: WorkOrderRefOut
    order_line: int
    product: WorkOrderProductOut
    spec: str
    quantity: Decimal
    unit: str
    required_date: date | None
    warehouse: str | None
    raw_material_shortage: list[ShortageOut]


@router.get(
    "/mes/orders/{int:order_id}/work-orders",
    response=responses(list[WorkOrderOut]),
    summary="MES: the work orders of an order (lines to produce)",
)
def mes_work_orders(request: HttpRequest, order_id: int) -> Any:
    require_perm(request, "fulfillment.view_orderfulfillment")
    return work_orders_for(get_object_or_404(Order, pk=order_id))


class MesProgressIn(InSchema):
    order: int = Field(description="The order's id.")
    work_order: str = Field("", max_length=60)
    stage: Literal["purchasing", "production", "qc", "packing", "picking", "other"] = "production"
    planned_start: date | None = None
    planned_end: date
    actual_start: date | None = None
    actual_end: date | None = None
    note: str = Field("", max_length=2000)
    problem: str = Field("", max_length=2000)


class ProgressOut(Schema):
    id: int
    order: int
    stage: str
    owner: int
    planned_start: date | None
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    note: str
    problem: str
    created_at: datetime


@router.post(
    "/mes/progress",
    response=responses(ProgressOut, 201, WRITE_ERRORS),
    summary="MES: production progress of a work order",
)
def mes_progress(request: HttpRequest, body: MesProgressIn) -> Any:
    require_scope(request, "integrations")
    order = get_object_or_404(Order, pk=body.order)
    entry = progress_record(
        actor=request.user,
        order=order,
        stage=Stage(body.stage),
        planned_start=body.planned_start,
        planned_end=body.planned_end,
        actual_start=body.actual_start,
        actual_end=body.actual_end,
        note=body.note,
        problem=body.problem,
        work_order=body.work_order,
    )
    return Status(
        201,
        {
            "id": entry.pk,
            "order": entry.order_id,
            "stage": entry.stage,
            "owner": entry.owner_id,
            "planned_start": entry.planned_start,
            "planned_end": entry.planned_end,
            "actual_start": entry.actual_start,
            "actual_end": entry.actual_end,
            "note": entry.note,
            "problem": entry.problem,
            "created_at": entry.created_at,
        },
    )


# --- webhook subscriptions and their delivery log ---------------------------------------------
class SubscriptionIn(InSchema):
    url: str = Field(max_length=500, pattern=r"^https?://\S+$")
    event_types: list[str] = Field(min_length=1, max_length=20)


class SubscriptionOut(Schema):
    id: int
    url: str
    event_types: list[str]
    active: bool
    paused_at: datetime | None
    consecutive_failures: int
    created_at: datetime


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(description="Signs every delivery (HMAC-SHA256); shown only now.")


class DeliveryOut(Schema):
    id: int
    event_type: str
    event_id: UUID
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


class ResumedOut(Schema):
    queued: int


def _own_subscription(request: HttpRequest, subscription_id: int) -> WebhookSubscription:
    return get_object_or_404(
        WebhookSubscription, pk=subscription_id, client=getattr(request, "api_client", None)
    )


@router.get(
    "/webhooks", response=responses(list[SubscriptionOut]), summary="My webhook subscriptions"
)
def webhooks_list(request: HttpRequest) -> Any:
    require_scope(request, "webhooks")
    return list(
        WebhookSubscription.objects.filter(client=getattr(request, "api_client", None)).order_by(
            "pk"
        )
    )


@router.post(
    "/webhooks",
    response=responses(SubscriptionCreatedOut, 201, WRITE_ERRORS),
    summary="Subscribe to events (the signing secret is in this answer only)",
)
def webhooks_create(request: HttpRequest, body: SubscriptionIn) -> Any:
    require_scope(request, "webhooks")
    subscription = webhooks.webhook_subscribe(
        actor=request.user,
        client=getattr(request, "api_client", None),
        url=body.url,
        event_types=body.event_types,
    )
    return Status(201, subscription)


@router.get(
    "/webhooks/{int:subscription_id}/deliveries",
    response=responses(list[DeliveryOut]),
    summary="The delivery log of a subscription (newest first, 200 at most)",
)
def webhook_deliveries(request: HttpRequest, subscription_id: int) -> Any:
    require_scope(request, "webhooks")
    subscription = _own_subscription(request, subscription_id)
    return list(subscription.deliveries.order_by("-created_at", "-id")[:200])


@router.post(
    "/webhooks/{int:subscription_id}/resume",
    response=responses(ResumedOut, 200, WRITE_ERRORS),
    summary="Resume a paused subscription (what waited is sent)",
)
def webhook_resume(request: HttpRequest, subscription_id: int) -> Any:
    require_scope(request, "webhooks")
    subscription = _own_subscription(request, subscription_id)
    return {"queued": webhooks.webhook_resume(actor=request.user, subscription=subscription)}


@router.post(
    "/webhooks/deliveries/{int:delivery_id}/replay",
    response=responses(DeliveryOut, 200, WRITE_ERRORS),
    summary="Send one delivery again",
)
def webhook_replay(request: HttpRequest, delivery_id: int) -> Any:
    require_scope(request, "webhooks")
    delivery = get_object_or_404(
        WebhookDelivery, pk=delivery_id, subscription__client=getattr(request, "api_client", None)
    )
    webhooks.webhook_replay(actor=request.user, delivery=delivery)
    delivery.refresh_from_db()
    return delivery
