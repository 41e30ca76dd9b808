"""Walk A step 4 (manager then director, confirmation PDF), walk B (small order),
walk C's request/approve part and walk E at approval (a warehouse user cannot approve)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from orders.models import Order, OrderStatus
from orders.services import orders as services
from tests.factories import PASSWORD, OrderFactory, OrderLineFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people():
    return {
        "li": UserFactory(
            username="li", last_name="王", first_name="丽", roles=["sales_assistant"]
        ),
        "boss": UserFactory(
            username="boss", last_name="李", first_name="强", roles=["sales_manager"]
        ),
        "zhao": UserFactory(
            username="zhao", last_name="赵", first_name="总", roles=["sales_director"]
        ),
        "wh": UserFactory(username="wh", roles=["warehouse"]),
    }


def order_waiting_for_approval(people, *, quantity, price, number, terms="net_30", customer=None):
    product = ProductFactory(
        code=f"S-{number[-3:]}", name="服务器A型", spec="S-001", list_price=Decimal(price)
    )
    customer_fields = (
        {"customer": customer}
        if customer is not None
        else {"customer__name": "新客户科技有限公司", "customer__credit_limit": Decimal("500000")}
    )
    order = OrderFactory(
        owner=people["li"],
        created_by=people["li"],
        number=number,
        payment_terms=terms,
        status=OrderStatus.PENDING_APPROVAL,
        **customer_fields,
    )
    OrderLineFactory(
        order=order, product=product, quantity=Decimal(quantity), unit_price=Decimal(price)
    )
    services.order_recalculate_total(order=order)
    return order


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)


def test_walk_a_step_4_manager_then_director_and_the_confirmation_pdf(
    page, live_server, login, people, screenshot
):
    # Walk A as written: a customer new to the company (the credit policy's first limit, no
    # limit typed by anyone) and "30% in advance, balance on delivery" — no credit hold.
    new_customer = Customer.objects.create(
        code="C09001", name="新客户科技有限公司", region="north", industry="it"
    )
    order = order_waiting_for_approval(
        people,
        quantity=10,
        price="5000",
        number="202611-001",
        terms="deposit_30",
        customer=new_customer,
    )
    login("boss", PASSWORD)
    screenshot("walk-a-4-manager-home")
    page.get_by_role("link", name="审批").first.click()
    row = page.locator('tr[data-order="202611-001"]')
    expect(row).to_contain_text("¥50,000.00")
    screenshot("walk-a-4-inbox")
    expect(row.locator('[data-action="release_and_approve"]')).to_have_count(0)
    row.locator('[data-action="approve"]').click()
    expect(page.locator(".alert-success")).to_contain_text("等待销售总监终审")
    assert not Order.objects.get(pk=order.pk).credit_hold

    switch_user(page, login, "zhao")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.get_by_test_id("director-reasons")).to_contain_text("超过")
    page.locator('[data-action="approve"]').click()
    expect(page.get_by_test_id("order-status")).to_have_text("已确认")
    screenshot("walk-a-4-confirmed")

    page.get_by_role("link", name="订单确认单").click()
    expect(page.locator("body")).to_contain_text("新客户科技有限公司")
    response = page.request.get(f"{live_server.url}/orders/{order.pk}/confirmation.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_walk_b_small_order_goes_straight_to_confirmed(page, live_server, login, people):
    order = order_waiting_for_approval(people, quantity=3, price="2000", number="202611-002")
    login("boss", PASSWORD)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator('[data-action="approve"]').click()
    expect(page.get_by_test_id("order-status")).to_have_text("已确认")
    expect(page.locator("#timeline")).not_to_contain_text("待总监审批")


def test_walk_c_cancellation_request_and_approval(page, live_server, login, people):
    order = order_waiting_for_approval(people, quantity=3, price="2000", number="202611-003")
    services.order_approve(actor=people["boss"], order=order)
    login("li", PASSWORD)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator("summary", has_text="申请取消").click()
    page.locator('form[action$="cancel-request/"] textarea').fill("客户取消采购计划")
    page.locator('[data-action="cancel_request"]').click()
    expect(page.get_by_test_id("cancel-requested")).to_contain_text("客户取消采购计划")

    switch_user(page, login, "boss")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator('[data-action="cancel_approve"]').click()
    expect(page.get_by_test_id("order-status")).to_have_text("已取消")


def test_walk_e_warehouse_cannot_approve(page, live_server, login, people):
    order = order_waiting_for_approval(people, quantity=1, price="100", number="202611-004")
    login("wh", PASSWORD)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator('[data-action="approve"]')).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/orders/{order.pk}/approve/",
        form={},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url},
        max_redirects=0,
    )
    assert response.status == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_APPROVAL
