"""Helpers shared by the import / export tests: spreadsheets written by openpyxl."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CustomerFactory, ProductFactory

SHEET_HEADERS = [
    "订单编号",
    "客户名称",
    "联系人",
    "联系方式",
    "下单日期",
    "产品/服务名称",
    "规格型号",
    "数量",
    "单价(元)",
    "总金额(元)",
    "付款方式",
    "交付地址",
    "交付日期",
    "销售负责人",
    "备注",
]


def sheet_row(
    number: str = "202405-001",
    customer: str = "科技有限公司",
    quantity: Any = 10,
    price: Any = 5000,
    amount: Any = 50000,
    product: str = "服务器A型",
    spec: str = "S-001",
    phone: str = "13800138000",
    order_date: Any = "2024-05-10",
    delivery: Any = "2024-05-25",
    owner: str = "",
    note: str = "需定制logo",
) -> list[Any]:
    return [
        number,
        customer,
        "李先生",
        phone,
        order_date,
        product,
        spec,
        quantity,
        price,
        amount,
        "30%预付，余款到付",
        "北京市海淀区路1号",
        delivery,
        owner,
        note,
    ]


def xlsx_bytes(rows: list[list[Any]], headers: list[str] | None = None, title: str = "") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers or SHEET_HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: list[list[Any]], *, encoding: str = "utf-8", headers: list[str] | None = None
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers or SHEET_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(data: bytes, name: str = "orders.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def catalog() -> dict[str, Any]:
    """The customer and product of the old order sheet."""
    return {
        "customer": CustomerFactory(name="科技有限公司"),
        "product": ProductFactory(
            code="S-001", name="服务器A型", spec="S-001", unit="台", list_price=Decimal("5000")
        ),
    }
