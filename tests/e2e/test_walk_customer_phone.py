# ruff: noqa: F811  (the fixtures are imported from receipt_fixtures by name)
"""The customer's walk on their phone (375×812, touch), from the SMS to the rated resolution.

The customer opens the link from the SMS (the file backend's message), confirms the order
with a drawn signature, follows it through production and shipping, signs the delivery
receipt with one damaged line and a photo, answers the survey with 3, opens an after-sales
request and rates its resolution. The staff's steps in between run through the same
services the pages call; their pages show each customer step. Every customer page is
screenshot at 375 px into test-artifacts/customer-*.png to be looked at.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from aftersales import services as aftersales_services
from aftersales.models import AftersalesTicket, ElectronicReceipt, SatisfactionSurvey
from aftersales.tests.conftest import carton_jpeg
from core import pdfsign
from core.actions import perform
from core.outbox import outbox_deliver
from customer_portal.tests.receipt_fixtures import signing_cert  # noqa: F401  (fixture)
from fulfillment import services as fulfillment_services
from fulfillment.models import AllocationRule, ProgressEntry, Warehouse
from fulfillment.tests.conftest import put_stock
from orders.models import OrderEvent, OrderStatus
from orders.services.orders import order_recalculate_total
from tests.e2e.conftest import ARTIFACTS
from tests.factories import (
    ContactFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 375
PHONE = {
    "viewport": {"width": WIDTH, "height": 812},
    "screen": {"width": WIDTH, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148",
}


def shot(page: Any, name: str) -> None:
    """A full-page screenshot at 375 px; the page must not scroll sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, name
    page.screenshot(path=str(ARTIFACTS / f"customer-{name}.png"), full_page=True)


def draw_signature(page: Any, testid: str = "signature-pad") -> None:
    """Sign with a finger: a few strokes across the canvas."""
    canvas = page.get_by_test_id(testid)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for stroke in (
        [(0.1, 0.7), (0.2, 0.25), (0.3, 0.75), (0.42, 0.3), (0.5, 0.7)],
        [(0.58, 0.35), (0.78, 0.35), (0.64, 0.8), (0.9, 0.6)],
    ):
        page.mouse.move(x + w * stroke[0][0], y + h * stroke[0][1])
        page.mouse.down()
        for fx, fy in stroke[1:]:
            page.mouse.move(x + w * fx, y + h * fy, steps=6)
        page.mouse.up()


