"""Export of orders and products as xlsx / csv, in the columns of the old order sheet.

The orders are written in :data:`~orders.spreadsheets.columns.COLUMNS`, so a file
exported from the portal imports back as "unchanged": statuses as the Chinese pages name
them (``status_word``), drafts under their reference "草稿 #42" (``draft_reference``), an
order without lines as one row without line cells. Every text cell that a
spreadsheet program would read as a formula is neutralised with a leading quote;
prices and phones are left out for users who may not see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from core.people import person_name
from core.spreadsheets import neutralise, write_csv, write_xlsx
from orders.models import Order, PaymentTerms, Product
from orders.spreadsheets.columns import COLUMNS, draft_reference, status_word


def export_order_rows(orders: Iterable[Order], *, user: Any) -> Iterator[list[Any]]:
    """One row per order line, in COLUMNS order; prices and phones only for users who may see them."""
    show_prices = user.has_perm("orders.view_prices")
    show_phones = user.has_perm("customers.view_contact_details")
    for order in orders:
        header = {
            "number": order.number or draft_reference(order.pk),
            "customer": order.customer.name,
            "contact": order.contact_name,
            "phone": order.contact_phone if show_phones else "",
            "order_date": order.order_date,
            "payment": (
                order.payment_note
                if order.payment_terms == PaymentTerms.OTHER and order.payment_note
                else (str(order.get_payment_terms_display()) if order.payment_terms else "")
            ),
            "address": order.delivery_address,
            "delivery_date": order.requested_delivery_date,
            "owner": person_name(order.owner),
            "note": order.special_requirements,
            "status": status_word(order.status),
            "channel": str(order.get_source_channel_display()),
            "customer_code": order.customer.code,
            "credit_code": order.customer.credit_code or "",
        }
        lines = list(order.lines.all())
        if not lines:
            # An order without lines (a draft just begun) still gets its row: the import
            # reads it back as the same draft (orders/spreadsheets/imports.py).
            yield [neutralise(header.get(column.key, "")) for column in COLUMNS]
        for line in lines:
            cells = {
                **header,
                "product": line.product.name,
                "spec": line.spec,
                "quantity": line.quantity,
                "unit_price": line.unit_price if show_prices else "",
                "amount": line.amount if show_prices else "",
                "discount": line.discount_percent if show_prices else "",
                "product_code": line.product.code,
            }
            yield [neutralise(cells.get(column.key, "")) for column in COLUMNS]


def export_queryset(qs: Any) -> Any:
    return (
        qs.select_related("customer", "owner")
        .prefetch_related("lines__product")
        .order_by("number", "pk")
    )


PRODUCT_HEADERS = ["产品编码", "产品/服务名称", "规格型号", "单位", "单价(元)", "类型", "在售"]


def product_rows(products: Iterable[Product], *, user: Any) -> Iterator[list[Any]]:
    show_prices = user.has_perm("orders.view_prices")
    for product in products:
        row = [
            product.code,
            product.name,
            product.spec,
            product.unit,
            product.list_price if show_prices else "",
            str(product.get_kind_display()),
            "是" if product.is_active else "否",
        ]
        yield [neutralise(value) for value in row]


def export_products(qs: QuerySet[Product], *, user: Any, fmt: str) -> bytes:
    rows = product_rows(qs.order_by("code").iterator(chunk_size=1000), user=user)
    if fmt == "csv":
        return write_csv(PRODUCT_HEADERS, rows)
    return write_xlsx(PRODUCT_HEADERS, rows, title="产品")


def export_orders(qs: Any, *, user: Any, fmt: str) -> bytes:
    headers = [column.header for column in COLUMNS]
    rows = export_order_rows(export_queryset(qs).iterator(chunk_size=500), user=user)
    if fmt == "csv":
        return write_csv(headers, rows)
    return write_xlsx(headers, rows, title="订单")
