from decimal import Decimal

import pytest

from fulfillment.models import AllocationRule, MovementKind, StockLevel, StockMovement, Warehouse
from orders.services.orders import order_recalculate_total
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory


@pytest.fixture
def keeper(make_user):
    return make_user("warehouse", username="keeper")


@pytest.fixture
def shipper(make_user):
    return make_user("logistics", username="shipper")


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", username="boss")


@pytest.fixture
def assistant(make_user):
    return make_user("sales_assistant", username="assistant_li")


@pytest.fixture
def beijing(keeper):
    warehouse = Warehouse.objects.create(code="BJ", name="北京仓", city="北京", manager=keeper)
    AllocationRule.objects.create(region="north", warehouse=warehouse, priority=10)
    return warehouse


@pytest.fixture
def shanghai(keeper):
    warehouse = Warehouse.objects.create(code="SH", name="上海仓", city="上海", manager=keeper)
    AllocationRule.objects.create(region="", warehouse=warehouse, priority=90)
    return warehouse


@pytest.fixture
def server_a():
    return ProductFactory(code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000"))


def put_stock(warehouse, product, quantity, safety=0):
    """Opening stock, booked through the ledger like every change."""
    level, _created = StockLevel.objects.get_or_create(warehouse=warehouse, product=product)
    StockLevel.objects.filter(pk=level.pk).update(
        on_hand=level.on_hand + Decimal(quantity), safety_stock=Decimal(safety)
    )
    StockMovement.objects.create(
        stock=level, kind=MovementKind.RECEIPT, on_hand_delta=Decimal(quantity), reason="opening"
    )
    level.refresh_from_db()
    return level


def make_order(owner, product, quantity, *, status="confirmed", region="north", **kwargs):
    order = OrderFactory(
        owner=owner, created_by=owner, status=status, customer__region=region, **kwargs
    )
    OrderLineFactory(order=order, product=product, quantity=Decimal(quantity))
    order_recalculate_total(order=order)
    return order


def ledger_matches(level) -> bool:
    from django.db.models import Sum

    level.refresh_from_db()
    sums = StockMovement.objects.filter(stock=level).aggregate(
        on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
    )
    return (sums["on_hand"] or 0) == level.on_hand and (sums["reserved"] or 0) == level.reserved
