"""Walk A steps 7–8: the account manager records acceptance with one issue (a
damaged carton, with a photo); a ticket opens with a 24-hour response clock; after-sales
responds (replacement), resolves it and the customer rates it 4; within 3 working days the
account manager logs a follow-up call with satisfaction 5 and the order completes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.models import AftersalesTicket
from aftersales.tests.conftest import MINIMAL_PDF, carton_jpeg
from core.models import SlaClock
from orders.models import OrderEvent, OrderStatus
from tests.factories import PASSWORD, OrderFactory, OrderLineFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)


def test_walk_a_steps_7_and_8(page, live_server, login, screenshot, tmp_path):
    am = UserFactory(username="am", last_name="孙", first_name="客", roles=["account_manager"])
    UserFactory(username="as", last_name="吴", first_name="涛", roles=["aftersales"])
    UserFactory(username="boss", last_name="李", first_name="强", roles=["sales_manager"])
    UserFactory(username="wl", last_name="赵", first_name="运", roles=["logistics"])
    server_a = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    order = OrderFactory(
        status="delivered",
        number=f"{timezone.localdate():%Y%m}-001",
        contact_name="李先生",
        customer__name="新客户科技有限公司",
        customer__account_manager=am,
    )
    line = OrderLineFactory(order=order, product=server_a, quantity=Decimal("10"))
    photo = tmp_path / "破损外箱.jpg"
    photo.write_bytes(carton_jpeg())
    receipt = tmp_path / "签收单.pdf"
    receipt.write_bytes(MINIMAL_PDF)

    # Step 7: the account manager finds the delivery on the work page and records acceptance.
    login("am", PASSWORD)
    page.goto(f"{live_server.url}/aftersales/account/")
    page.locator(f"[data-testid=to-accept-row][data-order='{order.number}']").get_by_role(
        "link"
    ).click()
    form = page.get_by_test_id("acceptance-form")
    form.locator("#id_signer").fill("李先生")
    form.locator("#id_receipt").set_input_files(str(receipt))
    form.locator(f"#id_result_{line.pk}").select_option("exceptions")
    form.locator(f"#id_issue_type_{line.pk}").select_option("damaged_packaging")
    form.locator(f"#id_issue_{line.pk}").fill("一个外箱破损")
    form.locator(f"#id_photos_{line.pk}").set_input_files(str(photo))
    page.get_by_test_id("acceptance-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text("已签收")
    expect(page.get_by_test_id("issue-row")).to_have_count(1)
    expect(page.get_by_test_id("issue-thumbnail")).to_be_visible()
    followup = page.locator("[data-clock-kind=followup_visit]")
    expect(followup.locator("[data-clock-state=running]")).to_be_visible()
    response_clock = page.locator("[data-clock-kind=aftersales_response]")
    expect(response_clock.locator("[data-clock-state=running]")).to_be_visible()
    expect(page.get_by_test_id("completion-blockers")).to_be_visible()
    ticket = AftersalesTicket.objects.get(order=order)
    clock = SlaClock.objects.for_target(ticket).get(kind="aftersales_response")
    assert clock.due_at - clock.started_at == timedelta(hours=24)
    expect(response_clock).to_contain_text(
        timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")
    )
    screenshot("walk-a-7-acceptance")
    page.get_by_test_id("issue-record-link").click()
    expect(page.locator("img[data-photo]")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # After-sales responds (replacement of one carton), resolves it once it arrived; the
    # customer rates it 4.
    switch_user(page, login, "as")
    page.goto(f"{live_server.url}/aftersales/tickets/")
    page.locator(f"[data-testid=ticket-row][data-ticket='{ticket.number}']").get_by_role(
        "link"
    ).click()
    respond = page.get_by_test_id("respond-form")
    respond.locator("#id_kind").select_option("replacement")
    respond.locator("#id_promised_date").fill(
        (timezone.localdate() + timedelta(days=2)).isoformat()
    )
    respond.locator("#id_replacement_item").fill("外箱")
    respond.locator("#id_text").fill("已联系客户，安排换货")
    page.get_by_test_id("respond-submit").click()
    expect(
        page.locator("[data-clock-kind=aftersales_response] [data-clock-state=met]")
    ).to_be_visible()
    expect(
        page.locator("[data-clock-kind=aftersales_resolution] [data-clock-state=running]")
    ).to_be_visible()
    # The replacement is one carton of the server line; logistics ships it and the account
    # manager confirms its receipt before the ticket can be resolved (walk H in full).
    expect(page.get_by_test_id("replacement-row")).to_have_attribute("data-status", "planned")
    expect(page.get_by_test_id("resolve-form")).to_have_count(0)
    switch_user(page, login, "wl")
    page.goto(f"{live_server.url}/aftersales/replacements/")
    page.locator(f"[data-testid=replacement-row][data-ticket='{ticket.number}']").get_by_test_id(
        "replacement-link"
    ).click()
    replacement = page.get_by_test_id("replacement-ship-form")
    replacement.locator("#id_carrier").fill("顺丰速运")
    replacement.locator("#id_tracking_number").fill("SF0000001")
    replacement.locator("#id_eta").fill((timezone.localdate() + timedelta(days=1)).isoformat())
    page.get_by_test_id("replacement-ship-submit").click()
    expect(page.get_by_test_id("replacement-tracking")).to_have_text("SF0000001")
    replacement_url = page.url
    switch_user(page, login, "am")
    page.goto(replacement_url)
    page.get_by_test_id("replacement-arrive-submit").click()
    expect(page.get_by_test_id("replacement-status")).to_have_attribute("data-status", "arrived")
    switch_user(page, login, "as")
    page.goto(f"{live_server.url}/aftersales/tickets/{ticket.pk}/")
    page.get_by_test_id("resolve-form").locator("#id_resolution").fill("已补发新外箱包装的服务器")
    page.get_by_test_id("resolve-submit").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved")
    page.get_by_test_id("rating-form").locator("#id_rating").select_option("4")
    page.get_by_test_id("rating-form").locator("#id_comment").fill("处理及时")
    page.get_by_test_id("rating-submit").click()
    expect(page.get_by_test_id("rating")).to_have_text("4 / 5")
    expect(
        page.locator("[data-clock-kind=aftersales_resolution] [data-clock-state=met]")
    ).to_be_visible()
    screenshot("walk-a-7-ticket")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED  # the follow-up call is still to come

    # Step 8: within 3 working days the account manager logs the call with satisfaction 5.
    switch_user(page, login, "am")
    page.goto(f"{live_server.url}/aftersales/account/")
    page.locator(f"[data-testid=followup-row][data-order='{order.number}']").get_by_role(
        "link"
    ).click()
    visit = page.get_by_test_id("visit-form")
    visit.locator("#id_method").select_option("phone")
    visit.locator("#id_satisfaction").select_option("5")
    visit.locator("#id_feedback").fill("设备运行正常，包装问题处理及时")
    page.get_by_test_id("visit-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text("已完成")
    expect(page.get_by_test_id("completed")).to_be_visible()
    expect(page.locator("[data-clock-kind=followup_visit] [data-clock-state=met]")).to_be_visible()
    expect(
        page.locator("[data-clock-kind=aftersales_response] [data-clock-state=met]")
    ).to_be_visible()
    screenshot("walk-a-8-completed")
    page.get_by_test_id("visit-form-link").click()
    expect(page.locator("[data-satisfaction]")).to_contain_text("5 / 5")

    # The order timeline shows acceptance, the issue, the ticket and the visit.
    actions = set(OrderEvent.objects.filter(order=order).values_list("action", flat=True))
    assert {"accept", "acceptance_issue", "ticket_opened", "ticket_resolved"} <= actions
    assert {"followup_visit", "complete"} <= actions
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator("body")).to_contain_text("一个外箱破损")
    expect(page.locator("body")).to_contain_text(ticket.number)
    screenshot("walk-a-8-order-timeline")
