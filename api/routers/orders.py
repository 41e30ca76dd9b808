"""Orders with their lines: read, create as a draft, update while editable, and every
workflow step as an action endpoint.

Each write builds the web's own forms (orders/forms/orders.py) from the JSON body and
calls the apps' services, i.e. ``core.actions.perform`` with the client's technical user:
the same states, predicates (four eyes included), effects, events and hooks as a person
on the order page. Nothing here decides whether a step is allowed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from api.concurrency import check_if_match, etag_of, locked
from api.pagination import keyset_page
from api.problems import WRITE_ERRORS, responses
from api.routers.common import ListParams, Query, require_perm
from api.schemas import (
    ApproveIn,
    NoteIn,
    OrderDetailOut,
    OrderIn,
    OrderPage,
    ReasonIn,
    SubmitIn,
)
from core.actions import allowed
from core.errors import Invalid
from orders.forms.orders import OrderForm, OrderLineFormSet
from orders.models import Order, OrderLine, OrderStatus
from orders.services import orders as services

router = Router(tags=["Orders"])

# The order's steps as the API names them → the action behind each (for ``actions``).
STEP_ACTIONS: dict[str, str] = {
    "update": "order.edit",
    "submit": "order.submit",
    "request-info": "order.request_info",
    "resubmit": "order.resubmit",
    "reject": "order.reject",
    "review": "order.pass_review",
    "approve": "order.approve",
    "director-approve": "order.director_approve",
    "return": "order.return",
    "credit-release": "order.credit_release",
    "cancel-request": "order.cancel_request",
    "cancel-approve": "order.cancel_approve",
    "cancel-decline": "order.cancel_decline",
    "confirm-stock": "fulfillment.confirm_stock",
    "schedule-service": "fulfillment.schedule_service",
    "ready": "fulfillment.ready",
    "ship": "fulfillment.dispatch",
    "deliver": "fulfillment.deliver",
    "accept": "aftersales.acceptance_record",
}

HEADER_FIELDS = (
    "kind",
    "contact_name",
    "contact_phone",
    "requested_delivery_date",
    "payment_terms",
    "payment_note",
    "delivery_address",
    "delivery_postcode",
    "special_requirements",
    "source_channel",
    "urgency",
)
LINE_FIELDS = ("product", "spec", "quantity", "unit", "unit_price", "discount_percent")


def _actor(request: HttpRequest) -> User:
    """The client's technical user (the gateway set it; ninja's auth required the key)."""
    return cast(User, request.user)


# --- reading ---------------------------------------------------------------------------------


def _shows_prices(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("orders.view_prices"))


def _list_row(order: Order, prices: bool) -> dict[str, Any]:
    row = {name: getattr(order, name) for name in _ORDER_FIELDS}
    row["total_amount"] = order.total_amount if prices else None
    return row


def _values_row(row: dict[str, Any], prices: bool) -> dict[str, Any]:
    if not prices:
        row["total_amount"] = None
    return row


_ORDER_FIELDS = (
    "id",
    "number",
    "kind",
    "status",
    "customer_id",
    "contact_name",
    "contact_phone",
    "order_date",
    "requested_delivery_date",
    "payment_terms",
    "payment_note",
    "delivery_address",
    "delivery_postcode",
    "special_requirements",
    "source_channel",
    "urgency",
    "owner_id",
    "created_by_id",
    "created_at",
    "updated_at",
)


def _detail(
    request: HttpRequest, order_id: int, response: HttpResponse | None = None
) -> dict[str, Any]:
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    order = get_object_or_404(Order.objects.prefetch_related(lines), pk=order_id)
    prices = _shows_prices(request)
    body = _list_row(order, prices)
    body["lines"] = [
        {
            "id": line.pk,
            "position": line.position,
            "product_id": line.product_id,
            "product_code": line.product.code,
            "spec": line.spec,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price if prices else None,
            "discount_percent": line.discount_percent if prices else None,
            "amount": line.amount if prices else None,
        }
        for line in order.lines.all()
    ]
    body["etag"] = etag_of(order)
    body["actions"] = [
        step for step, name in STEP_ACTIONS.items() if allowed(name, request.user, order)
    ]
    if response is not None:
        response["ETag"] = body["etag"]
    return body


class OrderListParams(ListParams):
    status: OrderStatus | None = Field(None, description="Only orders in this state.")
    customer_id: int | None = Field(None, gt=0, lt=2**63)


@router.get(
    "/", response=responses(OrderPage), summary="List orders (keyset; sync with updated_since)"
)
def orders_list(request: HttpRequest, params: Query[OrderListParams]) -> Any:
    require_perm(request, "orders.view_order")
    qs: QuerySet[Order] = Order.objects.all()
    if params.status:
        qs = qs.filter(status=params.status)
    if params.customer_id:
        qs = qs.filter(customer_id=params.customer_id)
    # Plain rows (no model instances): a page of 500 for a sync is read and written fast.
    items, cursor = keyset_page(
        qs.values(*_ORDER_FIELDS, "total_amount"),
        cursor=params.cursor,
        limit=params.limit,
        updated_since=params.updated_since,
    )
    prices = _shows_prices(request)
    return {"items": [_values_row(o, prices) for o in items], "next_cursor": cursor}


@router.get(
    "/{int:order_id}", response=responses(OrderDetailOut), summary="One order with its lines"
)
def order_get(request: HttpRequest, order_id: int, response: HttpResponse) -> Any:
    require_perm(request, "orders.view_order")
    return _detail(request, order_id, response)


# --- entry -----------------------------------------------------------------------------------


def _form_data(body: OrderIn, order: Order | None) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(body, name) for name in HEADER_FIELDS}
    data["requested_delivery_date"] = body.requested_delivery_date or ""
    data["order_date"] = body.order_date or (order.order_date if order else timezone.localdate())
    data["customer"] = body.customer_id
    data["owner"] = body.owner_id or (order.owner_id if order else "")
    existing = list(order.lines.all()) if order is not None else []
    rows: list[dict[str, Any]] = []
    for line in existing:  # the API replaces the lines: the saved ones are deleted
        rows.append(
            {
                "id": line.pk,
                "DELETE": "on",
                **{f: getattr(line, f"{f}_id" if f == "product" else f) for f in LINE_FIELDS},
            }
        )
    for line_in in body.lines:
        rows.append(
            {
                "product": line_in.product_id,
                "spec": line_in.spec,
                "quantity": line_in.quantity,
                "unit": line_in.unit,
                "unit_price": line_in.unit_price,
                "discount_percent": line_in.discount_percent,
            }
        )
    data.update(
        {
            "lines-TOTAL_FORMS": len(rows),
            "lines-INITIAL_FORMS": len(existing),
            "lines-MIN_NUM_FORMS": 0,
            "lines-MAX_NUM_FORMS": 1000,
        }
    )
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{index}-{name}"] = "" if value is None else value
    return data


def _invalid(form: Any, lines: Any) -> Invalid:
    fields: dict[str, list[str]] = {}
    for name, errors in form.errors.items():
        key = {"customer": "customer_id", "owner": "owner_id"}.get(name, name)
        fields[key] = [str(e) for e in errors]
    offset = lines.initial_form_count()
    for index, line_form in enumerate(lines.forms):
        for name, errors in line_form.errors.items():
            key = "product_id" if name == "product" else name
            fields[f"lines[{index - offset}].{key}"] = [str(e) for e in errors]
    for error in lines.non_form_errors():
        fields.setdefault("lines", []).append(str(error))
    return Invalid(fields=fields)


def _save(request: HttpRequest, body: OrderIn, order: Order | None) -> Order:
    data = _form_data(body, order)
    instance = order if order is not None else Order()
    form = OrderForm(data, instance=instance, user=request.user)
    lines = OrderLineFormSet(
        data, instance=instance, prefix="lines", show_prices=_shows_prices(request)
    )
    if not (form.is_valid() and lines.is_valid()):
        raise _invalid(form, lines)
    return services.order_save(actor=_actor(request), order=form.save(commit=False), lines=lines)


@router.post(
    "/", response=responses(OrderDetailOut, 201, WRITE_ERRORS), summary="Create a draft order"
)
def order_create(request: HttpRequest, body: OrderIn, response: HttpResponse) -> Any:
    require_perm(request, "orders.add_order")
    order = _save(request, body, None)
    response["Location"] = f"{request.path.rstrip('/')}/{order.pk}"
    return Status(201, _detail(request, order.pk, response))


@router.put(
    "/{int:order_id}",
    response=responses(OrderDetailOut, 200, WRITE_ERRORS),
    summary="Update an order while it is editable",
)
def order_update(request: HttpRequest, order_id: int, body: OrderIn, response: HttpResponse) -> Any:
    require_perm(request, "orders.view_order")
    order = locked(Order.objects, order_id)
    check_if_match(request, order)
    _save(request, body, order)
    return _detail(request, order_id, response)


# --- the steps -------------------------------------------------------------------------------


def _step(
    request: HttpRequest, order_id: int, response: HttpResponse, run: Callable[[Order], Any]
) -> dict[str, Any]:
    require_perm(request, "orders.view_order")
    order = locked(Order.objects, order_id)
    check_if_match(request, order)
    run(order)
    return _detail(request, order_id, response)


STEP = responses(OrderDetailOut, 200, WRITE_ERRORS)


@router.post("/{int:order_id}/submit", response=STEP, summary="Submit for preliminary review")
def order_submit(
    request: HttpRequest, order_id: int, body: SubmitIn, response: HttpResponse
) -> Any:
    return _step(
        request,
        order_id,
        response,
        lambda o: services.order_submit(
            actor=_actor(request), order=o, confirm_duplicate=body.confirm_duplicate
        ),
    )


@router.post("/{int:order_id}/approve", response=STEP, summary="Approve (sales manager)")
def order_approve(
    request: HttpRequest, order_id: int, body: ApproveIn, response: HttpResponse
) -> Any:
    return _step(
        request,
        order_id,
        response,
        lambda o: services.order_approve(
            actor=_actor(request), order=o, note=body.note, release_reason=body.release_reason
        ),
    )


# The steps that take one text (a note, or a reason the step requires): one table, so each
# endpoint is the page's service with the same words, and a new one is a row.
TEXT_STEPS: tuple[tuple[str, str, str, type[Schema] | None, str], ...] = (
    ("resubmit", "Back to review after the customer answered", "order_resubmit", None, ""),
    ("request-info", "Reviewer asks for information", "order_request_info", ReasonIn, "reason"),
    ("reject", "Reject in review", "order_reject", ReasonIn, "reason"),
    ("review", "Pass the preliminary review", "order_pass_review", NoteIn, "note"),
    (
        "director-approve",
        "Final approval (sales director)",
        "order_director_approve",
        NoteIn,
        "note",
    ),
    ("return", "Return to the creator", "order_return", ReasonIn, "reason"),
    ("credit-release", "Release a credit hold", "order_credit_release", ReasonIn, "reason"),
    ("cancel-request", "Ask to cancel", "order_cancel_request", ReasonIn, "reason"),
    ("cancel-approve", "Approve the cancellation", "order_cancel_approve", NoteIn, "note"),
    ("cancel-decline", "Decline the cancellation", "order_cancel_decline", ReasonIn, "note"),
    (
        "schedule-service",
        "Schedule a service order",
        "fulfillment:service_schedule",
        NoteIn,
        "note",
    ),
    ("ready", "Ready to ship (after QC)", "fulfillment:fulfillment_mark_ready", None, ""),
    ("deliver", "Record the delivery", "fulfillment:fulfillment_record_delivery", None, ""),
)


def _text_step(
    path: str, summary: str, service: str, schema: type[Schema] | None, keyword: str
) -> None:
    """One step endpoint: ``service`` is a function of the orders services, or
    ``fulfillment:<name>`` of fulfillment's; ``schema`` None = no body."""
    field = "reason" if schema is ReasonIn else "note"
    module, _sep, function = service.rpartition(":")

    def run(o: Order, request: HttpRequest, body: Any) -> Any:
        if module:
            from fulfillment import services as fulfillment_services

            call = getattr(fulfillment_services, function)
        else:
            call = getattr(services, function)
        text = {keyword: getattr(body, field)} if schema is not None else {}
        return call(actor=_actor(request), order=o, **text)

    def with_body(request: HttpRequest, order_id: int, body: Any, response: HttpResponse) -> Any:
        return _step(request, order_id, response, lambda o: run(o, request, body))

    def without_body(request: HttpRequest, order_id: int, response: HttpResponse) -> Any:
        return _step(request, order_id, response, lambda o: run(o, request, None))

    endpoint = with_body if schema is not None else without_body
    name = "order_" + path.replace("-", "_")
    endpoint.__name__ = endpoint.__qualname__ = name
    # django-ninja reads the body's type from the annotations (strings under PEP 563).
    endpoint.__annotations__ = {
        "request": HttpRequest,
        "order_id": int,
        "response": HttpResponse,
        "return": Any,
    }
    if schema is not None:
        endpoint.__annotations__["body"] = schema
    router.post(f"/{{int:order_id}}/{path}", response=STEP, summary=summary, operation_id=name)(
        endpoint
    )


