"""The monthly review's key figures: complaints apart from acceptance issues, and a rate
with nothing to measure explained in words — the same on the page, in the PDF and the XLSX."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from aftersales.models import Acceptance, AcceptanceIssue, AftersalesTicket, FollowUpVisit
from orders.models import OrderEvent
from reports.selectors import monthly_report
from tests.factories import OrderFactory, UserFactory
from tests.pdf import pdf_text

SH = ZoneInfo("Asia/Shanghai")
APRIL = datetime(2026, 4, 8, 10, 0, tzinfo=SH)
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _ticket(order, user, source, n):
    return AftersalesTicket.objects.create(
        number=f"SH-T-{n}",
        order=order,
        source=source,
        kind="repair",
        description="x",
        owner=user,
        opened_by=user,
        opened_at=APRIL,
    )


@pytest.fixture
def april(db):
    """Four orders delivered and accepted in April 2026: three acceptances raised issues
    (each with its after-sales ticket), one customer later complained."""
    user = UserFactory()
    orders = [
        OrderFactory(
            owner=user,
            created_by=user,
            status="accepted",
            order_date=date(2026, 4, 1),
            requested_delivery_date=date(2026, 4, 30),
        )
        for _ in range(4)
    ]
    for n, order in enumerate(orders):
        OrderEvent.objects.create(
            order=order, kind="transition", to_status="delivered", created_at=APRIL
        )
        acceptance = Acceptance.objects.create(
            order=order,
            signer="李四",
            signed_on=APRIL.date(),
            recorded_by=user,
            recorded_at=APRIL,
        )
        if n < 3:
            issue = AcceptanceIssue.objects.create(
                acceptance=acceptance, issue_type="damaged_packaging", description="外箱破损"
            )
            ticket = _ticket(order, user, "acceptance", n)
            AftersalesTicket.objects.filter(pk=ticket.pk).update(issue=issue)
    _ticket(orders[3], user, "complaint", 9)
    FollowUpVisit.objects.create(
        order=orders[0],
        method="phone",
        visit_date=APRIL.date(),
        person="李四",
        satisfaction=4,
        visited_by=user,
    )
    return orders


def _figures(report):
    return {f.key: f for f in report.key_figures}


def test_the_complaint_rate_counts_complaints_only(april):
    figures = _figures(monthly_report(year=2026, month=4))
    complaint = figures["complaint_rate"]
    # 1 complaint over 4 delivered orders — not the 4 tickets (100 %) it used to count.
    assert (complaint.part, complaint.whole, complaint.text) == (1, 4, "25.0%")
    issues = figures["acceptance_issue_rate"]
    assert (issues.part, issues.whole, issues.text) == (3, 4, "75.0%")
    assert figures["satisfaction"].text == "4.00"


def test_page_pdf_and_xlsx_show_the_same_figures(role_client, april):
    client = role_client("sales_manager")
    page = client.get("/reports/monthly/", {"month": "2026-04"}).content.decode()
    assert "投诉率" in page and "25.0%" in page and "（1 / 4）" in page
    assert "有问题的签收订单" in page and "75.0%" in page and "（3 / 4）" in page

    text = pdf_text(client.get("/reports/monthly.pdf", {"month": "2026-04"}).content)
    assert "25.0%" in text and "75.0%" in text

    book = load_workbook(BytesIO(client.get("/reports/monthly.xlsx", {"month": "2026-04"}).content))
    sheet = book["关键指标"]
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["投诉率"] == (25.0, "%", 1, 4)
    assert rows["有问题的签收订单"] == (75.0, "%", 3, 4)


def test_a_month_with_nothing_to_measure_says_why(role_client, db):
    client = role_client("sales_manager")
    page = client.get("/reports/monthly/", {"month": "2026-04"}).content.decode()
    assert "本月无已送达订单，无法计算" in page  # on-time and complaint rates
    assert "本月无已签收订单，无法计算" in page
    assert "本月无回访记录，无法计算" in page
    assert "0 / 0" not in page and "（0）" not in page

    text = pdf_text(client.get("/reports/monthly.pdf", {"month": "2026-04"}).content)
    assert "本月无已签收订单，无法计算" in text.replace("\n", "")
    assert "0 / 0" not in text

    book = load_workbook(BytesIO(client.get("/reports/monthly.xlsx", {"month": "2026-04"}).content))
    rows = {row[0]: row[1:] for row in book["关键指标"].iter_rows(min_row=2, values_only=True)}
    assert rows["投诉率"] == ("本月无已送达订单，无法计算", "%", None, None)
    assert rows["有问题的签收订单"][0] == "本月无已签收订单，无法计算"

    english = client.get("/reports/monthly/", {"month": "2026-04"}, **ENGLISH).content.decode()
    assert "No orders were accepted this month; cannot be calculated." in english
    assert "（" not in english.split('data-section="kpis"')[1].split("</table>")[0]
