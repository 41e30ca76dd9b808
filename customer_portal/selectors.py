"""What a customer page may show of an order — and nothing else.

Every customer page reads the order through :func:`tracking` / :func:`order_lines`:
they pick the fields a customer may see (no internal notes, review or credit notes,
costs, warehouse notes, problems, other customers' data) and the prices only when the
company's setting says so. Templates never get the model instances' internal fields
(tests plant marker strings in every internal text field and look for them on every
customer page: customer_portal/tests/test_security.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import override, pgettext_lazy

from customer_portal.models import CustomerPortalSettings, DeliveryRiskOffer
from orders.models import Order, OrderStatus


@dataclass(frozen=True)
class Stage:
    code: str
    label: Promise
    index: int

    def label_text(self, language: str | None = None) -> str:
        if language is None:
            return str(self.label)
        with override(language):
            return str(self.label)


# The order's life in the customer's words (docs/decisions/0014-customer-links-and-sms.md).
STAGES = [
    Stage("received", pgettext_lazy("customer order stage", "Received"), 0),
    Stage("review", pgettext_lazy("customer order stage", "Under review"), 1),
    Stage("confirmed", pgettext_lazy("customer order stage", "Confirmed"), 2),
    Stage("production", pgettext_lazy("customer order stage", "In production"), 3),
    Stage("shipped", pgettext_lazy("customer order stage", "Shipped"), 4),
    Stage("delivered", pgettext_lazy("customer order stage", "Delivered"), 5),
    Stage("signed", pgettext_lazy("customer order stage", "Signed for"), 6),
    Stage("completed", pgettext_lazy("customer order stage", "Completed"), 7),
]
CANCELLED = Stage("cancelled", pgettext_lazy("customer order stage", "Cancelled"), -1)
_BY_CODE = {stage.code: stage for stage in STAGES}

STATUS_STAGE = {
    OrderStatus.DRAFT: "received",
    OrderStatus.PENDING_REVIEW: "received",
    OrderStatus.NEEDS_INFO: "review",
    OrderStatus.PENDING_APPROVAL: "review",
    OrderStatus.PENDING_DIRECTOR: "review",
    OrderStatus.RETURNED: "review",
    OrderStatus.CONFIRMED: "confirmed",
    OrderStatus.SERVICE_SCHEDULED: "confirmed",
    OrderStatus.PREPARING: "production",
    OrderStatus.READY_TO_SHIP: "production",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.ACCEPTED: "signed",
    OrderStatus.COMPLETED: "completed",
    OrderStatus.ARCHIVED: "completed",
}


def customer_stage(order: Order) -> Stage:
    code = STATUS_STAGE.get(order.status)
    if code is None:  # rejected, cancelled
        return CANCELLED
    return _BY_CODE[code]


@dataclass
class Line:
    position: int
    product: str
    spec: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    shipped: Decimal | None = None


@dataclass
class ShipmentView:
    sequence: int
    carrier: str
    method: str
    tracking_number: str
    eta: date
    shipped_at: datetime
    lines: list[tuple[str, Decimal, str]] = field(default_factory=list)
    # The carrier's latest tracking events, newest first (TRACKING_EVENTS_SHOWN at most).
    events: list[TrackingEventView] = field(default_factory=list)


@dataclass
class TrackingEventView:
    status: str  # the code (delivered, exception…), for the badge's colour
    label: str
    occurred_at: datetime
    location: str
    description: str  # the carrier's own text


TRACKING_EVENTS_SHOWN = 3


@dataclass
class ProgressStep:
    label: str
    planned_end: date
    done: bool


@dataclass
class Tracking:
    order_number: str
    customer_name: str
    contact_name: str
    order_date: date
    status_code: str
    stage: Stage
    stages: list[tuple[Stage, str]]  # (stage, "done" / "current" / "todo")
    cancelled: bool
    requested_delivery_date: date | None
    promised_date: date | None
    delivery_address: str
    special_requirements: str
    payment_terms: str
    lines: list[Line]
    show_prices: bool
    total: Decimal | None
    progress_percent: int | None
    progress: list[ProgressStep]
    shipments: list[ShipmentView]
    open_offer: DeliveryRiskOffer | None
    needs_confirmation: bool
    confirmed_at: datetime | None
    confirmed_by: str
    change_requested_at: datetime | None


def _fulfillment(order: Order) -> Any:
    from fulfillment.models import OrderFulfillment

    return OrderFulfillment.objects.filter(order=order).only("promised_date").first()


def order_lines(order: Order, *, show_prices: bool) -> list[Line]:
    shipped: dict[int, Decimal] = {}
    from fulfillment.models import FulfillmentLine

    for line_id, qty in FulfillmentLine.objects.filter(order_line__order=order).values_list(
        "order_line_id", "shipped"
    ):
        shipped[line_id] = qty
    return [
        Line(
            position=line.position,
            product=line.product.name,
            spec=line.spec,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price if show_prices else None,
            amount=line.amount if show_prices else None,
            shipped=shipped.get(line.pk),
        )
        for line in order.lines.select_related("product").order_by("position", "pk")
    ]


def _progress(order: Order) -> tuple[int | None, list[ProgressStep]]:
    from fulfillment.models import ProgressEntry

    entries = list(
        ProgressEntry.objects.filter(order=order)
        .order_by("planned_end", "pk")
        .only("stage", "planned_end", "actual_end")
    )
    if not entries:
        return None, []
    steps = [
        ProgressStep(
            label=str(e.get_stage_display()),
            planned_end=e.planned_end,
            done=e.actual_end is not None,
        )
        for e in entries
    ]
    done = sum(1 for s in steps if s.done)
    return round(100 * done / len(steps)), steps


def _shipments(order: Order) -> list[ShipmentView]:
    from django.db.models import Prefetch

    from fulfillment.models import Shipment, ShipmentTrackingEvent

    latest_events = Prefetch(
        "tracking_events",
        queryset=ShipmentTrackingEvent.objects.order_by("-occurred_at", "-id")[
            :TRACKING_EVENTS_SHOWN
        ],
        to_attr="latest_events",
    )
    views = []
    for shipment in Shipment.objects.filter(order=order).prefetch_related(
        "lines__order_line__product", latest_events
    ):
        views.append(
            ShipmentView(
                sequence=shipment.sequence,
                carrier=shipment.carrier,
                method=str(shipment.get_method_display()),
                tracking_number=shipment.tracking_number,
                eta=shipment.eta,
                shipped_at=shipment.shipped_at,
                lines=[
                    (sl.order_line.product.name, sl.quantity, sl.order_line.unit)
                    for sl in shipment.lines.all()
                ],
                events=[
                    TrackingEventView(
                        status=event.status,
                        label=str(event.get_status_display()),
                        occurred_at=event.occurred_at,
                        location=event.location,
                        description=event.description,
                    )
                    for event in shipment.latest_events  # type: ignore[attr-defined]
                ],
            )
        )
    return views


def tracking(order: Order, *, company: CustomerPortalSettings | None = None) -> Tracking:
    """The tracking page's data for ``order`` (what the customer may see)."""
    from customer_portal.models import ConfirmationKind, CustomerConfirmation
    from customer_portal.services import confirmation_of

    company = company or CustomerPortalSettings.current()
    stage = customer_stage(order)
    cancelled = stage is CANCELLED
    stages = [
        (s, "done" if s.index < stage.index else "current" if s.index == stage.index else "todo")
        for s in STAGES
    ]
    fulfillment = _fulfillment(order)
    percent, progress = _progress(order)
    if order.status == OrderStatus.READY_TO_SHIP:
        percent = 100
    confirmation = confirmation_of(order)
    change = (
        CustomerConfirmation.objects.filter(order=order, kind=ConfirmationKind.CHANGE_REQUESTED)
        .order_by("-created_at")
        .first()
    )
    needs = order.status in (OrderStatus.CONFIRMED, OrderStatus.SERVICE_SCHEDULED) and (
        confirmation is None
    )
    show_prices = company.show_prices
    return Tracking(
        order_number=order.number or "",
        customer_name=order.customer.name,
        contact_name=order.contact_name,
        order_date=order.order_date,
        status_code=order.status,
        stage=stage,
        stages=stages,
        cancelled=cancelled,
        requested_delivery_date=order.requested_delivery_date,
        promised_date=fulfillment.promised_date if fulfillment else None,
        delivery_address=order.delivery_address,
        special_requirements=order.special_requirements,
        payment_terms=str(order.get_payment_terms_display()) if order.payment_terms else "",
        lines=order_lines(order, show_prices=show_prices),
        show_prices=show_prices,
        total=order.total_amount if show_prices else None,
        progress_percent=percent,
        progress=progress,
        shipments=_shipments(order),
        open_offer=DeliveryRiskOffer.objects.filter(order=order, answered_at__isnull=True)
        .order_by("-created_at")
        .first(),
        needs_confirmation=needs,
        confirmed_at=confirmation.created_at if confirmation else None,
        confirmed_by=confirmation.signed_name if confirmation else "",
        change_requested_at=change.created_at
        if change and (confirmation is None or change.created_at > confirmation.created_at)
        else None,
    )