for _row in TEXT_STEPS:
    _text_step(*_row)


# --- fulfillment and acceptance (the apps' own services) ------------------------------------


class LineStockIn(Schema):
    order_line_id: int = Field(gt=0, lt=2**63)
    stock_status: str = Field(max_length=20, description="in_stock, short or to_produce")


class ConfirmStockIn(Schema):
    lines: list[LineStockIn] = Field(max_length=200)
    deliverable_date: date | None = None
    note: str = Field("", max_length=2000)


@router.post("/{int:order_id}/confirm-stock", response=STEP, summary="Warehouse confirms stock")
def order_confirm_stock(
    request: HttpRequest, order_id: int, body: ConfirmStockIn, response: HttpResponse
) -> Any:
    from fulfillment.services import fulfillment_confirm_stock

    return _step(
        request,
        order_id,
        response,
        lambda o: fulfillment_confirm_stock(
            actor=_actor(request),
            order=o,
            line_statuses={line.order_line_id: line.stock_status for line in body.lines},
            deliverable_date=body.deliverable_date,
            note=body.note,
        ),
    )


class ShipLineIn(Schema):
    order_line_id: int = Field(gt=0, lt=2**63)
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)


class ShipIn(Schema):
    lines: list[ShipLineIn] = Field(max_length=200)
    carrier: str = Field(max_length=100)
    method: str = Field(max_length=20)
    tracking_number: str = Field("", max_length=100)
    eta: date
    note: str = Field("", max_length=2000)


