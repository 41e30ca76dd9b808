"""Shapes of the API's bodies (pydantic, through ninja). Reads are explicit: a field is
in the document because it is listed here, never because a model grew one."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Out(BaseModel):
    """An answer's shape: plain pydantic (reads dicts and model attributes), several times
    faster than ninja's ``Schema`` on a page of 500 rows."""

    model_config = ConfigDict(from_attributes=True)


class Page(Out):
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page."
    )


# --- customers -------------------------------------------------------------------------


class ContactOut(Out):
    id: int
    name: str
    title: str
    mobile: str | None = Field(description="Null without access to contact details.")
    phone: str | None = Field(description="Null without access to contact details.")
    email: str | None = Field(description="Null without access to contact details.")
    is_primary: bool


class AddressOut(Out):
    id: int
    label: str
    address: str
    postcode: str
    is_default: bool


class CreditOut(Out):
    limit: Decimal
    term_days: int
    outstanding: Decimal
    overdue: Decimal
    available: Decimal
    collection_rate: Decimal | None = Field(
        None, description="Received / due over the last three months, in %; null: nothing due."
    )


class CustomerOut(Out):
    id: int
    code: str
    name: str
    credit_code: str
    region: str
    industry: str
    qualification_status: str
    credit_limit: Decimal | None = Field(description="Null without access to credit.")
    credit_term_days: int | None = Field(description="Null without access to credit.")
    is_active: bool
    account_manager_id: int | None
    created_at: datetime
    updated_at: datetime


class CustomerDetailOut(CustomerOut):
    contacts: list[ContactOut]
    addresses: list[AddressOut]
    credit: CreditOut | None = Field(description="Null without access to credit.")


class CustomerPage(Page):
    items: list[CustomerOut]


# --- products --------------------------------------------------------------------------


class ProductOut(Out):
    id: int
    code: str
    name: str
    spec: str
    unit: str
    list_price: Decimal
    kind: str
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductPage(Page):
    items: list[ProductOut]


# --- orders ----------------------------------------------------------------------------


class OrderLineOut(Out):
    id: int
    position: int
    product_id: int
    product_code: str
    spec: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None = Field(None, description="Null for a client without price access.")
    discount_percent: Decimal | None = None
    amount: Decimal | None = None


class OrderOut(Out):
    id: int
    number: str | None
    kind: str
    status: str
    customer_id: int
    contact_name: str
    contact_phone: str
    order_date: date
    requested_delivery_date: date | None
    payment_terms: str
    payment_note: str
    delivery_address: str
    delivery_postcode: str
    special_requirements: str
    source_channel: str
    urgency: str
    owner_id: int
    created_by_id: int
    total_amount: Decimal | None = Field(
        None, description="Null for a client without price access."
    )
    created_at: datetime
    updated_at: datetime


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    etag: str = Field(description="The ETag of this version; send it as If-Match.")
    actions: list[str] = Field(description="The steps this client may take on the order now.")


class OrderPage(Page):
    items: list[OrderOut]


class OrderLineIn(Schema):
    # Bounds are the entry form's (orders/forms/orders.py), with the web's messages.
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")
    spec: str = Field("", max_length=200)
    unit: str = Field("", max_length=20)


class OrderIn(Schema):
    customer_id: int = Field(gt=0, lt=2**63)
    kind: str = Field("goods", max_length=10)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    order_date: date | None = None
    requested_delivery_date: date | None = None
    payment_terms: str = Field("", max_length=20)
    payment_note: str = Field("", max_length=200)
    delivery_address: str = Field("", max_length=300)
    delivery_postcode: str = Field("", max_length=6)
    special_requirements: str = Field("", max_length=2000)
    source_channel: str = Field("web", max_length=20)
    urgency: str = Field("normal", max_length=10)
    owner_id: int | None = Field(None, gt=0, lt=2**63)
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=200)


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class SubmitIn(Schema):
    confirm_duplicate: bool = Field(
        False, description="Submit although a recent order of the customer has the same products."
    )


class ApproveIn(Schema):
    note: str = Field("", max_length=2000)
    release_reason: str = Field(
        "", max_length=2000, description="Release a failing credit check in the same step."
    )


# --- stock, shipments, tickets, payments ------------------------------------------------


class StockLevelOut(Out):
    id: int
    warehouse_id: int
    warehouse_code: str
    product_id: int
    product_code: str
    on_hand: Decimal
    reserved: Decimal
    in_transit: Decimal
    safety_stock: Decimal
    available: Decimal
    updated_at: datetime


class StockLevelPage(Page):
    items: list[StockLevelOut]


class ShipmentLineOut(Out):
    order_line_id: int
    quantity: Decimal


class ShipmentOut(Out):
    id: int
    order_id: int
    sequence: int
    warehouse_id: int | None
    carrier: str
    method: str
    tracking_number: str
    eta: date
    shipped_at: datetime
    customer_notified_at: datetime | None
    lines: list[ShipmentLineOut]


class ShipmentPage(Page):
    items: list[ShipmentOut]


class TicketOut(Out):
    id: int
    number: str
    order_id: int
    source: str
    kind: str
    status: str
    description: str
    customer_request: str
    owner_id: int | None
    opened_at: datetime
    first_response_at: datetime | None
    promised_date: date | None
    resolved_at: datetime | None


class TicketPage(Page):
    items: list[TicketOut]


class PaymentOut(Out):
    id: int
    customer_id: int
    invoice_number: str
    invoiced_amount: Decimal
    invoice_date: date
    due_date: date
    received_amount: Decimal
    received_date: date | None
    note: str


class PaymentPage(Page):
    items: list[PaymentOut]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class InSchema(Schema):
    """A request body: text with a NUL character is refused (PostgreSQL stores none)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data
