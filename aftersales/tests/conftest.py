"""Fixtures of the after-sales tests: a delivered order, the people around it, real files."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, UserFactory


def carton_jpeg(width: int = 640, height: int = 480) -> bytes:
    """A recognisable photo: a brown carton with a dark tear across it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (225, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([120, 110, 520, 400], fill=(181, 131, 80), outline=(90, 60, 30), width=6)
    draw.line([150, 140, 330, 260, 250, 330, 480, 380], fill=(40, 25, 10), width=14)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def photo_upload():
    def _make(name: str = "carton.jpg") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, carton_jpeg(), content_type="image/jpeg")

    return _make


@pytest.fixture
def receipt_upload():
    def _make(name: str = "签收单.pdf") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")

    return _make


@pytest.fixture
def people(db):
    return {
        "am": UserFactory(
            username="am", last_name="孙", first_name="客", roles=["account_manager"]
        ),
        "as": UserFactory(username="as", last_name="吴", first_name="涛", roles=["aftersales"]),
        "boss": UserFactory(
            username="boss", last_name="李", first_name="强", roles=["sales_manager"]
        ),
        "wl": UserFactory(username="wl", roles=["logistics"]),
    }


@pytest.fixture
def delivered_order(people):
    order = OrderFactory(
        status="delivered",
        number="202405-001",
        customer__name="科技有限公司",
        customer__account_manager=people["am"],
        contact_name="李先生",
    )
    server = ProductFactory(code="S-001", name="服务器A型", spec="S-001")
    fan = ProductFactory(code="F-002", name="风扇组件", spec="F-002", list_price=Decimal("100"))
    order.test_lines = [
        OrderLineFactory(order=order, product=server, quantity=Decimal("10")),
        OrderLineFactory(order=order, product=fan, quantity=Decimal("4")),
    ]
    return order


def replace_and_deliver(people, ticket, order_line, *, item="外箱", quantity=Decimal("1")):
    """After-sales answers with a replacement of ``quantity`` × ``item`` of ``order_line``;
    logistics ships it and the account manager confirms the customer received it."""
    from datetime import timedelta

    from django.utils import timezone

    from aftersales import services

    services.ticket_respond(
        actor=people["as"],
        ticket=ticket,
        text="安排换货",
        kind="replacement",
        replacement_line=order_line,
        replacement_quantity=quantity,
        replacement_item=item,
    )
    replacement = ticket.replacements.get(status="planned")
    services.replacement_ship(
        actor=people["wl"],
        replacement=replacement,
        carrier="顺丰速运",
        tracking_number="SF1",
        eta=timezone.localdate() + timedelta(days=2),
    )
    services.replacement_arrive(
        actor=people["am"],
        replacement=replacement,
        received_on=timezone.localdate(),
        received_by="李先生",
    )
    replacement.refresh_from_db()
    return replacement
