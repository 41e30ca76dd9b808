"""The order form in the browser says what happened: a submit that lacks the payment terms
keeps the order as a draft and says so (not "nothing has been saved")."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderStatus
from orders.services.orders import order_recalculate_total
from tests.factories import PASSWORD, OrderFactory, OrderLineFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_submit_without_payment_terms_says_the_draft_was_saved(
    page, live_server, login, screenshot
):
    li = UserFactory(username="li", last_name="王", first_name="丽", roles=["sales_assistant"])
    order = OrderFactory(owner=li, created_by=li, payment_terms="")
    OrderLineFactory(order=order, product=ProductFactory(list_price=Decimal("5000")))
    order_recalculate_total(order=order)

    login("li", PASSWORD)
    page.goto(f"{live_server.url}/orders/{order.pk}/edit/")
    page.get_by_role("button", name="提交审核").click()
    banner = page.get_by_test_id("entry-outcome")
    expect(banner).to_have_attribute("data-outcome", "draft_incomplete")
    expect(page.locator('[data-field-error="payment_terms"]')).to_be_visible()
    assert "nothing has been saved" not in page.content().lower()
    screenshot("order-form-draft-saved-not-submitted")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT
