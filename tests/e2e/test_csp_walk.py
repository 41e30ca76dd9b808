"""With the content security policy on, htmx pages still work and nothing is blocked."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, CustomerFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_order_entry_customer_search_works_under_the_policy(page, live_server, login):
    UserFactory(username="csp_li", roles=["sales_assistant"])
    CustomerFactory(name="星河电子有限公司")
    ProductFactory(code="S-CSP", list_price=Decimal("5000"))
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))

    login("csp_li", PASSWORD)
    response = page.goto(f"{live_server.url}/orders/new/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#customer-search", "星河")
    pick = page.locator("[data-customer-pick]").first
    expect(pick).to_contain_text("星河电子有限公司")  # the htmx search answered
    pick.click()
    expect(page.get_by_test_id("selected-customer")).to_contain_text("星河电子有限公司")
    assert violations == []
