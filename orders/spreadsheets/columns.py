"""The columns of the old order sheet, shared by the import and the export.

The export writes these headers and status words, so a file exported from the portal
imports back as "unchanged" (orders/spreadsheets/imports.py, exports.py).
"""

from __future__ import annotations

from dataclasses import dataclass

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

# The old sheet's status words and the portal status each stands for.
SHEET_STATUSES: dict[str, str] = {
    "待审核": OrderStatus.PENDING_REVIEW,
    "已审核": OrderStatus.CONFIRMED,
    "已发货": OrderStatus.SHIPPED,
    "运输中": OrderStatus.SHIPPED,
    "已送达": OrderStatus.DELIVERED,
    "已完成": OrderStatus.COMPLETED,
    "已取消": OrderStatus.CANCELLED,
}
# The word the export writes for a status (the first sheet word that maps to it).
STATUS_WORDS: dict[str, str] = {}
for _word, _status in SHEET_STATUSES.items():
    STATUS_WORDS.setdefault(_status, _word)
