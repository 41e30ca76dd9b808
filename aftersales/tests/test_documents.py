"""The three documents as PDFs: only Noto Sans CJK SC, Chinese text, the photo on the page.

Each PDF is also rendered to PNG under test-artifacts/ to be looked at.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales import services
from aftersales.models import LineResult
from aftersales.tests.conftest import replace_and_deliver
from tests.pdf import ARTIFACTS, pdf_font_families, pdf_text, pdf_to_png

pytestmark = pytest.mark.django_db


def _has_photo(png_path) -> bool:
    """The carton's brown shows on the rendered page."""
    from PIL import Image

    with Image.open(png_path) as image:
        rgb = image.convert("RGB")
        pixels = list(rgb.get_flattened_data())
        brown = sum(1 for r, g, b in pixels if 150 < r < 210 and 105 < g < 160 and 55 < b < 110)
    return brown > 500


@pytest.fixture
def finished(people, delivered_order, receipt_upload, photo_upload):
    server, fan = delivered_order.test_lines
    services.acceptance_record(
        actor=people["am"],
        order=delivered_order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt_upload(),
        lines=[
            services.LineInput(
                server.pk,
                LineResult.EXCEPTIONS,
                Decimal("10"),
                issue_type="damaged_packaging",
                description="外箱破损一处，已拍照",
                photos=[photo_upload()],
            ),
            services.LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
        ],
    )
    ticket = delivered_order.aftersales_tickets.get()
    replace_and_deliver(people, ticket, server)
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="已更换外箱并补发")
    services.ticket_rate(actor=people["am"], ticket=ticket, rating=4, comment="处理及时")
    services.visit_log(
        actor=people["am"],
        order=delivered_order,
        method="phone",
        person="李先生",
        satisfaction=5,
        feedback="设备运行正常",
    )
    return delivered_order, ticket


@pytest.mark.parametrize(
    ("name", "url", "texts", "photo"),
    [
        ("issue-record", "aftersales:issue_record_pdf", ["科技有限公司", "外箱破损一处"], True),
        (
            "ticket-record",
            "aftersales:ticket_record_pdf",
            ["科技有限公司", "已更换外箱并补发"],
            True,
        ),
        ("visit-form", "aftersales:visit_form_pdf", ["科技有限公司", "设备运行正常"], False),
    ],
)
def test_each_pdf_prints_chinese_with_the_cjk_font_and_the_photo(
    client, people, finished, name, url, texts, photo
):
    order, ticket = finished
    client.force_login(people["am"])
    pk = ticket.pk if name == "ticket-record" else order.pk
    response = client.get(reverse(url, args=[pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf_font_families(pdf) == {"notosanscjksc"}
    text = pdf_text(pdf)
    for expected in texts:
        assert expected in text
    png = pdf_to_png(pdf, ARTIFACTS / f"aftersales-{name}.png")
    if photo:
        assert _has_photo(png), f"the photo does not show on {png}"


def test_document_pages_show_the_thumbnail(client, people, finished):
    order, ticket = finished
    client.force_login(people["am"])
    for url, pk in [
        ("aftersales:issue_record", order.pk),
        ("aftersales:ticket_record", ticket.pk),
        ("aftersales:visit_form", order.pk),
    ]:
        page = client.get(reverse(url, args=[pk]))
        assert page.status_code == 200
    page = client.get(reverse("aftersales:issue_record", args=[order.pk])).content.decode()
    assert "data-photo" in page
