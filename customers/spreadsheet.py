"""Export of customers to xlsx / csv (core.spreadsheets' writers, like every export)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet

from core.people import person_name
from core.spreadsheets import neutralise, write_csv, write_xlsx
from customers.models import Address, Contact, Customer

CUSTOMER_HEADERS = [
    "客户编码",
    "客户名称",
    "统一社会信用代码",
    "地区",
    "行业",
    "资质状态",
    "信用额度(元)",
    "账期(天)",
    "客户经理",
    "联系人",
    "联系方式",
    "默认地址",
]


def customer_rows(customers: Iterable[Customer], *, user: Any) -> Iterator[list[Any]]:
    """Credit data and phone numbers only for users who may see them (docs/workflow.md §2)."""
    show_credit = user.has_perm("customers.view_credit")
    show_phones = user.has_perm("customers.view_contact_details")
    for customer in customers:
        contact = next(iter(customer.export_contacts), None)  # type: ignore[attr-defined]
        address = next(iter(customer.export_addresses), None)  # type: ignore[attr-defined]
        row = [
            customer.code,
            customer.name,
            customer.credit_code or "",
            str(customer.get_region_display()) if customer.region else "",
            str(customer.get_industry_display()) if customer.industry else "",
            str(customer.get_qualification_status_display()),
            customer.credit_limit if show_credit else "",
            customer.credit_term_days if show_credit else "",
            person_name(customer.account_manager),
            contact.name if contact else "",
            (contact.best_phone if contact and show_phones else ""),
            address.address if address else "",
        ]
        yield [neutralise(value) for value in row]


def export_customers(qs: QuerySet[Customer], *, user: Any, fmt: str) -> bytes:
    qs = (
        qs.select_related("account_manager")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_primary=True),
                to_attr="export_contacts",
            ),
            Prefetch(
                "addresses",
                queryset=Address.objects.filter(is_default=True),
                to_attr="export_addresses",
            ),
        )
        .order_by("code")
    )
    rows = customer_rows(qs.iterator(chunk_size=500), user=user)
    if fmt == "csv":
        return write_csv(CUSTOMER_HEADERS, rows)
    return write_xlsx(CUSTOMER_HEADERS, rows, title="客户")
