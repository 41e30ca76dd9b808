"""Fixtures of the receipt, survey and request tests: a delivered order with a customer
link, a signing certificate of the test's own (in a temporary folder), a drawn signature."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import pdfsign
from tests.factories import (
    ContactFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)

CUSTOMER_IP = "203.0.113.7"
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) pytest"


def signature_data_url(width: int = 600, height: int = 180) -> str:
    """A drawn signature as the canvas sends it: a PNG data URL with a few strokes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([30, 120, 90, 40, 140, 130, 200, 50, 260, 120], fill=(10, 10, 10, 255), width=6)
    draw.line([300, 60, 420, 60, 360, 150, 520, 110], fill=(10, 10, 10, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def blank_signature_data_url() -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (600, 180), (0, 0, 0, 0)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def carton_photo(name: str = "carton.jpg") -> SimpleUploadedFile:
    from aftersales.tests.conftest import carton_jpeg

    return SimpleUploadedFile(name, carton_jpeg(), content_type="image/jpeg")


@pytest.fixture
def signing_cert(tmp_path: Path, settings: Any) -> tuple[Path, Path]:
    """A self-signed certificate made for this test, named by the settings."""
    cert, key = tmp_path / "signing" / "cert.pem", tmp_path / "signing" / "key.pem"
    pdfsign.make_self_signed(
        cert, key, common_name="示例科技有限公司 测试签章", organization="示例科技有限公司"
    )
    settings.PDF_SIGNING_CERT = cert
    settings.PDF_SIGNING_KEY = key
    settings.PDF_SIGNING_CHAIN = []
    return cert, key


@pytest.fixture
def staff(db: Any) -> dict[str, Any]:
    return {
        "am": UserFactory(
            username="am", last_name="孙", first_name="客", roles=["account_manager"]
        ),
        "as": UserFactory(username="as", last_name="吴", first_name="涛", roles=["aftersales"]),
        "boss": UserFactory(
            username="boss", last_name="李", first_name="强", roles=["sales_manager"]
        ),
    }


def make_delivered_order(staff: dict[str, Any], number: str = "202611-101") -> Any:
    order = OrderFactory(
        status="delivered",
        number=number,
        customer__name="华东精密制造有限公司",
        customer__account_manager=staff["am"],
        contact_name="王收货",
        delivery_address="上海市浦东新区张江路 88 号 3 号门",
    )
    server = ProductFactory(name="工业服务器A型", spec="S-001-A")
    fan = ProductFactory(name="散热风扇组件", spec="F-002", list_price=Decimal("100"))
    order.test_lines = [
        OrderLineFactory(order=order, product=server, quantity=Decimal("2")),
        OrderLineFactory(order=order, product=fan, quantity=Decimal("4")),
    ]
    return order


def link_actor(order: Any, name: str = "王收货") -> Any:
    from customer_portal.access import LinkActor
    from customer_portal.services import link_create

    contact = ContactFactory(
        customer=order.customer, name=name, mobile="13900001111", is_primary=False
    )
    link = link_create(order, contact)
    return LinkActor(link, ip=CUSTOMER_IP, user_agent=PHONE_UA)


@pytest.fixture
def delivered(staff: dict[str, Any]) -> Any:
    return make_delivered_order(staff)


def sign_receipt(order: Any, actor: Any, *, damaged_photo: bool = True) -> Any:
    """The customer signs: the server OK, the fan with damaged packaging (and a photo)."""
    from customer_portal.actions.receipts import ReceiptLine, receipt_sign

    server, fan = order.test_lines
    return receipt_sign(
        actor=actor,
        order=order,
        signer="王收货",
        signature_data_url=signature_data_url(),
        lines=[
            ReceiptLine(order_line=server, ok=True),
            ReceiptLine(
                order_line=fan,
                ok=False,
                issue_type="damaged_packaging",
                note="外箱压坏，一台风扇外壳划伤",
                photos=[carton_photo()] if damaged_photo else [],
            ),
        ],
    )
