"""Demo catalog: servers, network gear, spare parts and services (demo only)."""

from __future__ import annotations

from decimal import Decimal
from typing import TextIO

from orders.models import Product

# code, name, spec, unit, list price, kind
DEMO_PRODUCTS = [
    ("S-001", "服务器A型", "S-001 双路至强/128GB/4TB", "台", "5000.00", "goods"),
    ("S-002", "服务器B型", "S-002 四路至强/256GB/8TB", "台", "12800.00", "goods"),
    ("S-003", "边缘计算服务器", "S-003 单路/64GB/2TB", "台", "3600.00", "goods"),
    ("ST-100", "存储阵列", "ST-100 24盘位 192TB", "套", "38000.00", "goods"),
    ("SW-24", "千兆交换机", "SW-24 24口 千兆电口", "台", "1200.00", "goods"),
    ("SW-48", "万兆交换机", "SW-48 48口 万兆光口", "台", "8600.00", "goods"),
    ("FW-10", "防火墙", "FW-10 企业级 10Gbps", "台", "15000.00", "goods"),
    ("RT-05", "企业路由器", "RT-05 双WAN 千兆", "台", "2200.00", "goods"),
    ("UPS-3K", "不间断电源", "UPS-3K 3kVA 在线式", "台", "4200.00", "goods"),
    ("CAB-42", "机柜", "CAB-42 42U 600×1000", "个", "2600.00", "goods"),
    ("RAM-32", "内存条", "RAM-32 DDR5 32GB", "条", "680.00", "goods"),
    ("SSD-1T", "固态硬盘", "SSD-1T NVMe 1TB", "块", "520.00", "goods"),
    ("HDD-8T", "机械硬盘", "HDD-8T SATA 8TB 企业级", "块", "1350.00", "goods"),
    ("PSU-800", "服务器电源", "PSU-800 800W 冗余", "个", "760.00", "goods"),
    ("FAN-01", "服务器风扇", "FAN-01 热插拔", "个", "180.00", "goods"),
    ("CBL-CAT6", "六类网线", "CBL-CAT6 305米/箱", "箱", "450.00", "goods"),
    ("KVM-08", "KVM切换器", "KVM-08 8口", "台", "1900.00", "goods"),
    ("MON-27", "显示器", "MON-27 27英寸 2K", "台", "1500.00", "goods"),
    ("WS-01", "图形工作站", "WS-01 RTX 专业卡/64GB", "台", "18500.00", "goods"),
    ("NB-14", "商务笔记本", "NB-14 14英寸 i7/32GB", "台", "6800.00", "goods"),
    ("SV-INST", "上门安装服务", "标准机房安装调试", "次", "800.00", "service"),
    ("SV-MAINT", "年度维保服务", "7×24 响应 一年", "年", "6000.00", "service"),
    ("SV-TRAIN", "运维培训服务", "2天 现场培训", "次", "3000.00", "service"),
    ("SV-MIGR", "数据迁移服务", "按TB计费", "TB", "200.00", "service"),
    ("OLD-001", "旧款服务器", "OLD-001 已停产", "台", "3000.00", "goods"),
]


def load(stdout: TextIO) -> None:
    created = 0
    for code, name, spec, unit, price, kind in DEMO_PRODUCTS:
        _product, was_created = Product.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "spec": spec,
                "unit": unit,
                "list_price": Decimal(price),
                "kind": kind,
                "is_active": code != "OLD-001",
            },
        )
        created += was_created
    stdout.write(f"  demo products: {created}\n")
    load_orders(stdout)


def load_orders(stdout: TextIO) -> None:
    """A few orders in each early state, entered and reviewed through the real services."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from customers.models import Customer
    from orders.models import Order, OrderLine
    from orders.services import orders as services

    if Order.objects.exists():
        return
    users = {u.username: u for u in get_user_model().objects.all()}
    assistant, reviewer = users.get("assistant"), users.get("assistant2")
    manager, director = users.get("manager"), users.get("director")
    if not all([assistant, reviewer, manager, director]):
        return
    products = {p.code: p for p in Product.objects.all()}
    customers = list(Customer.objects.filter(qualification_status="qualified").order_by("code"))
    today = timezone.localdate()
    # (customer index, [(product code, quantity)], payment terms, how far it goes)
    plan = [
        (0, [("S-001", 10)], "deposit_30", "director"),
        (1, [("SW-24", 3), ("CBL-CAT6", 2)], "net_30", "confirmed"),
        (2, [("S-002", 2)], "net_30", "approval"),
        (3, [("UPS-3K", 1)], "prepaid", "needs_info"),
        (4, [("SSD-1T", 20), ("RAM-32", 8)], "net_30", "review"),
        (5, [("WS-01", 1)], "net_60", "review"),
        (6, [("SV-INST", 2)], "prepaid", "confirmed"),
        (7, [("MON-27", 5)], "on_delivery", "draft"),
    ]
    for index, lines, terms, stage in plan:
        customer = customers[index % len(customers)]
        contact = customer.contacts.first()
        address = customer.addresses.first()
        kind = "service" if lines[0][0].startswith("SV-") else "goods"
        order = Order.objects.create(
            customer=customer,
            kind=kind,
            owner=assistant,
            created_by=assistant,
            contact_name=contact.name if contact else "",
            contact_phone=contact.mobile if contact else "",
            requested_delivery_date=today + timedelta(days=15 + index),
            payment_terms=terms,
            delivery_address=address.address if address else "",
            source_channel="phone",
        )
        for position, (code, quantity) in enumerate(lines, start=1):
            product = products[code]
            OrderLine.objects.create(
                order=order,
                position=position,
                product=product,
                spec=product.spec,
                unit=product.unit,
                quantity=quantity,
                unit_price=product.list_price,
            )
        services.order_recalculate_total(order=order)
        if stage == "draft":
            continue
        services.order_submit(actor=assistant, order=order, confirm_duplicate=True)
        if stage == "review":
            continue
        if stage == "needs_info":
            services.order_request_info(actor=reviewer, order=order, reason="请与客户确认交付日期")
            continue
        services.order_pass_review(actor=reviewer, order=order, note="资料齐全")
        if stage == "approval":
            continue
        services.order_approve(actor=manager, order=order)
        if stage == "confirmed" and Order.objects.get(pk=order.pk).status == "pending_director":
            services.order_director_approve(actor=director, order=order)
    stdout.write(f"  demo orders: {Order.objects.count()}\n")
