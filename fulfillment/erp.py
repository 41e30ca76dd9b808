"""Stock reported by the ERP (docs/decisions/0016-webhooks-and-settlements.md): receipts,
goods in transit with their expected date, and stock counts — each one stock movement of
the ledger with who (the ERP's API client) and why (its reason and document reference).

The ledger's rules hold for the ERP as for a person (fulfillment/services.py):

* stock never goes negative, and on hand never below what is reserved for confirmed
  orders. A count below the reservations does not overwrite them: on hand goes down to
  what is reserved — no order loses its goods in silence — and the difference is reported
  as a conflict to the warehouse, who resolves it (another warehouse, a release);
* one movement per ERP document (``reference``) and stock level: the same document
  posted twice moves the stock once (the second post answers the first movement);
* every movement re-checks the safety stock, raising or resolving the purchase alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from core.actions import Step, action, perform
from core.errors import Invalid
from core.messages import Msg
from core.services import notify_users
from fulfillment import predicates as P
from fulfillment import services
from fulfillment.models import (
    ZERO,
    MovementKind,
    PurchaseAlert,
    StockLevel,
    StockMovement,
    Warehouse,
)
from orders.models import Product

RECEIPT = "receipt"
IN_TRANSIT = "in_transit"
LEVEL = "level"
KINDS = (RECEIPT, IN_TRANSIT, LEVEL)

MSG_KIND = _("Choose receipt, in_transit or level.")
MSG_QUANTITY = _("Enter a quantity above zero.")
MSG_TRANSIT_QUANTITY = _("Enter a quantity other than zero.")
MSG_NOT_NEGATIVE = _("Stock levels are never negative.")
MSG_EXPECTED_ON = _("Goods in transit need their expected date.")
MSG_LEVEL_EMPTY = _("Give on_hand, in_transit or safety_stock.")
MSG_TRANSIT_BELOW_ZERO = _(
    "Only %(in_transit)s of %(product)s are in transit to %(warehouse)s; %(quantity)s cannot arrive or be cancelled."
)
MSG_REASON = _("Give the reason (the ERP document).")


@dataclass(frozen=True)
class ErpStockResult:
    movement: StockMovement
    level: StockLevel
    # What the ERP reported but the ledger could not apply: units counted below the
    # reservations (the warehouse resolves them). 0 when none.
    conflict: Decimal = ZERO
    replayed: bool = False


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise Invalid(MSG_QUANTITY, fields={field: [str(MSG_QUANTITY)]}) from None
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        raise Invalid(MSG_QUANTITY, fields={field: [str(MSG_QUANTITY)]})
    return number


def _not_negative(value: Decimal | None, field: str) -> None:
    if value is not None and value < 0:
        raise Invalid(MSG_NOT_NEGATIVE, fields={field: [str(MSG_NOT_NEGATIVE)]})


def _alert_check(level: StockLevel, actor: Any) -> None:
    below = level.safety_stock > 0 and level.available < level.safety_stock
    open_alert = PurchaseAlert.objects.filter(stock=level, resolved_at__isnull=True).exists()
    if below != open_alert:
        perform("fulfillment.purchase_alert", actor=actor, obj=level)


@action(
    "fulfillment.erp_stock",
    model=StockMovement,
    predicate=P.may_manage_stock,
    creates=True,
    records=False,  # the ledger row is the record
)
def erp_stock(step: Step[Any]) -> ErpStockResult:
    """One report of the ERP on one product in one warehouse (see the module doc).

    Params: ``warehouse``, ``product``, ``kind`` (receipt / in_transit / level),
    ``reference`` (the ERP document), ``reason``; for a receipt ``quantity`` and
    ``from_transit`` (it was reported in transit before); for goods in transit
    ``quantity`` (negative: cancelled) and ``expected_on``; for a count any of
    ``on_hand``, ``in_transit``, ``safety_stock``."""
    params = step.params
    kind = params.get("kind")
    if kind not in KINDS:
        raise Invalid(MSG_KIND, fields={"kind": [str(MSG_KIND)]})
    warehouse: Warehouse = params["warehouse"]
    product: Product = params["product"]
    reference = (params.get("reference") or "").strip()[:100]
    reason = (params.get("reason") or "").strip()
    if not reason and not reference:
        raise Invalid(MSG_REASON, fields={"reason": [str(MSG_REASON)]})
    created = services.stock_level_get(warehouse=warehouse, product=product)
    level = (
        StockLevel.objects.select_for_update()
        .select_related("warehouse", "product")
        .get(pk=created.pk)
    )
    if reference:
        earlier = StockMovement.objects.filter(stock=level, reference=reference).first()
        if earlier is not None:
            return ErpStockResult(movement=earlier, level=level, replayed=True)
    on_hand_delta = ZERO
    transit_delta = ZERO
    conflict = ZERO
    expected_on: date | None = params.get("expected_on")
    safety: Decimal | None = None
    if kind == RECEIPT:
        quantity = _decimal(params.get("quantity"), "quantity")
        if quantity is None or quantity <= 0:
            raise Invalid(MSG_QUANTITY, fields={"quantity": [str(MSG_QUANTITY)]})
        on_hand_delta = quantity
        if params.get("from_transit"):
            transit_delta = -min(quantity, level.in_transit)
        movement_kind = MovementKind.RECEIPT
    elif kind == IN_TRANSIT:
        quantity = _decimal(params.get("quantity"), "quantity")
        if quantity is None or quantity == 0:
            raise Invalid(MSG_TRANSIT_QUANTITY, fields={"quantity": [str(MSG_TRANSIT_QUANTITY)]})
        if quantity > 0 and expected_on is None:
            raise Invalid(MSG_EXPECTED_ON, fields={"expected_on": [str(MSG_EXPECTED_ON)]})
        if level.in_transit + quantity < 0:
            message = MSG_TRANSIT_BELOW_ZERO % {
                "in_transit": services.qty(level.in_transit),
                "product": product,
                "warehouse": warehouse,
                "quantity": services.qty(-quantity),
            }
            raise Invalid(message, fields={"quantity": [str(message)]})
        transit_delta = quantity
        movement_kind = MovementKind.IN_TRANSIT
    else:
        on_hand = _decimal(params.get("on_hand"), "on_hand")
        in_transit = _decimal(params.get("in_transit"), "in_transit")
        safety = _decimal(params.get("safety_stock"), "safety_stock")
        for value, field in (
            (on_hand, "on_hand"),
            (in_transit, "in_transit"),
            (safety, "safety_stock"),
        ):
            _not_negative(value, field)
        if on_hand is None and in_transit is None and safety is None:
            raise Invalid(MSG_LEVEL_EMPTY, fields={"on_hand": [str(MSG_LEVEL_EMPTY)]})
        if on_hand is not None:
            # The ledger's rule: never below what confirmed orders hold.
            applied = max(on_hand, level.reserved)
            conflict = applied - on_hand
            on_hand_delta = applied - level.on_hand
        if in_transit is not None:
            transit_delta = in_transit - level.in_transit
        movement_kind = MovementKind.COUNT
    update: dict[str, Any] = {
        "on_hand": F("on_hand") + on_hand_delta,
        "in_transit": F("in_transit") + transit_delta,
    }
    if safety is not None:
        update["safety_stock"] = safety
    StockLevel.objects.filter(pk=level.pk).update(**update)
    level.refresh_from_db(fields=["on_hand", "reserved", "in_transit", "safety_stock"])
    movement = StockMovement.objects.create(
        stock=level,
        kind=movement_kind,
        on_hand_delta=on_hand_delta,
        in_transit_delta=transit_delta,
        expected_on=expected_on if kind == IN_TRANSIT else None,
        reference=reference,
        actor=step.actor,
        reason=(reason or f"ERP {reference}")[:300],
    )
    _alert_check(level, step.actor)
    if conflict > 0:
        values: dict[str, Any] = {
            "product": str(product),
            "warehouse": str(warehouse),
            "count": services.qty(level.reserved - conflict),
            "reserved": services.qty(level.reserved),
            "short": services.qty(conflict),
            "reference": reference or "—",
        }
        notify_users(
            [warehouse.manager] if warehouse.manager_id else services.warehouse_people(None),
            title=Msg(_("ERP count below reservations: %(product)s in %(warehouse)s"), **values),
            body=Msg(
                _(
                    "The ERP counted %(count)s (%(reference)s) but %(reserved)s are reserved "
                    "for confirmed orders: on hand stays at %(reserved)s. Resolve the "
                    "difference of %(short)s (move an order to another warehouse or "
                    "correct the count)."
                ),
                **values,
            ),
            target=None,
        )
    return ErpStockResult(movement=movement, level=level, conflict=conflict)


def erp_stock_post(
    *,
    actor: Any,
    warehouse: Warehouse,
    product: Product,
    kind: str,
    reference: str = "",
    reason: str = "",
    **values: Any,
) -> ErpStockResult:
    """The way in for the API (api/routers/integrations.py): one ``fulfillment.erp_stock``."""
    result: ErpStockResult = perform(
        "fulfillment.erp_stock",
        actor=actor,
        obj=None,
        warehouse=warehouse,
        product=product,
        kind=kind,
        reference=reference,
        reason=reason,
        **values,
    )
    return result
