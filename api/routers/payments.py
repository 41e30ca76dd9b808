"""Customers' invoices and payments received (read; finance posts them through
api/routers/finance.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from pydantic import Field

from api.problems import responses
from api.routers.common import PageParams, Query, require_perm
from api.schemas import PaymentOut, PaymentPage
from core.errors import Invalid
from customers.models import PaymentRecord
from customers.selectors import customers_visible_to

router = Router(tags=["Payments"])


class PaymentParams(PageParams):
    customer_id: int | None = Field(None, gt=0, lt=2**63)


@router.get("/", response=responses(PaymentPage), summary="Payment records, newest first")
def payments_list(request: HttpRequest, params: Query[PaymentParams]) -> Any:
    require_perm(request, "customers.view_credit", "customers.view_paymentrecord")
    qs = PaymentRecord.objects.filter(customer__in=customers_visible_to(request.user))
    if params.customer_id:
        qs = qs.filter(customer_id=params.customer_id)
    if params.cursor:
        if not params.cursor.isdigit() or len(params.cursor) > 19:
            raise Invalid(fields={"cursor": ["not a cursor of this list"]})
        qs = qs.filter(pk__lt=int(params.cursor))
    items = list(qs.order_by("-pk")[: params.limit + 1])
    cursor = str(items[params.limit - 1].pk) if len(items) > params.limit else None
    return {"items": items[: params.limit], "next_cursor": cursor}


@router.get("/{int:payment_id}", response=responses(PaymentOut), summary="One payment record")
def payment_get(request: HttpRequest, payment_id: int) -> Any:
    require_perm(request, "customers.view_credit", "customers.view_paymentrecord")
    qs = PaymentRecord.objects.filter(customer__in=customers_visible_to(request.user))
    return get_object_or_404(qs, pk=payment_id)
