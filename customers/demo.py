"""Demo customers: realistic Chinese companies with valid credit codes (demo only)."""

from __future__ import annotations

from decimal import Decimal
from typing import TextIO

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from core.validators import credit_code_check_char
from customers.models import Address, Contact, Customer, DocumentKind
from customers.services import customer_next_code, qualification_document_add

# A one-page PDF standing in for a scanned business licence (demo only).
DEMO_LICENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

# name, region, industry, city address, postcode, contact, mobile, credit limit, qualified
DEMO_CUSTOMERS = [
    (
        "北京华信科技有限公司",
        "north",
        "it",
        "北京市海淀区中关村大街1号",
        "100080",
        "李明",
        "13800138000",
        200000,
        True,
    ),
    (
        "上海东方贸易有限公司",
        "east",
        "trade",
        "上海市浦东新区世纪大道100号",
        "200120",
        "王芳",
        "13912345678",
        150000,
        True,
    ),
    (
        "深圳前海智能制造有限公司",
        "south",
        "manufacturing",
        "深圳市南山区科技园南路8号",
        "518057",
        "陈刚",
        "13711112222",
        300000,
        True,
    ),
    (
        "广州天河电子科技有限公司",
        "south",
        "it",
        "广州市天河区天河路385号",
        "510620",
        "林晓",
        "13622223333",
        80000,
        True,
    ),
    (
        "杭州西湖软件有限公司",
        "east",
        "it",
        "杭州市西湖区文三路90号",
        "310012",
        "赵磊",
        "13533334444",
        120000,
        True,
    ),
    (
        "南京金陵机械制造有限公司",
        "east",
        "manufacturing",
        "南京市江宁区胜太路66号",
        "211100",
        "孙伟",
        "13844445555",
        250000,
        True,
    ),
    (
        "武汉光谷信息技术有限公司",
        "central",
        "it",
        "武汉市东湖高新区光谷大道77号",
        "430074",
        "周杰",
        "13955556666",
        60000,
        True,
    ),
    (
        "成都天府云计算有限公司",
        "southwest",
        "it",
        "成都市高新区天府大道中段1268号",
        "610041",
        "吴倩",
        "13766667777",
        100000,
        True,
    ),
    (
        "重庆两江物流有限公司",
        "southwest",
        "logistics",
        "重庆市渝北区金开大道99号",
        "401120",
        "郑涛",
        "13677778888",
        50000,
        True,
    ),
    (
        "西安古城能源科技有限公司",
        "northwest",
        "energy",
        "西安市雁塔区科技路48号",
        "710075",
        "冯云",
        "13588889999",
        90000,
        True,
    ),
    (
        "沈阳北方重工设备有限公司",
        "northeast",
        "manufacturing",
        "沈阳市铁西区北二中路6号",
        "110021",
        "韩冰",
        "13899990000",
        180000,
        True,
    ),
    (
        "天津滨海港口服务有限公司",
        "north",
        "logistics",
        "天津市滨海新区港城大道18号",
        "300450",
        "曹阳",
        "13910101010",
        70000,
        True,
    ),
    (
        "苏州工业园区精密仪器有限公司",
        "east",
        "manufacturing",
        "苏州市工业园区星湖街328号",
        "215123",
        "蒋琳",
        "13720202020",
        160000,
        True,
    ),
    (
        "青岛海岸医疗器械有限公司",
        "east",
        "healthcare",
        "青岛市崂山区海尔路1号",
        "266061",
        "沈洁",
        "13630303030",
        110000,
        True,
    ),
    (
        "长沙湘江教育科技有限公司",
        "central",
        "education",
        "长沙市岳麓区麓谷大道627号",
        "410205",
        "韦东",
        "13540404040",
        40000,
        True,
    ),
    (
        "郑州中原建设工程有限公司",
        "central",
        "construction",
        "郑州市金水区花园路36号",
        "450008",
        "黄河",
        "13850505050",
        220000,
        True,
    ),
    (
        "厦门鹭岛进出口贸易有限公司",
        "east",
        "trade",
        "厦门市思明区湖滨南路57号",
        "361004",
        "许静",
        "13960606060",
        90000,
        True,
    ),
    (
        "合肥科大讯达信息有限公司",
        "east",
        "it",
        "合肥市高新区望江西路666号",
        "230088",
        "汪洋",
        "13770707070",
        75000,
        True,
    ),
    (
        "昆明滇池绿色能源有限公司",
        "southwest",
        "energy",
        "昆明市五华区人民中路20号",
        "650031",
        "杨帆",
        "13680808080",
        65000,
        True,
    ),
    (
        "哈尔滨冰城食品有限公司",
        "northeast",
        "manufacturing",
        "哈尔滨市南岗区红军街15号",
        "150001",
        "邓超",
        "13590909090",
        55000,
        True,
    ),
    (
        "济南泉城金融服务有限公司",
        "east",
        "finance",
        "济南市历下区泺源大街150号",
        "250011",
        "胡敏",
        "13811223344",
        130000,
        True,
    ),
    (
        "福州闽江政务信息中心",
        "east",
        "government",
        "福州市鼓楼区五四路158号",
        "350003",
        "林海",
        "13922334455",
        0,
        True,
    ),
    (
        "南宁绿城商贸有限公司",
        "south",
        "trade",
        "南宁市青秀区民族大道136号",
        "530022",
        "梁宇",
        "13733445566",
        45000,
        False,
    ),
    (
        "兰州西部新材料有限公司",
        "northwest",
        "manufacturing",
        "兰州市城关区庆阳路77号",
        "730030",
        "马骏",
        "13644556677",
        0,
        False,
    ),
    (
        "新客户科技有限公司",
        "north",
        "it",
        "北京市海淀区路1号",
        "100080",
        "李先生",
        "13800138001",
        0,
        False,
    ),
]


def demo_credit_code(index: int) -> str:
    """A credit code that passes the GB 32100 check digit (registration 9, type 1)."""
    first17 = f"91{110000 + index * 1000:06d}MA{index:07d}"[:17]
    first17 = first17.replace("I", "J").replace("O", "P")
    return first17 + credit_code_check_char(first17)


def load(stdout: TextIO) -> None:
    user_model = get_user_model()
    manager = user_model.objects.filter(username="account").first()
    creator = user_model.objects.filter(username="assistant").first()
    created = 0
    for index, row in enumerate(DEMO_CUSTOMERS, start=1):
        name, region, industry, address, postcode, contact, mobile, limit, qualified = row
        if Customer.objects.filter(name=name).exists():
            continue
        customer = Customer.objects.create(
            code=customer_next_code(),
            name=name,
            credit_code=demo_credit_code(index) if qualified else None,
            region=region,
            industry=industry,
            qualification_status="qualified" if qualified else "pending",
            credit_limit=Decimal(limit),
            credit_term_days=30 if limit else 0,
            account_manager=manager if index % 3 else None,
            created_by=creator,
        )
        Contact.objects.create(
            customer=customer,
            name=contact,
            title="采购经理",
            mobile=mobile,
            email=f"buyer{index}@example.cn",
            is_primary=True,
        )
        Address.objects.create(
            customer=customer, label="总部", address=address, postcode=postcode, is_default=True
        )
        if qualified and creator is not None:
            qualification_document_add(
                actor=creator,
                customer=customer,
                kind=DocumentKind.BUSINESS_LICENCE,
                upload=SimpleUploadedFile("营业执照.pdf", DEMO_LICENCE_PDF),
            )
        created += 1
    stdout.write(f"  demo customers: {created}\n")
