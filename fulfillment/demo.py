"""Demo warehouses, stock and allocation rules (demo only; run by ``manage.py load_demo``)."""

from __future__ import annotations

from decimal import Decimal
from typing import TextIO

from django.contrib.auth import get_user_model

from fulfillment.models import AllocationRule, MovementKind, StockLevel, StockMovement, Warehouse
from orders.models import Product

WAREHOUSES = [("BJ", "北京仓", "北京"), ("SH", "上海仓", "上海"), ("SZ", "深圳仓", "深圳")]

# Regions each warehouse serves (e.g. 华东区 → 上海仓 …); amount bands on top.
RULES = [
    # region, min, max, warehouse, priority
    ("north", "0", None, "BJ", 10),
    ("northeast", "0", None, "BJ", 10),
    ("northwest", "0", None, "BJ", 20),
    ("east", "0", None, "SH", 10),
    ("central", "0", None, "SH", 20),
    ("south", "0", None, "SZ", 10),
    ("southwest", "0", None, "SZ", 20),
    ("hmt", "0", None, "SZ", 20),
    ("", "0", None, "SH", 90),  # anything else: the central warehouse
]

# product code: (on hand per warehouse BJ, SH, SZ), safety stock
STOCK = {
    "S-001": ((6, 12, 4), 5),
    "S-002": ((3, 5, 2), 2),
    "S-003": ((8, 10, 6), 3),
    "ST-100": ((1, 2, 0), 1),
    "SW-24": ((40, 60, 30), 10),
    "SW-48": ((10, 15, 8), 4),
    "FW-10": ((4, 6, 3), 2),
    "RT-05": ((20, 25, 15), 5),
    "UPS-3K": ((8, 12, 6), 3),
    "CAB-42": ((10, 12, 8), 3),
    "RAM-32": ((100, 150, 80), 30),
    "SSD-1T": ((80, 120, 60), 20),
    "HDD-8T": ((50, 70, 40), 15),
    "PSU-800": ((20, 30, 15), 6),
    "FAN-01": ((60, 80, 40), 20),
    "CBL-CAT6": ((30, 40, 20), 8),
    "KVM-08": ((6, 8, 4), 2),
    "MON-27": ((15, 20, 12), 4),
    "WS-01": ((2, 3, 1), 1),
    "NB-14": ((10, 15, 8), 3),
}


def load(stdout: TextIO) -> None:
    users = get_user_model().objects
    keeper = users.filter(groups__name="warehouse").order_by("pk").first()
    warehouses = {}
    for code, name, city in WAREHOUSES:
        warehouses[code], _created = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "city": city, "manager": keeper}
        )
    rules = 0
    for region, low, high, code, priority in RULES:
        _rule, created = AllocationRule.objects.get_or_create(
            region=region,
            warehouse=warehouses[code],
            defaults={
                "min_amount": Decimal(low),
                "max_amount": Decimal(high) if high else None,
                "priority": priority,
                "responsible": keeper,
            },
        )
        rules += created
    levels = 0
    products = {p.code: p for p in Product.objects.filter(code__in=STOCK)}
    for code, (quantities, safety) in STOCK.items():
        product = products.get(code)
        if product is None:
            continue
        for warehouse_code, quantity in zip(("BJ", "SH", "SZ"), quantities, strict=True):
            level, created = StockLevel.objects.get_or_create(
                warehouse=warehouses[warehouse_code],
                product=product,
                defaults={"safety_stock": Decimal(safety)},
            )
            if created and quantity:
                # Opening stock goes through the ledger like every other change.
                StockLevel.objects.filter(pk=level.pk).update(on_hand=Decimal(quantity))
                StockMovement.objects.create(
                    stock=level,
                    kind=MovementKind.RECEIPT,
                    on_hand_delta=Decimal(quantity),
                    reason="期初库存",
                )
            levels += created
    stdout.write(
        f"  warehouses: {len(warehouses)}, allocation rules: {rules}, stock levels: {levels}\n"
    )
    # Demo orders are confirmed before the warehouses exist (orders load first):
    # allocate them now, as the approval's hook (fulfillment/actions.py) would have.
    from fulfillment.services import fulfillment_allocate
    from orders.models import Order, OrderStatus

    for order in Order.objects.filter(status=OrderStatus.CONFIRMED, kind="goods"):
        fulfillment_allocate(order=order)
