"""Order entry with a large catalogue: the product picker, by keyboard only."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderStatus, Product
from tests.factories import PASSWORD, CustomerFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue():
    ProductFactory(
        code="S-001",
        name="服务器A型",
        spec="2U 双路 至强/128GB",
        unit="台",
        list_price=Decimal("5000"),
    )
    ProductFactory(
        code="S-002",
        name="服务器B型",
        spec="4U 四路 至强/512GB",
        unit="台",
        list_price=Decimal("12800"),
    )
    ProductFactory(
        code="S-003", name="服务器机柜", spec="42U 标准机柜", unit="个", list_price=Decimal("3600")
    )
    Product.objects.bulk_create(
        Product(code=f"P-{n:04d}", name=f"配件{n}", spec="通用", list_price=Decimal(n))
        for n in range(1, 400)
    )
    return Product.objects.get(code="S-002")


def test_a_line_is_entered_with_the_keyboard_alone(page, live_server, login, catalogue, screenshot):
    UserFactory(username="li", roles=["sales_assistant"])
    customer = CustomerFactory(name="北京华信科技有限公司")
    login("li", PASSWORD)
    page.goto(f"{live_server.url}/orders/new/")
    page.fill("#customer-search", "华信")
    page.locator(f"[data-customer-pick='{customer.pk}']").click()

    search = page.locator("#id_lines-0-product-q")
    search.focus()
    page.keyboard.type("fwq")  # 服务器 by its pinyin initials
    options = page.locator("#id_lines-0-product-results [data-product-pick]")
    expect(options).to_have_count(3)
    expect(search).to_have_attribute("aria-expanded", "true")
    expect(options.first).to_contain_text("S-001 · 服务器A型 · 2U 双路 至强/128GB")
    expect(options.first).to_contain_text("¥5,000.00")
    screenshot("order-form-product-picker-open")

    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_class(
        "list-group-item list-group-item-action product-option active"
    )
    page.keyboard.press("Enter")  # picks; does not submit the order
    expect(page.locator("#id_lines-0-product")).to_have_value(str(catalogue.pk))
    expect(search).to_have_value("S-002 · 服务器B型 · 4U 四路 至强/512GB")
    expect(page.locator("#id_lines-0-unit_price")).to_have_value("12800.00")
    expect(page.locator("#id_lines-0-unit")).to_have_value("台")
    # The quantity has the focus: typing goes on there.
    expect(page.locator("#id_lines-0-quantity")).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("order-total")).to_have_text("¥38,400.00")
    assert not Order.objects.exists()

    # Escape closes a search and keeps the chosen product.
    search.focus()
    page.keyboard.type("jg")
    expect(options).to_have_count(1)
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)
    page.keyboard.press("Tab")
    expect(search).to_have_value("S-002 · 服务器B型 · 4U 四路 至强/512GB")

    # A second line has a picker of its own.
    page.get_by_test_id("add-line").click()
    second = page.locator("#id_lines-1-product-q")
    # The new row is usable once htmx has processed it (a person is never that fast).
    page.wait_for_function(
        "() => { const box = document.querySelector('#id_lines-1-product-q');"
        " return !!(box && box['htmx-internal-data'] && box['htmx-internal-data'].initHash); }"
    )
    second.fill("S-003")
    expect(page.locator("#id_lines-1-product-results [data-product-pick]")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#id_lines-1-unit")).to_have_value("个")

    page.get_by_role("button", name="保存草稿").click()
    order = Order.objects.get()
    assert order.status == OrderStatus.DRAFT
    assert [line.product.code for line in order.lines.order_by("position")] == ["S-002", "S-003"]

    # Editing the draft shows the chosen products in their boxes.
    page.goto(f"{live_server.url}/orders/{order.pk}/edit/")
    expect(page.locator("#id_lines-0-product-q")).to_have_value(
        "S-002 · 服务器B型 · 4U 四路 至强/512GB"
    )
    expect(page.locator("#id_lines-1-product-q")).to_have_value("S-003 · 服务器机柜 · 42U 标准机柜")
    screenshot("order-form-product-picker-edit")
