"""Customers with their contacts, addresses and credit (read).

Confidential data follows the roles as on the pages (docs/workflow.md §2): credit only
with ``customers.view_credit``, phones and e-mail only with
``customers.view_contact_details``; without them those fields are null.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from api.pagination import keyset_page
from api.problems import responses
from api.routers.common import ListParams, Query, require_perm
from api.schemas import CustomerDetailOut, CustomerPage
from customers.models import Customer
from customers.selectors import credit_status, customer_list, customers_visible_to

router = Router(tags=["Customers"])

FIELDS = (
    "id",
    "code",
    "name",
    "credit_code",
    "region",
    "industry",
    "qualification_status",
    "is_active",
    "account_manager_id",
    "created_at",
    "updated_at",
)


def _row(customer: Customer, *, credit: bool) -> dict[str, Any]:
    row = {name: getattr(customer, name) for name in FIELDS}
    row["credit_limit"] = customer.credit_limit if credit else None
    row["credit_term_days"] = customer.credit_term_days if credit else None
    return row


@router.get("/", response=responses(CustomerPage), summary="List customers")
def customers_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    require_perm(request, "customers.view_customer")
    qs = customers_visible_to(request.user, customer_list(filters={}))
    items, cursor = keyset_page(
        qs, cursor=params.cursor, limit=params.limit, updated_since=params.updated_since
    )
    credit = request.user.has_perm("customers.view_credit")
    return {"items": [_row(c, credit=credit) for c in items], "next_cursor": cursor}


@router.get("/{int:customer_id}", response=responses(CustomerDetailOut), summary="One customer")
def customer_get(request: HttpRequest, customer_id: int) -> Any:
    require_perm(request, "customers.view_customer")
    qs = customers_visible_to(request.user).prefetch_related("contacts", "addresses")
    customer = get_object_or_404(qs, pk=customer_id)
    credit = request.user.has_perm("customers.view_credit")
    details = request.user.has_perm("customers.view_contact_details")
    body = _row(customer, credit=credit)
    body["contacts"] = [
        {
            "id": c.pk,
            "name": c.name,
            "title": c.title,
            "mobile": c.mobile if details else None,
            "phone": c.phone if details else None,
            "email": c.email if details else None,
            "is_primary": c.is_primary,
        }
        for c in customer.contacts.all()
    ]
    body["addresses"] = list(customer.addresses.all())
    body["credit"] = None
    if credit:
        status = credit_status(customer=customer)
        body["credit"] = {
            "limit": status.limit,
            "term_days": customer.credit_term_days,
            "outstanding": status.outstanding,
            "overdue": status.overdue,
            "available": status.available,
            "collection_rate": status.collection_rate,
        }
    return body