def staff_page(browser: Any, live_server: Any, user: Any) -> Any:
    """A desktop page logged in as ``user`` (a session cookie, no login form)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def link_from_sms(folder: Path) -> str:
    """The customer link in the newest SMS the file backend wrote."""
    files = sorted(folder.rglob("*"), key=lambda p: p.stat().st_mtime)
    texts = [p.read_text(encoding="utf-8") for p in files if p.is_file()]
    assert texts, f"no SMS in {folder}"
    match = re.search(r"/c/[0-9a-z]+-[A-Za-z0-9_-]{24}/", texts[-1])
    assert match, texts[-1]
    return match.group(0)


def test_customer_walk_on_the_phone(browser, live_server, settings, tmp_path, signing_cert):
    settings.CUSTOMER_SMS_FILE_PATH = tmp_path / "sms"
    settings.PORTAL_BASE_URL = live_server.url
    settings.OUTBOX_KICK = False  # the test delivers the outbox itself, at once
    assistant = UserFactory(
        username="assistant", last_name="张", first_name="助", roles=["sales_assistant"]
    )
    keeper = UserFactory(username="keeper", roles=["warehouse"])
    shipper = UserFactory(username="shipper", roles=["logistics"])
    am = UserFactory(username="am", last_name="孙", first_name="客", roles=["account_manager"])
    aftersales = UserFactory(username="as", last_name="吴", first_name="涛", roles=["aftersales"])
    UserFactory(username="boss", roles=["sales_manager"])
    warehouse = Warehouse.objects.create(code="SH", name="上海仓", city="上海", manager=keeper)
    AllocationRule.objects.create(region="", warehouse=warehouse, priority=10)
    server = ProductFactory(name="工业服务器A型", spec="S-001-A", list_price=Decimal("5000"))
    fan = ProductFactory(name="散热风扇组件", spec="F-002", list_price=Decimal("100"))
    put_stock(warehouse, server, 10)
    put_stock(warehouse, fan, 10)
    order = OrderFactory(
        status=OrderStatus.CONFIRMED,
        number=f"{timezone.localdate():%Y%m}-501",
        owner=assistant,
        created_by=assistant,
        customer__name="华东精密制造有限公司",
        customer__account_manager=am,
        customer__region="east",
        contact_name="王收货",
        delivery_address="上海市浦东新区张江路 88 号 3 号门",
        requested_delivery_date=timezone.localdate() + timedelta(days=10),
    )
    server_line = OrderLineFactory(order=order, product=server, quantity=Decimal("2"))
    fan_line = OrderLineFactory(order=order, product=fan, quantity=Decimal("4"))
    order_recalculate_total(order=order)
    contact = ContactFactory(
        customer=order.customer, name="王收货", mobile="13900001111", is_primary=False
    )

    # The sales assistant sends the link (发送客户链接): an SMS through the outbox.
    perform("customer_link.send", actor=assistant, obj=order, contact=contact)
    outbox_deliver()
    base = live_server.url + link_from_sms(settings.CUSTOMER_SMS_FILE_PATH)

    context = browser.new_context(**PHONE)
    context.set_default_timeout(20_000)
    phone = context.new_page()

    # 1. The customer opens the link and confirms the order with a drawn signature.
    phone.goto(base)
    expect(phone.get_by_test_id("order-number")).to_contain_text(order.number)
    shot(phone, "1-track")
    phone.get_by_test_id("go-confirm").click()
    draw_signature(phone)
    shot(phone, "2-confirm")
    phone.get_by_test_id("confirm-submit").click()
    expect(phone.get_by_test_id("done")).to_be_visible()
    expect(phone.get_by_test_id("confirmed-by")).to_be_visible()

    # 2. Production and shipping (the warehouse and logistics on their pages).
    fulfillment_services.fulfillment_allocate(order=order)
    fulfillment_services.fulfillment_confirm_stock(
        actor=keeper,
        order=order,
        line_statuses={server_line.pk: "in_stock", fan_line.pk: "in_stock"},
        deliverable_date=timezone.localdate() + timedelta(days=5),
    )
    fulfillment_services.progress_entry_add(
        actor=keeper,
        order=order,
        entry=ProgressEntry(
            stage="packing", owner=keeper, planned_end=timezone.localdate(), note="包装中"
        ),
    )
    phone.reload()
    expect(phone.get_by_test_id("stage")).to_be_visible()
    shot(phone, "3-production")
    fulfillment_services.preparation_save(
        actor=keeper,
        order=order,
        form_data={
            "packing": "木箱加固",
            "package_count": 2,
            "qc_result": "passed",
            "qc_report": "外观、通电测试合格",
        },
    )
    fulfillment_services.fulfillment_mark_ready(actor=keeper, order=order)
    fulfillment_services.shipment_create(
        actor=shipper,
        order=order,
        quantities={server_line.pk: Decimal("2"), fan_line.pk: Decimal("4")},
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1234567890",
        eta=timezone.localdate() + timedelta(days=2),
    )
    phone.reload()
    expect(phone.get_by_test_id("tracking-number")).to_have_text("SF1234567890")
    shot(phone, "4-shipped")
    fulfillment_services.fulfillment_record_delivery(actor=shipper, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED

    # 3. The goods arrive: the receiving person signs the receipt, the fans' carton is
    #    damaged (a photo from the camera).
    phone.goto(base + "receipt/")
    shot(phone, "5-receipt-form")
    server_box = phone.locator(f"[data-testid=receipt-line][data-line='{server_line.pk}']")
    fan_box = phone.locator(f"[data-testid=receipt-line][data-line='{fan_line.pk}']")
    server_box.get_by_test_id("line-ok").check()
    expect(fan_box.get_by_test_id("issue-type")).to_be_hidden()
    fan_box.get_by_test_id("line-issue").check()
    expect(fan_box.get_by_test_id("issue-type")).to_be_visible()
    assert fan_box.get_by_test_id("issue-photo").get_attribute("capture") == "environment"
    fan_box.get_by_test_id("issue-type").select_option("damaged_packaging")
    photo = tmp_path / "破损外箱.jpg"
    photo.write_bytes(carton_jpeg())
    fan_box.get_by_test_id("issue-photo").set_input_files(str(photo))
    fan_box.get_by_test_id("issue-note").fill("外箱压坏，一台风扇外壳划伤")
    draw_signature(phone)
    phone.get_by_test_id("signer").fill("王收货")
    shot(phone, "6-receipt-filled")
    phone.get_by_test_id("receipt-submit").click()
    expect(phone.get_by_test_id("receipt-signed")).to_be_visible()
    receipt = ElectronicReceipt.objects.get(acceptance__order=order)
    expect(phone.get_by_test_id("receipt-sha")).to_have_text(receipt.pdf_sha256)
    shot(phone, "7-receipt-signed")
    with phone.expect_download() as download:
        phone.get_by_test_id("receipt-pdf").click()
    signed_pdf = Path(download.value.path()).read_bytes()
    assert pdfsign.sha256_hex(signed_pdf) == receipt.pdf_sha256
    assert pdfsign.validate_pdf(signed_pdf).valid
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    acceptance_ticket = AftersalesTicket.objects.get(order=order, source="acceptance")
    assert acceptance_ticket.owner == aftersales

    # 4. The survey: 3 of 5.
    phone.get_by_test_id("to-survey").click()
    phone.locator("label:has([data-testid=score-3])").click()
    phone.locator("label:has([data-testid=reason-packaging])").click()
    phone.get_by_test_id("survey-comment").fill("包装需要改进")
    shot(phone, "8-survey")
    phone.get_by_test_id("survey-submit").click()
    expect(phone.get_by_test_id("survey-done")).to_be_visible()
    expect(phone.get_by_test_id("survey-score")).to_contain_text("3")
    assert SatisfactionSurvey.objects.get(order=order).score == 3
    shot(phone, "9-survey-done")

    # 5. An after-sales request from the customer's page.
    phone.get_by_test_id("to-requests").click()
    phone.get_by_test_id("request-kind").select_option("repair")
    phone.get_by_test_id("request-line").select_option(str(server_line.pk))
    phone.get_by_test_id("request-description").fill("一台服务器开机后风扇噪音很大")
    shot(phone, "10-request-form")
    phone.get_by_test_id("request-submit").click()
    expect(phone.get_by_test_id("request-status")).to_be_visible()
    online = AftersalesTicket.objects.get(order=order, source="online")
    expect(phone.get_by_test_id("request")).to_have_attribute("data-status", "open")
    shot(phone, "11-request-open")

    # After-sales answers and resolves it; the customer follows it and rates the handling.
    aftersales_services.ticket_respond(
        actor=aftersales,
        ticket=online,
        text="已安排工程师上门",
        promised_date=timezone.localdate() + timedelta(days=2),
    )
    phone.reload()
    expect(phone.get_by_test_id("request")).to_have_attribute("data-status", "in_progress")
    expect(phone.get_by_test_id("promised-date")).to_be_visible()
    aftersales_services.ticket_resolve(
        actor=aftersales, ticket=online, resolution="工程师更换了风扇，噪音已消除"
    )
    phone.reload()
    expect(phone.get_by_test_id("request-resolution")).to_contain_text("噪音已消除")
    phone.locator("label:has([data-testid=rating-4])").click()
    phone.get_by_test_id("rate-comment").fill("处理及时")
    shot(phone, "12-request-resolved")
    phone.get_by_test_id("rate-submit").click()
    expect(phone.get_by_test_id("request-rated")).to_contain_text("4")
    shot(phone, "13-request-rated")
    online.refresh_from_db()
    assert online.rating == 4 and online.rating_comment == "处理及时"
    context.close()

    # 6. The staff's pages show every customer step.
    desk = staff_page(browser, live_server, am)
    desk.goto(f"{live_server.url}/aftersales/orders/{order.pk}/")
    expect(desk.get_by_test_id("ereceipt-sha256")).to_have_text(receipt.pdf_sha256)
    expect(desk.get_by_test_id("ereceipt")).to_contain_text("王收货")
    expect(desk.locator("[data-testid=acceptance-line][data-result=exceptions]")).to_have_count(1)
    expect(desk.get_by_test_id("issue-thumbnail")).to_be_visible()
    expect(desk.get_by_test_id("ticket-row")).to_have_count(2)
    expect(
        desk.locator(f"[data-testid=ticket-row][data-ticket='{online.number}']")
    ).to_contain_text("4")
    expect(desk.get_by_test_id("survey")).to_have_attribute("data-score", "3")
    expect(desk.get_by_test_id("satisfaction")).to_have_text("3 / 5")
    desk.screenshot(path=str(ARTIFACTS / "customer-14-staff-aftersales.png"), full_page=True)
    desk.goto(f"{live_server.url}/orders/{order.pk}/")
    desk.screenshot(path=str(ARTIFACTS / "customer-15-staff-order.png"), full_page=True)
    desk.context.close()

    # The timeline holds each customer step with the contact and the phone's IP.
    steps = {
        event.action: event.payload["customer"]
        for event in OrderEvent.objects.filter(order=order)
        if event.payload.get("customer")
    }
    for action in (
        "customer_confirm",
        "customer_receipt_sign",
        "customer_survey_answer",
        "customer_complaint_open",
        "customer_ticket_rate",
    ):
        assert action in steps, action
        assert steps[action]["contact"] == "王收货"
        assert steps[action]["ip"] == "127.0.0.1"
        assert "iPhone" in steps[action]["user_agent"]
