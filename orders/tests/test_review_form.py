"""The preliminary review form (初步审核表) as a page and a PDF (docs/workflow.md §7)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from orders.models import CustomerContactLog, Order, OrderEvent, OrderEventKind, OrderStatus
from orders.services.orders import order_recalculate_total
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.pdf import ARTIFACTS, pdf_font_families, pdf_fonts, pdf_text, pdf_to_png

pytestmark = pytest.mark.django_db

CUSTOMER = "上海远航精密机械有限公司"
PRODUCT = "数控车床"


@pytest.fixture
def reviewer(make_user):  # type: ignore[no-untyped-def]
    return make_user("sales_assistant", username="reviewer", last_name="周", first_name="敏")


@pytest.fixture
def order(make_user, reviewer) -> Order:  # type: ignore[no-untyped-def]
    """A reviewed order: two lines, one clarification call, a request for info then a pass."""
    creator = make_user("sales_assistant", username="creator", last_name="李", first_name="娜")
    order = OrderFactory(
        customer=CustomerFactory(name=CUSTOMER),
        owner=creator,
        created_by=creator,
        number="202611-001",
        status=OrderStatus.PENDING_APPROVAL,
        contact_name="王建国",
        special_requirements="木箱包装，需提供出厂检验报告。",
        payment_note="首付款到账后发货",
    )
    lathe = ProductFactory(
        name=PRODUCT, code="CK-6140", spec="CK6140 / 1000mm", list_price=Decimal("12000")
    )
    OrderLineFactory(
        order=order, product=lathe, quantity=Decimal("3"), discount_percent=Decimal("10")
    )
    OrderLineFactory(
        order=order,
        product=ProductFactory(
            name="刀架总成", code="TJ-01", unit="套", list_price=Decimal("850.50")
        ),
        quantity=Decimal("4"),
    )
    order_recalculate_total(order=order)  # 3 × 12000 × 0.9 + 4 × 850.50 = 35,802.00
    started = timezone.now() - timedelta(hours=3)
    OrderEvent.objects.create(
        order=order,
        kind=OrderEventKind.TRANSITION,
        action="request_info",
        from_status=OrderStatus.PENDING_REVIEW,
        to_status=OrderStatus.NEEDS_INFO,
        actor=reviewer,
        note="请确认交货地址。",
        created_at=started,
    )
    CustomerContactLog.objects.create(
        order=order,
        channel="phone",
        person="王建国",
        result="地址已确认：张江路88号",
        logged_by=creator,
        created_at=started + timedelta(hours=1),
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEventKind.TRANSITION,
        action="pass_review",
        from_status=OrderStatus.PENDING_REVIEW,
        to_status=OrderStatus.PENDING_APPROVAL,
        actor=reviewer,
        note="资料齐全，同意。",
        created_at=started + timedelta(hours=2),
    )
    return order


def _page(client, order: Order, **headers):  # type: ignore[no-untyped-def]
    return client.get(reverse("orders:review_form", args=[order.pk]), **headers)


def _pdf(client, order: Order):  # type: ignore[no-untyped-def]
    response = client.get(reverse("orders:review_form_pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response


class TestReviewFormPage:
    def test_it_shows_the_order_lines_and_contacts(self, role_client, order):
        html = _page(role_client("sales_manager"), order).content.decode()
        for text in (
            CUSTOMER,
            PRODUCT,
            "CK6140 / 1000mm",
            "202611-001",
            "王建国",
            "地址已确认",
            "¥35,802.00",
            "木箱包装",
        ):
            assert text in html

    def test_it_shows_the_latest_review_decision_with_reviewer_and_time(self, role_client, order):
        response = _page(role_client("sales_manager"), order, HTTP_ACCEPT_LANGUAGE="en")
        html = response.content.decode()
        assert "data-review-result>Review passed<" in html
        assert "周敏" in html
        assert "资料齐全，同意。" in html

    def test_an_order_not_reviewed_yet_says_so(self, role_client, make_user):
        order = OrderFactory(status=OrderStatus.PENDING_REVIEW, number="202611-002")
        response = _page(role_client("sales_manager"), order)
        assert response.status_code == 200
        assert response.context["review"] is None
        assert b"data-review-result" not in response.content

    def test_a_rejection_prints_as_rejected(self, role_client, reviewer):
        order = OrderFactory(status=OrderStatus.REJECTED, number="202611-003")
        OrderEvent.objects.create(
            order=order,
            kind=OrderEventKind.TRANSITION,
            action="reject",
            actor=reviewer,
            note="重复订单",
        )
        response = _page(role_client("sales_manager"), order, HTTP_ACCEPT_LANGUAGE="en")
        assert (
            b'class="result result-reject" data-review-result>Review rejected<' in response.content
        )

    def test_warehouse_sees_masked_prices(self, role_client, order):
        html = _page(role_client("warehouse"), order).content.decode()
        assert CUSTOMER in html and PRODUCT in html
        assert "35,802.00" not in html and "12,000.00" not in html
        assert 'class="masked"' in html

    def test_it_links_to_the_pdf(self, role_client, order):
        html = _page(role_client("warehouse"), order).content.decode()
        assert reverse("orders:review_form_pdf", args=[order.pk]) in html

    def test_anonymous_is_sent_to_login(self, client, order):
        response = _page(client, order)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_an_unknown_order_is_404(self, role_client):
        response = role_client("sales_manager").get(reverse("orders:review_form", args=[999999]))
        assert response.status_code == 404


class TestReviewFormPdf:
    def test_it_embeds_only_noto_sans_cjk_sc(self, role_client, order):
        pdf = _pdf(role_client("sales_manager"), order).content
        fonts = pdf_fonts(pdf)
        assert fonts
        # No fallback face (a Japanese CJK font, DejaVu) may sneak in: docs/decisions/0008-pdf-fonts.md.
        assert pdf_font_families(pdf) == {"notosanscjksc"}, [font["name"] for font in fonts]
        assert all(font["embedded"] == "yes" for font in fonts)

    def test_its_text_has_the_customer_the_products_and_the_total(self, role_client, order):
        text = pdf_text(_pdf(role_client("sales_manager"), order).content)
        for expected in (CUSTOMER, PRODUCT, "刀架总成", "202611-001", "35,802.00", "周敏"):
            assert expected in text

    def test_warehouse_gets_masked_prices_in_the_pdf_too(self, role_client, order):
        text = pdf_text(_pdf(role_client("warehouse"), order).content)
        assert CUSTOMER in text and PRODUCT in text
        assert "35,802.00" not in text and "12,000.00" not in text

    def test_it_downloads_under_a_chinese_file_name(self, role_client, order):
        response = _pdf(role_client("sales_manager"), order)
        with translation.override("zh-hans"):
            name = f"{gettext('Preliminary review form')}-202611-001.pdf"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote(name)}" in disposition
        # An ASCII fallback for clients that do not read filename* (RFC 6266).
        assert re.search(r'filename="[ -~]*202611-001\.pdf";', disposition)

    def test_page_one_renders_to_png(self, role_client, order):
        png = pdf_to_png(
            _pdf(role_client("sales_manager"), order).content, ARTIFACTS / "review-form.png"
        )
        assert png.stat().st_size > 10_000
