"""Walk A steps 1–3 (entry, needs-information, qualification) and walk E (four eyes)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import SlaClock
from orders.models import Order, OrderStatus, Product
from tests.factories import PASSWORD, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LICENCE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people():
    ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", unit="台", list_price=Decimal("5000")
    )
    return {
        "li": UserFactory(
            username="li", last_name="王", first_name="丽", roles=["sales_assistant"]
        ),
        "chen": UserFactory(
            username="chen", last_name="陈", first_name="静", roles=["sales_assistant"]
        ),
        "wh": UserFactory(username="wh", roles=["warehouse"]),
        "boss": UserFactory(username="boss", roles=["sales_manager"]),
    }


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)
    expect(page.locator("section[data-role]").first).to_be_visible()


def enter_large_order(page, live_server):
    """Walk A step 1: a new customer, 10 × Server type A, submitted."""
    page.goto(f"{live_server.url}/orders/new/")
    page.get_by_role("button", name="新建客户").click()
    page.fill("#id_quick-name", "新客户科技有限公司")
    page.select_option("#id_quick-region", "north")
    page.select_option("#id_quick-industry", "it")
    page.fill("#id_quick-contact_name", "李先生")
    page.fill("#id_quick-mobile", "13800138000")
    page.fill("#id_quick-email", "li@xinkehu.example.com")
    page.get_by_role("button", name="创建并选择").click()
    expect(page.get_by_test_id("selected-customer")).to_contain_text("新客户科技有限公司")
    expect(page.locator("#id_contact_phone")).to_have_value("13800138000")

    server_a = Product.objects.get(code="S-001")
    # Searched as you type (服务器 by its pinyin initials) and picked with the keyboard.
    page.fill("#id_lines-0-product-q", "fwq")
    expect(page.locator("#id_lines-0-product-results [data-product-pick]")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#id_lines-0-product")).to_have_value(str(server_a.pk))
    expect(page.locator("#id_lines-0-unit_price")).to_have_value("5000.00")
    page.fill("#id_lines-0-quantity", "10")
    page.locator("#id_lines-0-quantity").blur()
    expect(page.get_by_test_id("order-total")).to_have_text("¥50,000.00")
    expect(page.locator("#line-amount-0")).to_have_text("¥50,000.00")

    delivery = timezone.localdate() + timedelta(days=15)
    page.fill("#id_requested_delivery_date", delivery.isoformat())
    page.select_option("#id_payment_terms", "deposit_30")
    page.fill("#id_delivery_address", "北京市海淀区路1号")
    page.fill("#id_delivery_postcode", "100080")
    page.fill("#id_special_requirements", "需定制logo")
    page.get_by_role("button", name="提交审核").first.click()
    number = f"{timezone.localdate():%Y%m}-001"
    expect(page.get_by_test_id("order-number")).to_have_text(number)
    expect(page.get_by_test_id("order-status")).to_have_text("待审核")
    return Order.objects.get(number=number)


def test_walk_a_entry_clarification_and_qualified_review(
    page, live_server, login, people, screenshot, tmp_path
):
    login("li", PASSWORD)
    order = enter_large_order(page, live_server)
    assert order.total_amount == Decimal("50000.00")
    screenshot("walk-a-1-submitted")

    # Step 2: a second assistant asks for information; the 2-hour clock shows.
    switch_user(page, login, "chen")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.fill("#id_reason", "交付日期不明确，请与客户确认")
    page.locator('[data-action="request_info"]').click()
    expect(page.get_by_test_id("order-status")).to_have_text("需补充")
    expect(page.locator('[data-clock-kind="clarification"]')).to_contain_text("进行中")
    screenshot("walk-a-2-needs-info")

    switch_user(page, login, "li")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.select_option("#id_channel", "phone")
    page.fill("#id_person", "李先生")
    page.fill("#id_result", "客户确认交付日期不变")
    page.locator('[data-action="log_contact"]').click()
    expect(page.locator('[data-clock-kind="clarification"]')).to_contain_text("已达成")
    page.locator('[data-action="resubmit"]').click()
    expect(page.get_by_test_id("order-status")).to_have_text("待审核")
    assert SlaClock.objects.get(kind="clarification").met_at is not None

    # Step 3: passing is refused until the business licence is on file.
    switch_user(page, login, "chen")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator('[data-action="pass_review"]').click()
    # Refused by the rule (409): the refusal page says why and leads back to the order.
    expect(page.get_by_role("alert")).to_contain_text("请先在客户页面上传营业执照")
    screenshot("walk-a-3-refused")
    page.get_by_role("link", name="返回").click()
    expect(page.get_by_test_id("order-status")).to_have_text("待审核")

    page.get_by_role("link", name="前往客户页面上传").click()
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(LICENCE)
    page.set_input_files("#id_file", str(licence))
    page.get_by_role("button", name="上传").click()
    expect(page.locator(".alert-success")).to_contain_text("文件已上传")

    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.fill("#id_note", "资料齐全")
    page.locator('[data-action="pass_review"]').click()
    expect(page.get_by_test_id("order-status")).to_have_text("待审批")
    expect(page.locator("#timeline")).to_contain_text("资料齐全")
    # A new customer's first limit covers the part not paid in advance: no hold ahead.
    expect(page.get_by_test_id("credit-will-hold")).to_have_count(0)
    screenshot("walk-a-3-passed")

    page.get_by_role("link", name="初步审核表").click()
    expect(page.locator("body")).to_contain_text("新客户科技有限公司")
    expect(page.locator("body")).to_contain_text("审核通过")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_APPROVAL


def test_walk_e_nobody_reviews_their_own_order(page, live_server, login, people):
    login("li", PASSWORD)
    order = enter_large_order(page, live_server)
    expect(page.locator('[data-action="pass_review"]')).to_have_count(0)
    expect(page.get_by_test_id("four-eyes")).to_be_visible()

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    url = f"{live_server.url}/orders/{order.pk}/pass-review/"
    headers = {"X-CSRFToken": csrf, "Referer": live_server.url}
    response = page.request.post(url, form={"note": "自己审核"}, headers=headers, max_redirects=0)
    assert response.status == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_REVIEW

    switch_user(page, login, "wh")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        url, form={}, headers={"X-CSRFToken": csrf, "Referer": live_server.url}, max_redirects=0
    )
    assert response.status == 403
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator('[data-testid="actions"]')).to_have_count(0)
    assert Order.objects.get(pk=order.pk).events.count() == 2
