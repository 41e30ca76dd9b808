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
