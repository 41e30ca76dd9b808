"""Faults inside fulfillment's hooks on the orders app's steps (fulfillment/actions.py).

Stock is reserved by a hook on the final approval and released by a hook on the
cancellation, inside the approving or cancelling transaction: when the stock part
fails, the approval or cancellation is not done either — nothing is half-written.
"""

from decimal import Decimal

import pytest
from django.db import DatabaseError

from core.actions import perform
from core.models import Notification, SlaClock, SlaKind
from fulfillment import services
from fulfillment.models import OrderFulfillment, StockMovement
from fulfillment.tests.conftest import ledger_matches, make_order, put_stock
from orders.models import OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


def broken(*args, **kwargs):
    raise DatabaseError("stock table locked out")


@pytest.fixture
def director(make_user):
    return make_user("sales_director", username="director")


def test_a_failed_reservation_rolls_back_the_managers_approval_whole(
    assistant, manager, beijing, server_a, monkeypatch
):
    level = put_stock(beijing, server_a, 10)
    order = make_order(assistant, server_a, 1, status="pending_approval")  # 5,000: no director
    monkeypatch.setattr(services, "line_reserve", broken)
    with pytest.raises(DatabaseError):
        perform("order.approve", actor=manager, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert order.approved_by is None and order.confirmed_at is None
    assert not OrderEvent.objects.filter(order=order).exists()
    assert not OrderFulfillment.objects.filter(order=order).exists()
    assert not StockMovement.objects.filter(order=order).exists()
    level.refresh_from_db()
    assert level.reserved == 0
    assert not Notification.objects.exists()
    assert not SlaClock.objects.exists()

    monkeypatch.undo()
    perform("order.approve", actor=manager, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    level.refresh_from_db()
    assert level.reserved == 1 and ledger_matches(level)


def test_a_failed_reservation_rolls_back_the_directors_approval_whole(
    assistant, manager, director, beijing, server_a, monkeypatch
):
    level = put_stock(beijing, server_a, 10)
    order = make_order(assistant, server_a, 4, status="pending_approval")  # 20,000: director
    perform("order.approve", actor=manager, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR
    events = OrderEvent.objects.filter(order=order).count()
    monkeypatch.setattr(services, "fulfillment_create", broken)
    with pytest.raises(DatabaseError):
        perform("order.director_approve", actor=director, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR
    assert order.director_approved_by is None and order.confirmed_at is None
    assert OrderEvent.objects.filter(order=order).count() == events
    assert not OrderEvent.objects.filter(order=order, action="director_approve").exists()
    assert not OrderFulfillment.objects.filter(order=order).exists()
    level.refresh_from_db()
    assert level.reserved == 0


def test_a_failed_release_rolls_back_the_cancellation_whole(
    assistant, manager, keeper, beijing, server_a, monkeypatch
):
    level = put_stock(beijing, server_a, 10)
    order = make_order(assistant, server_a, 4)
    services.fulfillment_allocate(order=order)
    perform("order.cancel_request", actor=assistant, obj=order, note="客户预算取消")
    events = OrderEvent.objects.filter(order=order).count()
    notifications = Notification.objects.count()
    monkeypatch.setattr(services, "line_release", broken)
    with pytest.raises(DatabaseError):
        perform("order.cancel_approve", actor=manager, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.cancel_requested_at is not None  # the request still waits for a decision
    assert OrderEvent.objects.filter(order=order).count() == events
    assert not OrderEvent.objects.filter(order=order, action="cancel").exists()
    fulfillment = OrderFulfillment.objects.get(order=order)
    assert not fulfillment.is_stopped
    assert fulfillment.lines.get().reserved == Decimal("4")
    level.refresh_from_db()
    assert level.reserved == 4 and ledger_matches(level)
    assert Notification.objects.count() == notifications
    assert SlaClock.objects.open().for_target(order).filter(kind=SlaKind.DELIVERY_RISK).exists()

    monkeypatch.undo()
    perform("order.cancel_approve", actor=manager, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    level.refresh_from_db()
    assert level.reserved == 0 and ledger_matches(level)
