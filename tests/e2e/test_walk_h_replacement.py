"""Walk H (docs/workflow.md §8): a replacement that arrives.

An acceptance issue (one damaged carton) becomes a ticket answered with a replacement of
one carton — not the whole line; logistics finds it on its list and ships it with a
tracking number; the account manager confirms, on the customer's word, that it arrived;
only then can after-sales resolve the ticket, and the order completes after the visit.
The month close does not archive an order while a replacement is on its way.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.models import AftersalesTicket, ReplacementShipment, ReplacementStatus
from aftersales.tests.conftest import MINIMAL_PDF, carton_jpeg
from orders.models import OrderEvent, OrderStatus
from tests.e2e.conftest import zh
from tests.factories import PASSWORD, OrderFactory, OrderLineFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)


def test_walk_h_a_replacement_is_shipped_received_and_its_ticket_resolved(
    page, live_server, login, screenshot, tmp_path
):
    am = UserFactory(username="am", last_name="孙", first_name="客", roles=["account_manager"])
    UserFactory(username="as", last_name="吴", first_name="涛", roles=["aftersales"])
    UserFactory(username="wl", last_name="赵", first_name="运", roles=["logistics"])
    UserFactory(username="boss", last_name="李", first_name="强", roles=["sales_manager"])
    server_a = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    order = OrderFactory(
        status="delivered",
        number=f"{timezone.localdate():%Y%m}-008",
        contact_name="李先生",
        customer__name="新客户科技有限公司",
        customer__account_manager=am,
    )
    line = OrderLineFactory(order=order, product=server_a, quantity=Decimal("10"))
    photo = tmp_path / "破损外箱.jpg"
    photo.write_bytes(carton_jpeg())
    receipt = tmp_path / "签收单.pdf"
    receipt.write_bytes(MINIMAL_PDF)

    # The account manager records acceptance with one damaged carton: a ticket opens.
    login("am", PASSWORD)
    page.goto(f"{live_server.url}/aftersales/orders/{order.pk}/")
    form = page.get_by_test_id("acceptance-form")
    form.locator("#id_signer").fill("李先生")
    form.locator("#id_receipt").set_input_files(str(receipt))
    form.locator(f"#id_result_{line.pk}").select_option("exceptions")
    form.locator(f"#id_issue_type_{line.pk}").select_option("damaged_packaging")
    form.locator(f"#id_issue_{line.pk}").fill("一个外箱破损")
    form.locator(f"#id_photos_{line.pk}").set_input_files(str(photo))
    page.get_by_test_id("acceptance-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text(zh("Accepted"))
    ticket = AftersalesTicket.objects.get(order=order)

    # After-sales answers with a replacement of ONE carton of the server line.
    switch_user(page, login, "as")
    page.goto(f"{live_server.url}/aftersales/tickets/{ticket.pk}/")
    respond = page.get_by_test_id("respond-form")
    respond.locator("#id_kind").select_option("replacement")
    respond.locator("#id_promised_date").fill(
        (timezone.localdate() + timedelta(days=3)).isoformat()
    )
    # The form proposes the line and one piece, never the whole line.
    expect(respond.locator("#id_replacement_line")).to_have_value(str(line.pk))
    expect(respond.locator("#id_replacement_quantity")).to_have_value("1")
    respond.locator("#id_replacement_item").fill("外箱（含内衬）")
    respond.locator("#id_text").fill("已联系客户，补发一个外箱")
    screenshot("walk-h-1-respond")
    page.get_by_test_id("respond-submit").click()
    row = page.get_by_test_id("replacement-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "planned")
    expect(row.get_by_test_id("replacement-quantity")).to_have_text("1")
    expect(row).to_contain_text("外箱（含内衬）")
    # Resolving is not offered while the replacement has not arrived; the page says why.
    expect(page.get_by_test_id("resolve-form")).to_have_count(0)
    expect(page.get_by_test_id("resolve-waiting")).to_be_visible()
    screenshot("walk-h-2-ticket-waiting")
    replacement = ReplacementShipment.objects.get(ticket=ticket)
    assert (replacement.quantity, replacement.order_line_id) == (Decimal("1"), line.pk)

    # Logistics finds it on its work page and its list, and ships it with tracking.
    switch_user(page, login, "wl")
    page.goto(f"{live_server.url}/")
    expect(page.locator("body")).to_contain_text(zh("Replacements to ship"))
    page.goto(f"{live_server.url}/aftersales/replacements/")
    listed = page.locator(f"[data-testid=replacement-row][data-ticket='{ticket.number}']")
    expect(listed).to_have_attribute("data-status", "planned")
    screenshot("walk-h-3-logistics-list")
    listed.get_by_test_id("replacement-link").click()
    expect(page.get_by_test_id("replacement-item")).to_have_text("外箱（含内衬）")
    ship = page.get_by_test_id("replacement-ship-form")
    ship.locator("#id_carrier").fill("顺丰速运")
    ship.locator("#id_tracking_number").fill("SF1234567890")
    eta = timezone.localdate() + timedelta(days=1)
    ship.locator("#id_eta").fill(eta.isoformat())
    screenshot("walk-h-4-ship-form")
    page.get_by_test_id("replacement-ship-submit").click()
    expect(page.get_by_test_id("replacement-status")).to_have_attribute("data-status", "shipped")
    expect(page.get_by_test_id("replacement-tracking")).to_have_text("SF1234567890")
    expect(page.get_by_test_id("replacement-eta")).to_have_text(eta.isoformat())
    # Logistics does not confirm the receipt (that is the customer's word).
    expect(page.get_by_test_id("replacement-arrive-form")).to_have_count(0)

    # The account manager hears from the customer and confirms the receipt.
    switch_user(page, login, "am")
    page.goto(f"{live_server.url}/aftersales/replacements/?status=shipped")
    page.locator(f"[data-testid=replacement-row][data-ticket='{ticket.number}']").get_by_test_id(
        "replacement-link"
    ).click()
    arrive = page.get_by_test_id("replacement-arrive-form")
    expect(arrive.locator("#id_received_by")).to_have_value("李先生")
    screenshot("walk-h-5-confirm-receipt")
    page.get_by_test_id("replacement-arrive-submit").click()
    expect(page.get_by_test_id("replacement-status")).to_have_attribute("data-status", "arrived")
    expect(page.get_by_test_id("replacement-received")).to_contain_text("李先生")
    screenshot("walk-h-6-arrived")

    # Now after-sales resolves the ticket; the customer rates it.
    switch_user(page, login, "as")
    page.goto(f"{live_server.url}/aftersales/tickets/{ticket.pk}/")
    expect(page.get_by_test_id("replacement-row")).to_have_attribute("data-status", "arrived")
    page.get_by_test_id("resolve-form").locator("#id_resolution").fill("已补发外箱，客户已签收")
    page.get_by_test_id("resolve-submit").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved")
    page.get_by_test_id("rating-form").locator("#id_rating").select_option("4")
    page.get_by_test_id("rating-submit").click()
    expect(page.get_by_test_id("rating")).to_have_text("4 / 5")
    screenshot("walk-h-7-ticket-resolved")

    # The follow-up call completes the order.
    switch_user(page, login, "am")
    page.goto(f"{live_server.url}/aftersales/orders/{order.pk}/")
    visit = page.get_by_test_id("visit-form")
    visit.locator("#id_method").select_option("phone")
    visit.locator("#id_satisfaction").select_option("5")
    page.get_by_test_id("visit-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text(zh("Completed"))
    expect(page.get_by_test_id("completed")).to_be_visible()
    screenshot("walk-h-8-completed")

    replacement.refresh_from_db()
    assert replacement.status == ReplacementStatus.ARRIVED
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    actions = list(
        OrderEvent.objects.filter(order=order).order_by("pk").values_list("action", flat=True)
    )
    steps = [
        "replacement_planned",
        "replacement_shipped",
        "replacement_arrived",
        "ticket_resolved",
        "complete",
    ]
    assert [a for a in actions if a in steps] == steps
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator("body")).to_contain_text("SF1234567890")


def test_walk_h_the_month_close_keeps_an_order_whose_replacement_is_on_its_way(db):
    """A complaint on a completed order answered with a replacement: the month close
    carries the order over (archived is read-only: the replacement could never arrive)."""
    from aftersales import services
    from archive.month_close import month_close

    am = UserFactory(roles=["account_manager"])
    support = UserFactory(roles=["aftersales"])
    admin = UserFactory(roles=["data_admin"])
    # Last month's order (the month close closes a month that is over).
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    order = OrderFactory(status="completed", order_date=last_month, customer__account_manager=am)
    line = OrderLineFactory(order=order, quantity=Decimal("3"))
    ticket = services.ticket_open_complaint(
        actor=am, order=order, kind="replacement", description="风扇异响", owner=support
    )
    services.ticket_respond(
        actor=support,
        ticket=ticket,
        text="换一个风扇",
        kind="replacement",
        replacement_line=line,
        replacement_quantity=Decimal("1"),
        replacement_item="风扇",
    )
    month_close(actor=admin, year=last_month.year, month=last_month.month)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED  # carried over, still writable
    services.replacement_cancel(
        actor=support, replacement=ticket.replacements.get(), reason="客户自行修好"
    )
    month_close(actor=admin, year=last_month.year, month=last_month.month)
    order.refresh_from_db()
    assert order.status == OrderStatus.ARCHIVED
