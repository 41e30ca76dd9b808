"""The customer's phone (375×812, touch): the link from the SMS (file backend) opens the
order, the customer confirms it with a finger signature, production starts and the open
tracking page shows the progress by itself; the order page shows the customer's step
with contact, time and IP (docs/decisions/0014-customer-links-and-sms.md).

Screenshots: test-artifacts/customer-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.actions import perform
from core.outbox import outbox_deliver
from customer_portal.models import CustomerConfirmation, CustomerPortalSettings
from fulfillment.models import AllocationRule, ProgressEntry, StockLevel, Warehouse
from orders.models import Order, OrderEvent
from orders.services.orders import order_recalculate_total
from tests.e2e.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    ContactFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 375, "height": 812},
    "screen": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    ),
}


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def draw_with_finger(page, context, selector: str) -> None:  # type: ignore[no-untyped-def]
    """A signature drawn with touch events (what a finger sends), not a mouse."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    cdp = context.new_cdp_session(page)
    x0, y0 = box["x"] + 30, box["y"] + box["height"] * 0.6
    strokes = [
        [(x0 + i * 6, y0 - 25 * ((i % 6) / 5)) for i in range(0, 30)],
        [(x0 + 60 + i * 4, y0 - 40 + i * 3) for i in range(0, 20)],
    ]
    for stroke in strokes:
        (sx, sy), rest = stroke[0], stroke[1:]
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": sx, "y": sy}]}
        )
        for x, y in rest:
            cdp.send(
                "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_customer_confirms_on_the_phone_and_follows_production(
    browser, live_server, settings, tmp_path
):
    settings.CUSTOMER_SMS_BACKEND = "file"
    settings.CUSTOMER_SMS_FILE_PATH = tmp_path / "sms"
    settings.CUSTOMER_POLL_SECONDS = 2
    settings.PORTAL_BASE_URL = live_server.url
    CustomerPortalSettings.objects.update_or_create(pk=1, defaults={"confirmation_required": True})

    owner = UserFactory(
        username="cl_owner", last_name="王", first_name="丽", roles=["sales_assistant"]
    )
    manager = UserFactory(username="cl_boss", roles=["sales_manager"])
    keeper = UserFactory(username="cl_wh", last_name="赵", first_name="仓", roles=["warehouse"])
    warehouse = Warehouse.objects.create(code="SH", name="上海仓", city="上海", manager=keeper)
    AllocationRule.objects.create(region="", warehouse=warehouse, priority=10)
    customer = CustomerFactory(name="华东精密机械有限公司", region="east")
    ContactFactory(
        customer=customer, name="陈工", mobile="13912345678", email="chen@huadong.example"
    )
    lathe = ProductFactory(
        name="数控车床 CK6150", spec="CK6150 / 1.5 m", list_price=Decimal("86000")
    )
    turret = ProductFactory(name="电动刀塔", spec="8 工位", list_price=Decimal("6500"))
    StockLevel.objects.create(warehouse=warehouse, product=turret, on_hand=Decimal("10"))
    order = OrderFactory(
        customer=customer,
        owner=owner,
        created_by=owner,
        status="pending_approval",
        number=f"{timezone.localdate():%Y%m}-0042",
        contact_name="陈工",
        special_requirements="机床外壳颜色 RAL 7035；木箱包装防潮。",
        requested_delivery_date=timezone.localdate() + timedelta(days=30),
    )
    OrderLineFactory(order=order, product=lathe, quantity=Decimal("1"), unit_price=Decimal("86000"))
    OrderLineFactory(order=order, product=turret, quantity=Decimal("2"), unit_price=Decimal("6500"))
    order_recalculate_total(order=order)

    # The manager approves: the link goes out by SMS (file backend) and e-mail.
    perform("order.approve", actor=manager, obj=Order.objects.get(pk=order.pk))
    order.refresh_from_db()
    if order.status == "pending_director":
        director = UserFactory(username="cl_director", roles=["sales_director"])
        perform("order.director_approve", actor=director, obj=order)
        order.refresh_from_db()
    assert order.status == "confirmed"
    outbox_deliver()
    (sms_file,) = list((tmp_path / "sms").glob("*.txt"))
    sms_text = sms_file.read_text("utf-8")
    assert "To: 13912345678" in sms_text
    url = re.search(r"https?://\S+/c/[0-9a-z]+-[A-Za-z0-9_-]{24}/", sms_text).group(0)

    # The customer's phone opens the link.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(url)
    expect(page.get_by_test_id("order-number")).to_contain_text(order.number)
    expect(page.get_by_test_id("needs-confirmation")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "customer-01-link-opened")

    page.get_by_test_id("go-confirm").tap()
    expect(page.get_by_test_id("confirm-form")).to_be_visible()
    expect(page.get_by_test_id("special")).to_contain_text("RAL 7035")
    expect(page.get_by_test_id("confirm-submit")).to_be_disabled()
    pad = "[data-testid=signature-pad]"
    page.locator(pad).scroll_into_view_if_needed()
    draw_with_finger(page, phone, pad)
    expect(page.get_by_test_id("confirm-submit")).to_be_enabled()
    submit_box = page.get_by_test_id("confirm-submit").bounding_box()
    assert submit_box and submit_box["height"] >= 44  # a thumb's target
    shot(page, "customer-02-signed")
    page.get_by_test_id("confirm-submit").tap()
    expect(page.get_by_test_id("done")).to_be_visible()
    expect(page.get_by_test_id("confirmed-by")).to_be_visible()
    record = CustomerConfirmation.objects.get(order=order)
    assert record.signature_kind == "drawn" and record.signature.read().startswith(b"\x89PNG")
    shot(page, "customer-03-confirmed")

    # Production starts (the warehouse; allowed now that the customer confirmed) and makes
    # progress; the open page shows it by itself (htmx polling).
    lines = {
        line.pk: ("to_produce" if line.product == lathe else "in_stock")
        for line in order.lines.all()
    }
    perform(
        "fulfillment.confirm_stock",
        actor=keeper,
        obj=Order.objects.get(pk=order.pk),
        line_statuses=lines,
        deliverable_date=timezone.localdate() + timedelta(days=25),
    )
    today = timezone.localdate()
    ProgressEntry.objects.create(
        order=order,
        stage="purchasing",
        owner=keeper,
        recorded_by=keeper,
        planned_end=today,
        actual_end=today,
    )
    ProgressEntry.objects.create(
        order=order,
        stage="production",
        owner=keeper,
        recorded_by=keeper,
        planned_end=today + timedelta(days=10),
    )
    live = page.get_by_test_id("live")
    expect(live).to_have_attribute("data-stage", "production", timeout=15_000)
    expect(page.get_by_test_id("production")).to_contain_text("50")
    shot(page, "customer-04-production-live")

    # English on request.
    page.get_by_test_id("lang-en").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "customer-05-english")
    phone.close()

    # The order page: the customer's step with contact, time and IP; the panel.
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    staff = desk.new_page()
    staff.goto(f"{live_server.url}/accounts/login/")
    staff.fill("#id_username", "cl_owner")
    staff.fill("#id_password", PASSWORD)
    with staff.expect_navigation():
        staff.click("form button[type=submit]")
    staff.goto(f"{live_server.url}{order.get_absolute_url()}")
    panel = staff.get_by_test_id("order-panel-customer_links")
    expect(panel.get_by_test_id("customer-confirmed")).to_contain_text("陈工")
    expect(panel.get_by_test_id("customer-signature")).to_be_visible()
    event = OrderEvent.objects.get(order=order, payload__has_key="customer")
    timeline = staff.locator("#timeline")
    expect(timeline).to_contain_text("陈工")
    expect(timeline).to_contain_text(event.payload["customer"]["ip"])
    expect(timeline).to_contain_text(
        timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M")
    )
    staff.locator("#customer-links").scroll_into_view_if_needed()
    shot(staff, "customer-06-order-page")
    desk.close()
