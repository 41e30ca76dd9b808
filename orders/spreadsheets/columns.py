"""The columns of the old order sheet, shared by the import and the export.

The export writes these headers, the status labels of the pages and draft references,
so a file exported from the portal imports back as "unchanged", whatever the status of
its orders (orders/spreadsheets/imports.py, exports.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from orders.models import OrderStatus


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the old sheet's header, written by the export
    english: str
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("number", "订单编号", "Order number", ("订单号", "order no"), required=True),
    Column("customer", "客户名称", "Customer", ("客户名称/编号", "customer name"), required=True),
    Column("contact", "联系人", "Contact", ("contact name",)),
    Column("phone", "联系方式", "Phone", ("联系电话", "contact phone")),
    Column("order_date", "下单日期", "Order date", ("订单日期",)),
    Column(
        "product",
        "产品/服务名称",
        "Product",
        ("产品名称", "商品名称", "商品/服务名称", "product name"),
        required=True,
    ),
    Column("spec", "规格型号", "Specification", ("规格", "型号", "spec", "model")),
    Column("quantity", "数量", "Quantity", ("qty",), required=True),
    Column("unit_price", "单价(元)", "Unit price", ("单价", "price"), required=True),
    Column("amount", "总金额(元)", "Amount", ("金额(元)", "金额", "总金额", "total")),
    Column("payment", "付款方式", "Payment terms", ("付款条件", "payment")),
    Column("address", "交付地址", "Delivery address", ("送货地址", "address")),
    Column(
        "delivery_date",
        "交付日期",
        "Delivery date",
        ("期望交付日期", "requested delivery date", "requested delivery"),
    ),
    Column("owner", "销售负责人", "Sales owner", ("负责人", "owner")),
    Column("note", "备注", "Note", ("客户特殊要求", "special requirements", "notes")),
    Column("status", "订单状态", "Status", ("order status",)),
    Column("channel", "订单来源", "Source channel", ("来源", "source")),
    Column("product_code", "产品编码", "Product code", ("产品编号",)),
    Column("customer_code", "客户编码", "Customer code", ("客户编号",)),
    Column(
        "credit_code",
        "统一社会信用代码",
        "Credit code",
        ("信用代码", "unified social credit code"),
    ),
    Column("discount", "折扣(%)", "Discount (%)", ("折扣", "discount")),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

# Words of the old sheet that are not a portal label, and the portal status each stands
# for. The portal's own labels (Chinese and English, e.g. 已确认 / Confirmed) and the
# status codes are read too (orders/spreadsheets/imports.py).
SHEET_STATUSES: dict[str, str] = {
    "待审核": OrderStatus.PENDING_REVIEW,
    "已审核": OrderStatus.CONFIRMED,
    "已发货": OrderStatus.SHIPPED,
    "运输中": OrderStatus.SHIPPED,
    "已送达": OrderStatus.DELIVERED,
    "已完成": OrderStatus.COMPLETED,
    "已取消": OrderStatus.CANCELLED,
}

# The sheet's language: the export writes status words as the Chinese pages show them.
SHEET_LANGUAGE = "zh-hans"


def status_word(status: str) -> str:
    """The word the export writes for a status: its label on the Chinese pages (已确认,
    待总监审批, 已归档 …), never a code; the import reads every label back."""
    with translation.override(SHEET_LANGUAGE):
        return str(OrderStatus(status).label)


# A draft has no number (docs/workflow.md §6: the number is given on submit). The export
# writes the draft's reference as the order page names it ("草稿 #42", the model's
# ``Order.__str__``) in the number column; the import reads it back as that same draft.
_DRAFT_REFERENCE = re.compile(r"^\s*(?:草稿|draft)\s*[#＃]\s*(\d{1,18})\s*$", re.IGNORECASE)


def draft_reference(pk: int) -> str:
    """What the number column holds for the draft ``pk``."""
    with translation.override(SHEET_LANGUAGE):
        return str(_("Draft #%(pk)s") % {"pk": pk})


def draft_pk(text: str) -> int | None:
    """The draft a number cell refers to ("草稿 #42" or "Draft #42"), else None."""
    match = _DRAFT_REFERENCE.match(text)
    return int(match[1]) if match else None
