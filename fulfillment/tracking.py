"""Tracking events a carrier or 3PL posts for a shipment (docs/api.md, "Shipments").

One action of the engine, ``shipment.track``: the order is locked first, then the
shipment; an archived order refuses it; only a holder of ``fulfillment.post_tracking``
(logistics, the data admin, an API client with one of these roles) may post.

* The carrier's ``external_id`` is unique per shipment: the same event posted again
  records nothing and answers the event recorded the first time (a carrier retries).
* Each new event is one row of the order's timeline (the status as a message, rendered
  in the reader's language; the carrier's own text is kept as data, in the details).
* A ``delivered`` event on a shipped order runs the order's delivery step
  (``fulfillment.deliver``, a nested action in the same transaction) when the poster may
  record deliveries; otherwise the event is recorded and logistics records the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.actions import Step, action, allowed, has_perm, perform
from core.errors import Invalid
from core.messages import Msg
from fulfillment.models import Shipment, ShipmentTrackingEvent, TrackingStatus
from orders.actions.orders import write_order_event
from orders.models import OrderStatus

MSG_STATUS = _("Choose picked_up, in_transit, out_for_delivery, delivered or exception.")
MSG_OCCURRED_AT = _("Give the moment of the event, with its time zone.")
MSG_OCCURRED_WHEN = _("Give a moment between the year 2000 and now.")
MSG_EXTERNAL_ID = _("Give the carrier's id of the event.")
MSG_TOO_LONG = _("Ensure this value has at most %(limit)s characters.")

# Clocks of carriers drift a little; more than an hour ahead is a wrong date.
FUTURE_SLACK = timedelta(hours=1)

may_post_tracking = has_perm("fulfillment.post_tracking")


@dataclass(frozen=True)
class TrackingResult:
    event: ShipmentTrackingEvent
    # False when the carrier's event id was recorded before (nothing new was written).
    created: bool
    # The order's delivery step ran with this event.
    delivered: bool = False


def _text(params: dict[str, Any], name: str, limit: int) -> str:
    value = params.get(name)
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        message = Msg(MSG_TOO_LONG, limit=limit)
        raise Invalid(message, fields={name: [str(message)]})
    return text


@action(
    "shipment.track",
    model=Shipment,
    root="order",
    predicate=may_post_tracking,
    event="note",
)
def track(step: Step[Any]) -> TrackingResult:
    """Record one tracking event of the shipment (see the module doc).

    Params: ``status`` (a :class:`TrackingStatus` value), ``occurred_at`` (an aware
    datetime), ``external_id``, ``location`` and ``description`` (optional)."""
    shipment: Shipment = step.obj
    order = step.root
    params = step.params
    external_id = _text(params, "external_id", 100)
    if not external_id:
        raise Invalid(MSG_EXTERNAL_ID, fields={"external_id": [str(MSG_EXTERNAL_ID)]})
    earlier = ShipmentTrackingEvent.objects.filter(
        shipment=shipment, external_id=external_id
    ).first()
    if earlier is not None:
        step.skip_event = True
        return TrackingResult(event=earlier, created=False)
    status = params.get("status")
    if status not in TrackingStatus.values:
        raise Invalid(MSG_STATUS, fields={"status": [str(MSG_STATUS)]})
    occurred_at = params.get("occurred_at")
    if not isinstance(occurred_at, datetime) or timezone.is_naive(occurred_at):
        raise Invalid(MSG_OCCURRED_AT, fields={"occurred_at": [str(MSG_OCCURRED_AT)]})
    if occurred_at.year < 2000 or occurred_at > timezone.now() + FUTURE_SLACK:
        raise Invalid(MSG_OCCURRED_WHEN, fields={"occurred_at": [str(MSG_OCCURRED_WHEN)]})
    event = ShipmentTrackingEvent.objects.create(
        shipment=shipment,
        occurred_at=occurred_at,
        status=status,
        location=_text(params, "location", 200),
        description=_text(params, "description", 500),
        external_id=external_id,
        recorded_by=step.actor,
    )
    label = TrackingStatus(status)
    step.event_action = "tracking"
    step.set_note(
        Msg(
            _("Shipment %(shipment)s: %(status)s at %(location)s."),
            shipment=str(shipment),
            status=label,
            location=event.location,
        )
        if event.location
        else Msg(_("Shipment %(shipment)s: %(status)s."), shipment=str(shipment), status=label)
    )
    step.payload = {
        "shipment": shipment.pk,
        "tracking_event": event.pk,
        "status": status,
        "external_id": external_id,
        "occurred_at": occurred_at.isoformat(),
        "description": event.description,
    }
    delivered = False
    if (
        status == TrackingStatus.DELIVERED
        and order.status == OrderStatus.SHIPPED
        and allowed("fulfillment.deliver", step.actor, order)
    ):
        # This row first, then the delivery's own (the timeline's order).
        write_order_event(step)
        step.skip_event = True
        perform(
            "fulfillment.deliver",
            actor=step.actor,
            obj=order,
            note=Msg(
                _("Delivered according to the carrier (%(carrier)s)."), carrier=shipment.carrier
            ),
        )
        delivered = True
    return TrackingResult(event=event, created=True, delivered=delivered)


def tracking_event_record(
    *,
    actor: Any,
    shipment: Shipment,
    status: str,
    occurred_at: datetime,
    external_id: str,
    location: str = "",
    description: str = "",
) -> TrackingResult:
    """Record a carrier's tracking event (the API's and the tests' way in)."""
    result: TrackingResult = perform(
        "shipment.track",
        actor=actor,
        obj=shipment,
        status=status,
        occurred_at=occurred_at,
        external_id=external_id,
        location=location,
        description=description,
    )
    return result
