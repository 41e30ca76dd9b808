"""The monthly review report: every figure of a known month, checked against hand-computed values."""

import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from core.models import SlaClock
from fulfillment.models import ProgressEntry
from orders.models import Order, OrderEvent, OrderLine
from orders.services.orders import order_recalculate_total
from reports.selectors import dashboard, monthly_report
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, UserFactory
from tests.pdf import ARTIFACTS, pdf_font_families, pdf_fonts, pdf_text, pdf_to_png

SH = ZoneInfo("Asia/Shanghai")
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=SH)


def make_order(customer, owner, *, lines, status, order_date, requested, channel="phone"):
    order = OrderFactory(
        customer=customer,
        owner=owner,
        created_by=owner,
        status=status,
        order_date=order_date,
        requested_delivery_date=requested,
        source_channel=channel,
        number=f"T{Order.objects.count() + 1:04d}",
    )
    for product, quantity, price in lines:
        OrderLine.objects.create(order=order, product=product, quantity=quantity, unit_price=price)
    order_recalculate_total(order=order)
    return order


def events(order, start, **hours):
    """Transitions at ``start`` + hours, e.g. pending_approval=2, confirmed=5."""
    Order.objects.filter(pk=order.pk).update(created_at=start)
    for status, after in hours.items():
        OrderEvent.objects.create(
            order=order,
            kind="transition",
            to_status=status,
            created_at=start + timedelta(hours=after),
        )


@pytest.fixture
def march(db):
    u1 = UserFactory(username="owner1", last_name="王", first_name="丽")
    u2 = UserFactory(username="owner2", last_name="陈", first_name="静")
    a = CustomerFactory(name="甲公司", region="north")
    b = CustomerFactory(name="乙公司", region="east")
    c = CustomerFactory(name="丙公司", region="east")
    p1 = ProductFactory(code="P1", name="产品一")
    p2 = ProductFactory(code="P2", name="产品二")
    o1 = make_order(
        a,
        u1,
        lines=[(p1, 2, 500)],
        status="accepted",
        order_date=date(2026, 3, 2),
        requested=date(2026, 3, 10),
    )
    o2 = make_order(
        b,
        u2,
        lines=[(p2, 1, 3000)],
        status="delivered",
        order_date=date(2026, 3, 3),
        requested=date(2026, 3, 12),
        channel="web",
    )
    o3 = make_order(
        c,
        u1,
        lines=[(p1, 4, 500)],
        status="confirmed",
        order_date=date(2026, 3, 5),
        requested=date(2026, 3, 20),
    )
    make_order(
        a,
        u1,
        lines=[(p2, 1, 500)],
        status="cancelled",
        order_date=date(2026, 3, 6),
        requested=date(2026, 3, 25),
    )
    make_order(
        a,
        u1,
        lines=[(p2, 9, 900)],
        status="draft",
        order_date=date(2026, 3, 7),
        requested=date(2026, 3, 25),
    )
    make_order(
        a,
        u1,
        lines=[(p1, 1, 700)],
        status="completed",
        order_date=date(2026, 2, 10),
        requested=date(2026, 2, 20),
    )
    make_order(
        b,
        u2,
        lines=[(p1, 1, 400)],
        status="completed",
        order_date=date(2025, 3, 10),
        requested=date(2025, 3, 20),
    )
    first = o1
    events(o1, MARCH, pending_approval=2, confirmed=5, shipped=26, delivered=170, accepted=50)
    OrderEvent.objects.filter(order=o1, to_status="delivered").update(
        created_at=datetime(2026, 3, 9, 15, 0, tzinfo=SH)
    )
    events(o2, MARCH, pending_approval=4, confirmed=6, shipped=30)
    OrderEvent.objects.create(
        order=o2,
        kind="transition",
        to_status="delivered",
        created_at=datetime(2026, 3, 15, 11, 0, tzinfo=SH),
    )
    events(o3, MARCH, pending_approval=1, confirmed=2)
    ProgressEntry.objects.create(
        order=o2,
        stage="production",
        problem="原材料短缺",
        recorded_by=u2,
        owner=u2,
        planned_end=date(2026, 3, 10),
    )
    order_type = ContentType.objects.get_for_model(Order)
    for met_after in (1, 3):  # due 2 hours after the start: one met in time, one late
        SlaClock.objects.create(
            content_type=order_type,
            object_id=o1.pk,
            kind="clarification",
            owner=u1,
            started_at=MARCH,
            due_at=MARCH + timedelta(hours=2),
            warn_at=MARCH + timedelta(hours=1),
            met_at=MARCH + timedelta(hours=met_after),
        )
        o1 = o3  # the second clock watches another order (one open clock per object and kind)
    return {"o1": first, "o2": o2, "o3": o3}


