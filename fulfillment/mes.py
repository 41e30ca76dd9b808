"""Work orders for the MES, and the production progress it reports back
(docs/decisions/0016-webhooks-and-settlements.md).

Make or take from stock is the warehouse's answer when it confirms stock
(``fulfillment.confirm_stock``): a line "to be produced" is made for its order. For each
such line :func:`work_orders_for` describes the work order — product, specification,
quantity, the date it is needed by, and the raw materials its bill of materials
(:class:`~fulfillment.models.BomLine`) lacks in the order's warehouse — which the API
sends as the ``workorder.created`` webhook.

The MES answers with progress: :func:`progress_record` turns a report into a row of the
order's progress table through the existing action (``fulfillment.record_progress``), so
it meets the day's preparation check-in and warns of a delay exactly as an entry typed
on the warehouse page does.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from core import roles
from core.actions import perform
from core.errors import Invalid
from fulfillment.models import (
    ZERO,
    BomLine,
    FulfillmentLine,
    MovementKind,
    OrderFulfillment,
    ProgressEntry,
    Stage,
    StockLevel,
    StockMovement,
    StockStatus,
)
from orders.models import Order

MSG_NO_OWNER = _("Nobody of the warehouse / production can own this progress entry.")
MSG_PLANNED_END = _("Give the planned finish.")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def work_order_number(order: Order, position: int) -> str:
    return f"WO-{order.number or order.pk}-{position:02d}"


def work_orders_for(order: Order) -> list[dict[str, Any]]:
    """The work orders of ``order``'s lines to be produced, with the raw-material shortage
    in the order's warehouse (components shared by several lines are counted once: each
    line takes from what the previous ones left)."""
    fulfillment = OrderFulfillment.objects.select_related("warehouse").filter(order=order).first()
    if fulfillment is None:
        return []
    lines = list(
        FulfillmentLine.objects.filter(fulfillment=fulfillment, stock_status=StockStatus.TO_PRODUCE)
        .select_related("order_line__product")
        .order_by("order_line__position", "order_line_id")
    )
    if not lines:
        return []
    warehouse = fulfillment.warehouse
    products = [fline.order_line.product_id for fline in lines]
    bom: dict[int, list[BomLine]] = {}
    for row in BomLine.objects.filter(product_id__in=products).select_related("component"):
        bom.setdefault(row.product_id, []).append(row)
    components = {row.component_id for rows in bom.values() for row in rows}
    levels = (
        {
            level.product_id: level
            for level in StockLevel.objects.filter(warehouse=warehouse, product_id__in=components)
        }
        if warehouse is not None
        else {}
    )
    expected = dict(
        StockMovement.objects.filter(
            stock__in=list(levels.values()), kind=MovementKind.IN_TRANSIT, in_transit_delta__gt=0
        )
        .values_list("stock__product_id")
        .annotate(latest=Max("expected_on"))
        .values_list("stock__product_id", "latest")
    )
    left = {pid: (lv.on_hand - lv.reserved) for pid, lv in levels.items()}
    required = (
        fulfillment.deliverable_date or fulfillment.promised_date or order.requested_delivery_date
    )
    work_orders = []
    for fline in lines:
        line = fline.order_line
        quantity = fline.quantity - fline.shipped
        shortage = []
        for row in bom.get(line.product_id, []):
            needed = (quantity * row.quantity).quantize(Decimal("0.01"))
            available = max(left.get(row.component_id, ZERO), ZERO)
            left[row.component_id] = available - needed
            if needed > available:
                level = levels.get(row.component_id)
                expected_on = expected.get(row.component_id)
                shortage.append(
                    {
                        "component": row.component.code,
                        "name": row.component.name,
                        "needed": _amount(needed),
                        "available": _amount(available),
                        "short": _amount(needed - available),
                        "in_transit": _amount(level.in_transit if level else ZERO),
                        "expected_on": expected_on.isoformat() if expected_on else None,
                    }
                )
        work_orders.append(
            {
                "number": work_order_number(order, line.position),
                "order": {"id": order.pk, "number": order.number},
                "order_line": line.pk,
                "product": {"code": line.product.code, "name": line.product.name},
                "spec": line.spec or line.product.spec,
                "quantity": _amount(quantity),
                "unit": line.unit or line.product.unit,
                "required_date": required.isoformat() if required else None,
                "warehouse": warehouse.code if warehouse is not None else None,
                "raw_material_shortage": shortage,
            }
        )
    return work_orders


def _owner(actor: Any, order: Order) -> Any:
    """Who owns the entry: the reporting client's technical user if it is of the warehouse /
    production, else the order's responsible person in the warehouse."""
    if actor is not None and roles.has_role(actor, roles.WAREHOUSE):
        return actor
    fulfillment = OrderFulfillment.objects.filter(order=order).select_related("responsible").first()
    person = fulfillment.responsible if fulfillment else None
    if person is not None and roles.has_role(person, roles.WAREHOUSE):
        return person
    raise Invalid(MSG_NO_OWNER, fields={"owner": [str(MSG_NO_OWNER)]})


def progress_record(
    *,
    actor: Any,
    order: Order,
    planned_end: date | None,
    stage: str = Stage.PRODUCTION,
    planned_start: date | None = None,
    actual_start: date | None = None,
    actual_end: date | None = None,
    note: str = "",
    problem: str = "",
    work_order: str = "",
) -> ProgressEntry:
    """A progress report of the MES as a row of the order's progress table (one
    ``fulfillment.record_progress``: the check-in clock and the delay warning follow)."""
    if planned_end is None:
        raise Invalid(MSG_PLANNED_END, fields={"planned_end": [str(MSG_PLANNED_END)]})
    text = (note or "").strip()
    if work_order:
        text = f"[{work_order}] {text}".strip()
    entry = ProgressEntry(
        stage=stage,
        owner=_owner(actor, order),
        planned_start=planned_start,
        planned_end=planned_end,
        actual_start=actual_start,
        actual_end=actual_end,
        note=text,
        problem=problem or "",
    )
    result: ProgressEntry = perform(
        "fulfillment.record_progress", actor=actor, obj=order, entry=entry
    )
    return result
