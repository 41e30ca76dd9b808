"""Quotation → order in Chromium: the assistant quotes 3 catalog lines, the manager approves,
the customer accepts, one click makes the order; both pages link to each other."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order, Quotation
from tests.e2e.conftest import zh
from tests.factories import PASSWORD, CustomerFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)


def test_quotation_is_approved_and_converted_into_an_order(page, live_server, login, screenshot):
    UserFactory(username="li", last_name="王", first_name="丽", roles=["sales_assistant"])
    UserFactory(username="boss", last_name="李", first_name="强", roles=["sales_manager"])
    customer = CustomerFactory(name="华东精密机械有限公司")
    products = [
        ProductFactory(code=f"Q-00{n}", name=name, list_price=Decimal(price))
        for n, (name, price) in enumerate(
            [("伺服电机", "1200"), ("减速机", "800"), ("控制器", "500")]
        )
    ]

    login("li", PASSWORD)
    page.goto(f"{live_server.url}/orders/quotations/new/?customer={customer.pk}")
    page.fill("#id_contact_name", "张经理")
    page.select_option("#id_payment_terms", "net_30")
    page.fill("#id_terms", "含税含运费，质保一年")
    page.click('[data-action="add-line"]')
    for n, (product, quantity) in enumerate(zip(products, ["2", "3", "4"], strict=True)):
        page.select_option(f"#id_lines-{n}-product", str(product.pk))
        page.fill(f"#id_lines-{n}-quantity", quantity)
    page.click('[data-action="save"]')
    screenshot("quotation-0-saved")
    expect(page.get_by_test_id("quotation-total")).to_contain_text("6,800.00")
    page.click('[data-action="submit"]')
    expect(page.get_by_test_id("quotation-status")).to_have_text(zh("Pending supervisor approval"))
    screenshot("quotation-1-submitted")

    switch_user(page, login, "boss")
    quotation = Quotation.objects.get()
    page.goto(f"{live_server.url}/orders/quotations/{quotation.pk}/")
    page.fill("#id_comment", "价格在政策范围内，同意")
    page.click('[data-action="approve"]')
    expect(page.get_by_test_id("quotation-status")).to_have_text(zh("Approved"))
    expect(page.locator('[data-action="convert"]')).to_have_count(0)  # not the manager's step

    switch_user(page, login, "li")
    page.goto(f"{live_server.url}/orders/quotations/{quotation.pk}/")
    page.click('[data-action="accept"]')
    page.click('[data-action="convert"]')
    expect(page.get_by_test_id("order-status")).to_have_text("草稿")
    screenshot("quotation-2-order")
    order = Order.objects.get()
    assert [
        (line.product.code, line.quantity) for line in order.lines.select_related("product")
    ] == [
        ("Q-000", Decimal("2.00")),
        ("Q-001", Decimal("3.00")),
        ("Q-002", Decimal("4.00")),
    ]
    page.goto(f"{live_server.url}/orders/quotations/{quotation.pk}/")
    expect(page.get_by_test_id("quotation-order")).to_be_visible()
    page.get_by_test_id("quotation-order").click()
    expect(page).to_have_url(f"{live_server.url}/orders/{order.pk}/")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.get_by_test_id("panel-quotations")).to_contain_text(quotation.number)
    expect(page.get_by_test_id("panel-orders")).to_be_visible()
    screenshot("customer-file-panels")
