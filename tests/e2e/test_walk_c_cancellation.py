"""Walk C, the warehouse side: a confirmed order with reserved stock is
cancelled; the reservation is released (available goes back up) and the warehouse sees
that preparation stopped. The request/approve part belongs to the orders app (its pages
are walked there); here the two steps run through the engine, and fulfillment's hook on
``order.cancel_approve`` releases the stock in the cancellation's transaction."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.actions import perform
from fulfillment import services
from fulfillment.models import AllocationRule, MovementKind, StockLevel, StockMovement, Warehouse
from orders.services.orders import order_recalculate_total
from tests.factories import PASSWORD, OrderFactory, OrderLineFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_walk_c_cancellation_releases_stock_and_stops_the_warehouse(
    page, live_server, login, screenshot
):
    li = UserFactory(username="li", roles=["sales_assistant"])
    keeper = UserFactory(username="wh", last_name="赵", first_name="仓", roles=["warehouse"])
    boss = UserFactory(username="boss", roles=["sales_manager"])
    beijing = Warehouse.objects.create(code="BJ", name="北京仓", city="北京", manager=keeper)
    AllocationRule.objects.create(region="north", warehouse=beijing, priority=10)
    product = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    level = StockLevel.objects.create(warehouse=beijing, product=product, on_hand=Decimal("10"))
    StockMovement.objects.create(
        stock=level, kind=MovementKind.RECEIPT, on_hand_delta=Decimal("10"), reason="期初"
    )
    order = OrderFactory(
        owner=li, created_by=li, status="confirmed", number="202611-007", customer__region="north"
    )
    OrderLineFactory(order=order, product=product, quantity=Decimal("4"))
    order_recalculate_total(order=order)
    services.fulfillment_allocate(order=order)

    login("wh", PASSWORD)
    page.goto(f"{live_server.url}/fulfillment/stock/")
    row = page.locator("[data-testid=stock-row][data-product='S-001'][data-warehouse='BJ']")
    expect(row.locator("[data-available]")).to_have_text("6")
    expect(row.locator("[data-reserved]")).to_have_text("4")

    # The assistant asks to cancel, the manager approves (orders app).
    perform("order.cancel_request", actor=li, obj=order, note="客户预算取消")
    perform("order.cancel_approve", actor=boss, obj=order)

    page.goto(f"{live_server.url}/fulfillment/stock/")
    expect(row.locator("[data-available]")).to_have_text("10")
    expect(row.locator("[data-reserved]")).to_have_text("0")
    page.goto(f"{live_server.url}/fulfillment/warehouse/")
    stopped = page.locator("[data-testid=stopped-row][data-order='202611-007']")
    expect(stopped).to_be_visible()
    expect(stopped).to_contain_text("客户预算取消")
    screenshot("walk-c-warehouse-stopped")
    stopped.get_by_role("link").click()
    expect(page.get_by_test_id("preparation-stopped")).to_be_visible()
    expect(page.get_by_test_id("confirm-stock")).to_have_count(0)
    screenshot("walk-c-order-stopped")
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_text("202611-007").first).to_be_visible()
