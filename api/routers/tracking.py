"""Tracking events of a shipment, posted by a carrier or a 3PL (fulfillment/tracking.py).

``POST /shipments/{id}/tracking-events`` records one event through the action
``shipment.track``: the carrier's ``external_id`` is recorded once per shipment (posting
it again answers the first event, 200, and writes nothing); a ``delivered`` event on a
shipped order records the order's delivery. ``Idempotency-Key`` works as on every POST
(api/gateway.py). ``GET`` lists a shipment's events, newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field, field_validator

from api.auth import require_scope
from api.pagination import as_utc, keyset_page
from api.problems import WRITE_ERRORS, responses
from api.routers.common import PageParams, Query, require_perm
from api.schemas import Out, Page
from fulfillment.models import Shipment, ShipmentTrackingEvent
from fulfillment.tracking import tracking_event_record

router = Router(tags=["Shipments"])

TrackingStatusCode = Literal[
    "picked_up", "in_transit", "out_for_delivery", "delivered", "exception"
]


class TrackingEventIn(Schema):
    status: TrackingStatusCode = Field(
        description="`delivered` on a shipped order records the order's delivery."
    )
    occurred_at: datetime = Field(description="When it happened, with its time zone.")
    external_id: str = Field(
        min_length=1,
        max_length=100,
        description="The carrier's id of the event; posted again, nothing new is recorded.",
    )
    location: str = Field("", max_length=200)
    description: str = Field("", max_length=500, description="The carrier's own text.")

    @field_validator("external_id", "location", "description")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value


class TrackingEventOut(Out):
    id: int
    shipment_id: int
    status: str
    occurred_at: datetime
    location: str
    description: str
    external_id: str
    created_at: datetime


class TrackingEventPage(Page):
    items: list[TrackingEventOut]


def _shipment(shipment_id: int) -> Shipment:
    return get_object_or_404(Shipment.objects.select_related("order"), pk=shipment_id)


@router.post(
    "/{int:shipment_id}/tracking-events",
    response={**responses(TrackingEventOut, 201, WRITE_ERRORS), 200: TrackingEventOut},
    summary="Record a carrier's tracking event (201; 200: this external_id was recorded before)",
)
def tracking_event_post(request: HttpRequest, shipment_id: int, body: TrackingEventIn) -> Any:
    require_scope(request, "write")
    shipment = _shipment(shipment_id)
    result = tracking_event_record(
        actor=request.user,
        shipment=shipment,
        status=body.status,
        occurred_at=as_utc(body.occurred_at, "occurred_at"),
        external_id=body.external_id.strip(),
        location=body.location,
        description=body.description,
    )
    return Status(201 if result.created else 200, TrackingEventOut.model_validate(result.event))


@router.get(
    "/{int:shipment_id}/tracking-events",
    response=responses(TrackingEventPage),
    summary="A shipment's tracking events, newest first",
)
def tracking_events_list(request: HttpRequest, shipment_id: int, params: Query[PageParams]) -> Any:
    require_perm(request, "fulfillment.view_shipment", "orders.view_order")
    shipment = _shipment(shipment_id)
    items, cursor = keyset_page(
        ShipmentTrackingEvent.objects.filter(shipment=shipment),
        cursor=params.cursor,
        limit=params.limit,
        newest="occurred_at",
    )
    return {"items": items, "next_cursor": cursor}