def test_every_figure_of_a_known_month(march):
    report = monthly_report(year=2026, month=3)
    assert (report.totals.orders, report.totals.amount) == (3, Decimal("6000.00"))
    assert (report.totals.cancelled, report.totals.customers) == (1, 3)
    assert (report.previous.orders, report.previous.amount) == (1, Decimal("700.00"))
    assert (report.last_year.orders, report.last_year.amount) == (1, Decimal("400.00"))
    assert report.totals.change(report.previous) == {
        "orders": Decimal("200.0"),
        "amount": Decimal("757.1"),
    }

    assert [(r["customer__name"], r["amount"]) for r in report.by_customer] == [
        ("乙公司", Decimal("3000.00")),
        ("丙公司", Decimal("2000.00")),
        ("甲公司", Decimal("1000.00")),
    ]
    assert [(r["customer__region"], r["orders"], r["amount"]) for r in report.by_region] == [
        ("east", 2, Decimal("5000.00")),
        ("north", 1, Decimal("1000.00")),
    ]
    assert [(r["source_channel"], r["orders"]) for r in report.by_channel] == [
        ("phone", 2),
        ("web", 1),
    ]
    assert [
        (r["product__code"], r["quantity"], r["amount"], r["orders"]) for r in report.by_product
    ] == [
        ("P1", Decimal("6.00"), Decimal("3000.00"), 2),
        ("P2", Decimal("1.00"), Decimal("3000.00"), 1),
    ]
    assert [(r["name"], r["orders"]) for r in report.by_owner] == [("王丽", 2), ("陈静", 1)]

    assert report.on_time == {"delivered": 2, "on_time": 1, "rate": Decimal("50.0")}
    assert [(r["number"], r["days_late"], r["reason"]) for r in report.late_orders] == [
        (march["o3"].number, 11, ""),
        (march["o2"].number, 3, "原材料短缺"),
    ]
    assert report.fulfillment == {"due": 3, "shipped": 2, "rate": Decimal("66.7")}
    assert report.repeat == {
        "customers": 3,
        "orders": 4,
        "repeat": 2,
        "rate": Decimal("66.7"),
        "orders_per_customer": Decimal("1.33"),
    }

    stages = [(s["avg_hours"], s["median_hours"], s["orders"]) for s in report.stages]
    assert stages == [
        (2.3, 2.0, 3),
        (2.0, 2.0, 3),
        (22.5, 22.5, 2),
        (24.0, 24.0, 1),
        (None, None, 0),
    ]
    clarification = next(c for c in report.clocks if c["key"] == "clarification")
    assert (clarification["total"], clarification["in_time"], clarification["rate"]) == (
        2,
        1,
        Decimal("50.0"),
    )
    trend = {row["label"]: row["amount"] for row in report.trend}
    assert trend["2026-02"] == Decimal("700.00") and trend["2026-03"] == Decimal("6000.00")
    assert "2025-03" not in trend and len(trend) == 12


def test_report_page_pdf_and_xlsx(role_client, march):
    client = role_client("sales_manager")
    page = client.get("/reports/monthly/", {"month": "2026-03"}).content.decode()
    assert 'data-figure="on_time"' in page and "50.0%" in page and "原材料短缺" in page
    assert "<svg" in page

    pdf = client.get("/reports/monthly.pdf", {"month": "2026-03"}).content
    text = pdf_text(pdf)
    assert "订单复盘报告" in text and "乙公司" in text and "华东" in text  # a chart label
    assert pdf_font_families(pdf) == {"notosanscjksc"}, [f["name"] for f in pdf_fonts(pdf)]
    pdf_to_png(pdf, ARTIFACTS / "monthly-report.png")

    xlsx = client.get("/reports/monthly.xlsx", {"month": "2026-03"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(xlsx.content))
    assert book.worksheets[0]["B2"].value == 3


def test_only_managers_and_data_admins_see_the_report(role_client):
    assert role_client("sales_assistant").get("/reports/monthly/").status_code == 403
    assert role_client("warehouse").get("/reports/dashboard/").status_code == 403
    assert role_client("data_admin").get("/reports/monthly/").status_code == 200


def test_dashboard_numbers_drill_down_to_the_filtered_order_list(role_client, march):
    client = role_client("sales_manager")
    page = client.get("/reports/dashboard/", {"by": "region", "month": "2026-03"}).content.decode()
    assert "region=east" in page
    rows = dashboard(start=date(2026, 3, 1), end=date(2026, 3, 31), group="region")
    east = next(row for row in rows if row["customer__region"] == "east")
    # o2 delivered three days late, o3 not delivered yet.
    assert (east["orders"], east["delivered"], east["on_time"], east["on_time_rate"]) == (
        2,
        1,
        0,
        Decimal("0.0"),
    )
    orders = client.get(
        "/orders/", {"region": "east", "date_from": "2026-03-01", "date_to": "2026-03-31"}
    ).content.decode()
    assert march["o2"].number in orders and march["o3"].number in orders
    assert march["o1"].number not in orders


def test_a_busy_month_is_computed_without_a_query_per_order(
    role_client, django_assert_max_num_queries
):
    """20,000 orders in one month: the report's queries stay the same; the time is printed."""
    owner = UserFactory()
    customers = CustomerFactory.create_batch(50)
    product = ProductFactory()
    orders = Order.objects.bulk_create(
        Order(
            customer=customers[n % 50],
            owner=owner,
            created_by=owner,
            status="confirmed",
            order_date=date(2026, 5, 1 + n % 28),
            requested_delivery_date=date(2026, 5, 28),
            total_amount=Decimal("100.00"),
            number=f"B{n:06d}",
        )
        for n in range(20_000)
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product, quantity=1, unit_price=100) for order in orders
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, kind="transition", to_status="confirmed") for order in orders
    )
    # As autovacuum would after a big load: the planner needs statistics to pick hash joins.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order, orders_orderline, orders_orderevent")
    client = role_client("sales_manager")
    started = time.perf_counter()
    with django_assert_max_num_queries(31):  # +1: the online survey's figure
        response = client.get("/reports/monthly/", {"month": "2026-05"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert monthly_report(year=2026, month=5).totals.orders == 20_000
    print(f"\nmonthly report, 20,000 orders: {elapsed:.2f} s")
