"""The ERP's stock reports and the MES's work orders and progress, through the API.

ERP: receipts, goods in transit with their expected date and stock counts become stock
movements with who and why; stock never goes negative; a count below the reservations of
confirmed orders leaves them alone (the ledger's rule) and tells the warehouse; purchase
alerts follow. MES: confirming a line "to be produced" sends a ``workorder.created``
event with the raw-material shortage; progress posted back is a row of the progress table
and meets the day's check-in.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from api.tests import walk_a
from core.models import Notification, SlaClock, SlaKind
from fulfillment import services as fulfillment
from fulfillment.models import (
    BomLine,
    ProgressEntry,
    PurchaseAlert,
    StockLevel,
    StockMovement,
    Warehouse,
)
from orders.models import Product
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
STOCK = "/api/v1/integrations/erp/stock"


@pytest.fixture
def erp(api_client_for):
    return api_client_for("warehouse", name="erp", scopes=["read", "write", "integrations"])


@pytest.fixture
def beijing():
    keeper = UserFactory(username="keeper", roles=["warehouse"])
    return Warehouse.objects.create(code="BJ", name="北京仓", manager=keeper)


@pytest.fixture
def board():
    return ProductFactory(code="MB-01", name="主板", spec="双路")


def _level(warehouse: Warehouse, product: Product) -> StockLevel:
    return StockLevel.objects.get(warehouse=warehouse, product=product)


def _ledger_matches(level: StockLevel) -> bool:
    level.refresh_from_db()
    sums = StockMovement.objects.filter(stock=level).aggregate(
        on_hand=Sum("on_hand_delta"),
        reserved=Sum("reserved_delta"),
        in_transit=Sum("in_transit_delta"),
    )
    return (sums["on_hand"], sums["reserved"], sums["in_transit"]) == (
        level.on_hand,
        level.reserved,
        level.in_transit,
    )


def test_in_transit_then_received_each_once_with_who_and_why(erp, beijing, board):
    expected = timezone.localdate() + timedelta(days=7)
    answer = erp.post_json(
        STOCK,
        {
            "warehouse": "BJ",
            "product": "MB-01",
            "kind": "in_transit",
            "quantity": "20",
            "expected_on": expected.isoformat(),
            "reference": "PO-1001",
            "reason": "采购订单 PO-1001 发货",
        },
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["level"]["in_transit"] == "20.00"
    receipt = {
        "warehouse": "BJ",
        "product": "MB-01",
        "kind": "receipt",
        "quantity": "20",
        "from_transit": True,
        "reference": "GR-2001",
        "reason": "入库单 GR-2001",
    }
    answer = erp.post_json(STOCK, receipt)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["level"]["on_hand"], body["level"]["in_transit"], body["replayed"]) == (
        "20.00",
        "0.00",
        False,
    )
    # The same document again moves nothing.
    again = erp.post_json(STOCK, receipt)
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert again.json()["movement"] == body["movement"]
    level = _level(beijing, board)
    assert (level.on_hand, level.in_transit) == (D("20"), D("0"))
    movements = list(StockMovement.objects.filter(stock=level).order_by("pk"))
    assert [m.kind for m in movements] == ["in_transit", "receipt"]
    assert movements[0].expected_on == expected
    assert {m.actor for m in movements} == {erp.user}
    assert movements[1].reason == "入库单 GR-2001" and movements[1].reference == "GR-2001"
    assert _ledger_matches(level)


def test_stock_never_goes_negative_and_refusals_write_nothing(erp, beijing, board):
    cancel = {
        "warehouse": "BJ",
        "product": "MB-01",
        "kind": "in_transit",
        "quantity": "-5",
        "reason": "取消",
    }
    assert erp.post_json(STOCK, cancel).status_code == 400
    negative = {
        "warehouse": "BJ",
        "product": "MB-01",
        "kind": "level",
        "on_hand": "-1",
        "reason": "盘点",
    }
    assert erp.post_json(STOCK, negative).status_code == 400
    nothing = {
        "warehouse": "BJ",
        "product": "MB-01",
        "kind": "receipt",
        "quantity": "0",
        "reason": "x",
    }
    assert erp.post_json(STOCK, nothing).status_code == 400
    unknown = {
        "warehouse": "XX",
        "product": "MB-01",
        "kind": "receipt",
        "quantity": "1",
        "reason": "x",
    }
    assert erp.post_json(STOCK, unknown).status_code == 404
    assert not StockMovement.objects.exists()


def test_only_a_client_of_the_warehouse_with_the_integrations_scope(api_client_for, beijing, board):
    body = {
        "warehouse": "BJ",
        "product": "MB-01",
        "kind": "receipt",
        "quantity": "1",
        "reason": "x",
    }
    sales = api_client_for("sales_assistant", scopes=["read", "write", "integrations"])
    assert sales.post_json(STOCK, body).status_code == 403
    unscoped = api_client_for("warehouse", scopes=["read", "write"])
    assert unscoped.post_json(STOCK, body).status_code == 403
    assert not StockMovement.objects.exists()


def test_a_count_below_the_reservations_does_not_overwrite_them(erp, beijing):
    server = ProductFactory(code="S-001", name="服务器A型", list_price=D("5000"))
    erp.post_json(
        STOCK,
        {
            "warehouse": "BJ",
            "product": "S-001",
            "kind": "receipt",
            "quantity": "10",
            "reason": "期初",
        },
    )
    owner = UserFactory(roles=["sales_assistant"])
    order = OrderFactory(status="confirmed", owner=owner, created_by=owner)
    OrderLineFactory(order=order, product=server, quantity=D("8"))
    from fulfillment.models import AllocationRule

    AllocationRule.objects.create(region="", warehouse=beijing, priority=1)
    fulfillment.fulfillment_allocate(order=order)
    level = _level(beijing, server)
    assert (level.on_hand, level.reserved) == (D("10"), D("8"))
    # The ERP counted only 5: on hand stays at the 8 reserved for the order, 3 in conflict.
    answer = erp.post_json(
        STOCK,
        {
            "warehouse": "BJ",
            "product": "S-001",
            "kind": "level",
            "on_hand": "5",
            "reference": "PD-01",
            "reason": "月末盘点",
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (
        body["conflict"],
        body["on_hand_delta"],
        body["level"]["on_hand"],
        body["level"]["reserved"],
    ) == (
        "3.00",
        "-2.00",
        "8.00",
        "8.00",
    )
    assert order.fulfillment.lines.get().reserved == D("8")
    told = Notification.objects.get(
        recipient=beijing.manager, title_msg__key__startswith="ERP count below"
    )
    assert "3" in told.body_text
    assert _ledger_matches(level)


def test_purchase_alerts_follow_the_erp(erp, beijing, board):
    count = {
        "warehouse": "BJ",
        "product": "MB-01",
        "kind": "level",
        "on_hand": "4",
        "safety_stock": "10",
        "reason": "盘点",
    }
    assert erp.post_json(STOCK, count).status_code == 201
    level = _level(beijing, board)
    alert = PurchaseAlert.objects.get(stock=level)
    assert alert.resolved_at is None and alert.available == D("4")
    receipt = {
        "warehouse": "BJ",
        "product": "MB-01",
        "kind": "receipt",
        "quantity": "10",
        "reason": "到货",
    }
    assert erp.post_json(STOCK, receipt).status_code == 201
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_a_line_to_produce_sends_its_work_order_with_the_shortage_and_progress_comes_back(
    api_client_for,
):
    team = walk_a.people()
    order = walk_a.confirmed_order(team)
    mes = api_client_for(
        "warehouse", name="mes", scopes=["read", "write", "integrations", "webhooks"]
    )
    subscribed = mes.post_json(
        "/api/v1/integrations/webhooks",
        {"url": "https://mes.example.com/hook", "event_types": ["workorder.created"]},
    )
    assert subscribed.status_code == 201, subscribed.content
    # Bill of materials: one server needs 2 boards; 12 boards in Beijing, 10 more on the way.
    server = Product.objects.get(code="S-001")
    board = ProductFactory(code="MB-01", name="主板")
    BomLine.objects.create(product=server, component=board, quantity=D("2"))
    warehouse = Warehouse.objects.get(code="BJ")
    level = fulfillment.stock_level_get(warehouse=warehouse, product=board)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=D("12"))
    expected = timezone.localdate() + timedelta(days=3)
    erp = api_client_for("warehouse", name="erp", scopes=["integrations"])
    erp.post_json(
        STOCK,
        {
            "warehouse": "BJ",
            "product": "MB-01",
            "kind": "in_transit",
            "quantity": "10",
            "expected_on": expected.isoformat(),
            "reason": "PO",
        },
    )
    deliverable = timezone.localdate() + timedelta(days=20)
    fulfillment.fulfillment_confirm_stock(
        actor=team["keeper"],
        order=order,
        line_statuses={order.lines.get().pk: "to_produce"},
        deliverable_date=deliverable,
    )
    delivery = WebhookDelivery.objects.get(
        subscription=WebhookSubscription.objects.get(client=mes.api_client)
    )
    work_order = delivery.payload["data"]["work_order"]
    assert delivery.payload["type"] == "workorder.created"
    assert work_order["number"] == f"WO-{order.number}-01"
    assert work_order["product"] == {"code": "S-001", "name": "服务器A型"}
    assert (work_order["spec"], work_order["quantity"], work_order["required_date"]) == (
        "S-001",
        "10.00",
        deliverable.isoformat(),
    )
    # 10 servers × 2 boards = 20 needed, 12 there: 8 short, 10 in transit, due on `expected`.
    assert work_order["raw_material_shortage"] == [
        {
            "component": "MB-01",
            "name": "主板",
            "needed": "20.00",
            "available": "12.00",
            "short": "8.00",
            "in_transit": "10.00",
            "expected_on": expected.isoformat(),
        }
    ]
    # The MES can read the same work orders.
    read = mes.get(f"/api/v1/integrations/mes/orders/{order.pk}/work-orders")
    assert read.status_code == 200 and read.json()[0]["raw_material_shortage"][0]["short"] == "8.00"
    # Progress from the MES: a row of the progress table, and today's check-in is met.
    checkin = SlaClock.objects.open().for_target(order).get(kind=SlaKind.PREPARATION_CHECKIN)
    answer = mes.post_json(
        "/api/v1/integrations/mes/progress",
        {
            "order": order.pk,
            "work_order": work_order["number"],
            "stage": "production",
            "planned_start": timezone.localdate().isoformat(),
            "planned_end": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "actual_start": timezone.localdate().isoformat(),
            "note": "主板已上线 6/10",
        },
    )
    assert answer.status_code == 201, answer.content
    entry = ProgressEntry.objects.get(pk=answer.json()["id"])
    assert entry.order == order and entry.owner == mes.user and entry.recorded_by == mes.user
    assert entry.note == f"[{work_order['number']}] 主板已上线 6/10"
    checkin.refresh_from_db()
    assert checkin.met_at is not None
    # A client of another role may not report progress: 403, nothing recorded.
    sales = api_client_for("sales_assistant", scopes=["integrations"])
    refused = sales.post_json(
        "/api/v1/integrations/mes/progress",
        {"order": order.pk, "planned_end": timezone.localdate().isoformat()},
    )
    assert refused.status_code == 403
    assert ProgressEntry.objects.filter(order=order).count() == 1