@router.post("/{int:order_id}/ship", response=STEP, summary="Record a shipment (logistics)")
def order_ship(request: HttpRequest, order_id: int, body: ShipIn, response: HttpResponse) -> Any:
    from fulfillment.services import shipment_create

    return _step(
        request,
        order_id,
        response,
        lambda o: shipment_create(
            actor=_actor(request),
            order=o,
            quantities={line.order_line_id: line.quantity for line in body.lines},
            carrier=body.carrier,
            method=body.method,
            tracking_number=body.tracking_number,
            eta=body.eta,
            note=body.note,
        ),
    )


class AcceptLineIn(Schema):
    order_line_id: int = Field(gt=0, lt=2**63)
    result: str = Field(max_length=20)
    quantity: Decimal = Field(ge=0, max_digits=14, decimal_places=3)
    issue_type: str = Field("", max_length=20)
    description: str = Field("", max_length=2000)


class AcceptIn(Schema):
    signer: str = Field(min_length=1, max_length=50)
    signed_on: date
    receipt_name: str = Field("receipt.pdf", max_length=200)
    receipt_base64: str = Field(
        description="The signed receipt (PDF, JPEG or PNG), base64.", max_length=14_000_000
    )
    lines: list[AcceptLineIn] = Field(max_length=200)
    note: str = Field("", max_length=2000)


@router.post("/{int:order_id}/accept", response=STEP, summary="Record the customer's acceptance")
def order_accept(
    request: HttpRequest, order_id: int, body: AcceptIn, response: HttpResponse
) -> Any:
    from aftersales.actions import LineInput
    from aftersales.services import acceptance_record

    try:
        content = base64.b64decode(body.receipt_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(fields={"receipt_base64": ["not base64"]}) from None
    receipt = ContentFile(content, name=body.receipt_name or "receipt.pdf")
    lines = [
        LineInput(
            order_line_id=line.order_line_id,
            result=line.result,
            quantity=line.quantity,
            issue_type=line.issue_type,
            description=line.description,
        )
        for line in body.lines
    ]
    return _step(
        request,
        order_id,
        response,
        lambda o: acceptance_record(
            actor=_actor(request),
            order=o,
            signer=body.signer,
            signed_on=body.signed_on,
            receipt=receipt,
            lines=lines,
            note=body.note,
        ),
    )
