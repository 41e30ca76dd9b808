"""Walk A steps 5–6: warehouse confirms "to be produced" with a later date
(negotiation flag), records progress, QC passes, the shipment preparation form is complete;
logistics ships; the day before the ETA the account manager and the customer are told."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Notification
from core.outbox import outbox_deliver
from core.services import sla_clocks_scan
from fulfillment import services
from fulfillment.models import AllocationRule, Warehouse
from orders.models import OrderStatus
from orders.services.orders import order_recalculate_total
from tests.factories import (
    PASSWORD,
    ContactFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)


def test_walk_a_steps_5_and_6(page, live_server, login, screenshot):
    li = UserFactory(username="li", last_name="王", first_name="丽", roles=["sales_assistant"])
    keeper = UserFactory(username="wh", last_name="赵", first_name="仓", roles=["warehouse"])
    UserFactory(username="wl", last_name="钱", first_name="运", roles=["logistics"])
    am = UserFactory(username="am", last_name="孙", first_name="客", roles=["account_manager"])
    UserFactory(username="boss", roles=["sales_manager"])
    beijing = Warehouse.objects.create(code="BJ", name="北京仓", city="北京", manager=keeper)
    AllocationRule.objects.create(region="north", warehouse=beijing, priority=10)
    server_a = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    requested = timezone.localdate() + timedelta(days=15)
    order = OrderFactory(
        owner=li,
        created_by=li,
        status="confirmed",
        number=f"{timezone.localdate():%Y%m}-001",
        contact_name="李先生",
        requested_delivery_date=requested,
        customer__name="新客户科技有限公司",
        customer__region="north",
        customer__account_manager=am,
        special_requirements="需定制logo",
    )
    ContactFactory(customer=order.customer, name="李先生", email="li@customer.example")
    line = OrderLineFactory(order=order, product=server_a, quantity=Decimal("10"))
    order_recalculate_total(order=order)
    # What the approval's hook does in the approval's transaction (step 4).
    services.fulfillment_allocate(order=order)

    # Step 5: the warehouse sees the order to confirm and answers "to be produced".
    login("wh", PASSWORD)
    page.goto(f"{live_server.url}/fulfillment/warehouse/")
    row = page.locator(f"[data-testid=to-confirm-row][data-order='{order.number}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("北京仓")
    row.get_by_role("link").click()
    page.select_option(f"#id_line_{line.pk}", "to_produce")
    deliverable = requested + timedelta(days=10)
    page.fill("#id_deliverable_date", deliverable.isoformat())
    page.fill("#id_note", "定制logo需生产")
    page.get_by_test_id("confirm-stock-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text("备货中")
    expect(page.get_by_test_id("negotiation-flag")).to_be_visible()
    expect(page.get_by_test_id("deliverable-date")).to_have_text(deliverable.isoformat())
    assert Notification.objects.filter(
        recipient=li, url__contains=f"/fulfillment/orders/{order.pk}/"
    ).exists()

    # Progress entries: stage, owner, planned and actual dates.
    today = timezone.localdate()
    form = page.get_by_test_id("progress-form")
    form.locator("#id_stage").select_option("production")
    form.locator("#id_owner").select_option(str(keeper.pk))
    form.locator("#id_planned_start").fill(today.isoformat())
    form.locator("#id_planned_end").fill((today + timedelta(days=7)).isoformat())
    form.locator("#id_actual_start").fill(today.isoformat())
    form.locator("#id_actual_end").fill(today.isoformat())
    form.locator("#id_note").fill("已完成生产，质检合格")
    form.locator("#id_next_step").fill("安排发货")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("progress-row")).to_have_count(1)
    expect(page.get_by_test_id("progress-row")).to_contain_text("已完成生产")

    # QC passes; the shipment preparation form is complete.
    prep = page.get_by_test_id("preparation-form")
    prep.locator("#id_packing").fill("木箱加固，定制logo外箱")
    prep.locator("#id_package_count").fill("10")
    prep.locator("#id_qc_result").select_option("passed")
    prep.locator("#id_qc_report").fill("外观、通电测试合格")
    prep.get_by_role("button").click()
    expect(page.get_by_test_id("qc-result")).to_have_text(re.compile("合格|Passed"))
    page.get_by_test_id("preparation-form-link").click()
    expect(page.locator("[data-qc-result]")).to_be_visible()
    screenshot("walk-a-5-preparation-form")
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.go_back()
    page.get_by_test_id("mark-ready").click()
    expect(page.get_by_test_id("order-status")).to_have_text("待发货")
    screenshot("walk-a-5-warehouse-order")

    # Step 6: logistics ships: carrier, tracking number, ETA.
    switch_user(page, login, "wl")
    page.goto(f"{live_server.url}/fulfillment/logistics/")
    page.locator(f"[data-testid=ready-row][data-order='{order.number}']").get_by_role(
        "link"
    ).click()
    eta = today + timedelta(days=3)
    ship = page.get_by_test_id("ship-form")
    expect(ship.locator(f"#id_qty_{line.pk}")).to_have_value("10")
    ship.locator("#id_carrier").fill("顺丰速运")
    ship.locator("#id_method").select_option("ftl")
    ship.locator("#id_tracking_number").fill("SF1234567890")
    ship.locator("#id_eta").fill(eta.isoformat())
    page.get_by_test_id("ship-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text("已发货")
    expect(page.get_by_test_id("tracking-number")).to_have_text("SF1234567890")
    screenshot("walk-a-6-shipped")
    page.goto(f"{live_server.url}/fulfillment/logistics/")
    expect(page.locator(f"[data-testid=transit-row][data-order='{order.number}']")).to_contain_text(
        "SF1234567890"
    )

    # The day before the ETA the deadlines engine fires once: account manager and customer.
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    eta_morning = timezone.make_aware(timezone.datetime.combine(eta, services.DELIVERY_NOTICE_TIME))
    mail.outbox.clear()
    sla_clocks_scan(now=eta_morning - timedelta(days=2))
    assert services.delivery_notices_send() == 0
    sla_clocks_scan(now=eta_morning - timedelta(hours=23))
    assert services.delivery_notices_send() == 1
    sla_clocks_scan(now=eta_morning - timedelta(hours=22))
    assert services.delivery_notices_send() == 0
    # The customer's e-mail leaves through the outbox, after the scan's commit.
    assert outbox_deliver() == 1
    assert outbox_deliver() == 0
    assert Notification.objects.filter(recipient=am, verb="clock_warning").count() == 1
    assert [m.to for m in mail.outbox if m.to == ["li@customer.example"]] == [
        ["li@customer.example"]
    ]

    switch_user(page, login, "am")
    page.goto(f"{live_server.url}/fulfillment/orders/{order.pk}/")
    expect(page.get_by_test_id("customer-notified")).to_contain_text("li@customer.example")
    screenshot("walk-a-6-customer-notified")
