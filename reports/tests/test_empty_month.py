"""Every figure of the monthly review counts the month's own orders: a month without any
says so, on the page and in the PDF, instead of showing other months' deliveries, deadlines
and channels. And the English report speaks English: no 万 in the charts, no full-width
colon or bracket in the headers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from aftersales.models import FollowUpVisit
from core.models import SlaClock
from orders.models import Order, OrderEvent, OrderLine
from orders.services.orders import order_recalculate_total
from reports.selectors import monthly_report
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, UserFactory
from tests.pdf import ARTIFACTS, pdf_text, pdf_to_png

SH = ZoneInfo("Asia/Shanghai")
DECEMBER = datetime(2026, 12, 2, 10, 0, tzinfo=SH)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def november(db):
    """Nine November orders (131,900 CNY in all) that live on into December: promised,
    delivered, visited and watched by a deadline there — but none was placed in December."""
    owner = UserFactory(username="nov_owner")
    product = ProductFactory(code="N1", name="服务器N型", list_price=Decimal("100"))
    orders = []
    for n in range(9):
        order = OrderFactory(
            customer=CustomerFactory(name=f"十一月客户{n}", region="north"),
            owner=owner,
            created_by=owner,
            status="delivered" if n < 2 else "confirmed",
            number=f"202611-{n + 1:03d}",
            order_date=date(2026, 11, 3),
            requested_delivery_date=date(2026, 12, 10),
            source_channel="web",
        )
        OrderLine.objects.create(
            order=order, product=product, quantity=Decimal("1"), unit_price=Decimal("14655.56")
        )
        order_recalculate_total(order=order)
        orders.append(order)
    for order in orders[:2]:
        OrderEvent.objects.create(
            order=order, kind="transition", to_status="delivered", created_at=DECEMBER
        )
    SlaClock.objects.create(
        content_type=ContentType.objects.get_for_model(Order),
        object_id=orders[0].pk,
        kind="clarification",
        owner=owner,
        started_at=DECEMBER,
        due_at=DECEMBER + timedelta(hours=2),
        warn_at=DECEMBER + timedelta(hours=1),
        met_at=DECEMBER + timedelta(hours=1),
    )
    FollowUpVisit.objects.create(
        order=orders[0],
        method="phone",
        visit_date=DECEMBER.date(),
        person="李四",
        satisfaction=5,
        visited_by=owner,
    )
    return orders


def test_a_month_without_orders_counts_nothing_of_other_months(november):
    report = monthly_report(year=2026, month=12)
    assert report.is_empty
    assert (report.totals.orders, report.totals.cancelled) == (0, 0)
    assert report.on_time["delivered"] == 0 and report.fulfillment["due"] == 0
    assert all(clock["total"] == 0 for clock in report.clocks)
    assert report.by_channel == [] and report.by_region == [] and report.late_orders == []
    assert all(stage["orders"] == 0 for stage in report.stages)
    assert not any(figure.measured for figure in report.key_figures)
    # The orders' own month counts what became of them, also in the following month.
    november_report = monthly_report(year=2026, month=11)
    assert not november_report.is_empty
    assert november_report.on_time == {"delivered": 2, "on_time": 2, "rate": Decimal("100.0")}
    clarification = next(c for c in november_report.clocks if c["key"] == "clarification")
    assert (clarification["total"], clarification["in_time"]) == (1, 1)


def test_the_empty_month_page_and_pdf_say_there_were_no_orders(role_client, november):
    client = role_client("sales_manager")
    page = client.get("/reports/monthly/", {"month": "2026-12"}, **EN).content.decode()
    assert 'data-testid="empty-month"' in page
    assert "No orders were placed in 2026-12." in page
    assert "2/9" not in page and "2 / 9" not in page and "22.2" not in page
    channel = page.split("Orders by source channel</title>")[1].split("</svg>")[0]
    assert "No orders this month." in channel and "100%" not in channel
    kpis = page.split('data-section="kpis"')[1].split("</table>")[0]
    assert "%" not in kpis  # every rate says in words that there is nothing to measure

    pdf = client.get("/reports/monthly.pdf", {"month": "2026-12"}, **EN).content
    text = " ".join(pdf_text(pdf).split())
    assert "No orders were placed in 2026-12." in text
    assert "No orders this month." in text and "(100%)" not in text
    pdf_to_png(pdf, ARTIFACTS / "monthly-report-empty-month.png")


def test_the_english_report_has_no_wan_and_no_full_width_punctuation(role_client, november):
    client = role_client("sales_manager")
    page = client.get("/reports/monthly/", {"month": "2026-11"}, **EN).content.decode()
    document = page.split('class="card report-doc"')[1]
    assert "131.9K" in document  # the region chart's label, in the reader's number words
    for mark in ("万", "亿", "：", "（", "）"):
        assert mark not in document, mark
    assert "Month: <b" in document

    text = pdf_text(client.get("/reports/monthly.pdf", {"month": "2026-11"}, **EN).content)
    for mark in ("万", "亿", "：", "（", "）"):
        assert mark not in text, mark

    chinese = client.get("/reports/monthly/", {"month": "2026-11"}).content.decode()
    assert "13.2万" in chinese and "月份：" in chinese


# CJK ideographs, CJK punctuation and full-width forms.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _without_data(text: str) -> str:
    """The report's text with the data's own names (customers, products, people, the
    company) taken out: what is left is the report's own words."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from core.people import person_name
    from customers.models import Customer
    from orders.models import Product

    names = [
        *Customer.objects.values_list("name", flat=True),
        *Product.objects.values_list("name", flat=True),
        *Product.objects.values_list("spec", flat=True),
        *(person_name(u) for u in get_user_model().objects.all()),
        settings.PORTAL_COMPANY,
    ]
    for name in sorted((n for n in names if n), key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def test_the_english_report_page_and_pdf_have_no_chinese_but_the_datas_names(role_client, november):
    client = role_client("sales_manager")
    page = client.get("/reports/monthly/", {"month": "2026-11"}, **EN).content.decode()
    document = re.sub(r"<[^>]+>", " ", page.split('class="card report-doc"')[1])
    pdf = pdf_text(client.get("/reports/monthly.pdf", {"month": "2026-11"}, **EN).content)
    for text in (document, pdf):
        left = CJK.findall(_without_data(text))
        assert not left, "".join(left)[:80]
    chinese = client.get("/reports/monthly/", {"month": "2026-11"}).content.decode()
    assert CJK.search(_without_data(chinese.split('class="card report-doc"')[1]))
