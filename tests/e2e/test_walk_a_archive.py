"""Walk A step 9: the data admin archives the month; the order can no longer be
edited (a hand-made POST is refused as read-only: 409); the monthly review report counts it
(page and PDF)."""

from calendar import monthrange
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services.orders import order_recalculate_total
from tests.factories import PASSWORD, OrderFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_walk_a_step_9_archive_and_report(page, live_server, login, screenshot):
    assistant = UserFactory(username="li", roles=["sales_assistant"])
    UserFactory(username="zheng", roles=["data_admin"])
    UserFactory(username="boss", roles=["sales_manager"])
    today = timezone.localdate()
    order = OrderFactory(
        owner=assistant,
        created_by=assistant,
        status=OrderStatus.COMPLETED,
        number=f"{today:%Y%m}-001",
        order_date=today,
        requested_delivery_date=today + timedelta(days=15),
        customer__name="新客户科技有限公司",
    )
    OrderLine.objects.create(
        order=order,
        product=ProductFactory(name="服务器A型"),
        quantity=10,
        unit_price=Decimal("5000"),
    )
    order_recalculate_total(order=order)
    OrderEvent.objects.create(order=order, kind="transition", to_status="delivered")
    OrderEvent.objects.create(order=order, kind="transition", to_status="completed")

    login("zheng", PASSWORD)
    page.goto(f"{live_server.url}/reports/archive/")
    # The page offers the last full month; the walk's order is of this month.
    last = today.replace(day=1) - timedelta(days=1)
    expect(page.locator("#id_month")).to_have_value(f"{last:%Y-%m}")
    page.fill("#id_month", f"{today:%Y-%m}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator('[data-action="close-month"]').click()
    # This month has not ended: closing it needs the box ticked under what it does.
    warning = page.get_by_test_id("unfinished-month-warning")
    last_day = today.replace(day=monthrange(today.year, today.month)[1])
    expect(warning).to_contain_text(f"{today:%Y-%m}")
    expect(warning).to_contain_text(f"{last_day:%Y-%m-%d}")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    screenshot("walk-a-9-archive-confirm")
    page.check("#id_confirm_unfinished")
    page.locator('[data-action="close-month"]').click()
    expect(page.locator(".alert-success")).to_contain_text("1")
    screenshot("walk-a-9-archive")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ARCHIVED

    page.context.clear_cookies()
    login("li", PASSWORD)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.get_by_test_id("order-status")).to_have_text("已归档")
    expect(page.get_by_role("link", name="编辑")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/orders/{order.pk}/edit/",
        form={"action": "draft"},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url},
        max_redirects=0,
    )
    assert response.status == 409  # archived = read-only (core.errors.ReadOnly)

    page.context.clear_cookies()
    login("boss", PASSWORD)
    page.goto(f"{live_server.url}/reports/monthly/?month={today:%Y-%m}")
    expect(page.locator('[data-figure="orders"]')).to_have_text("1")
    expect(page.locator('[data-figure="amount"]')).to_have_text("¥50,000.00")
    expect(page.locator(".report-doc svg").first).to_be_visible()
    screenshot("walk-a-9-report")
    pdf = page.request.get(f"{live_server.url}/reports/monthly.pdf?month={today:%Y-%m}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
