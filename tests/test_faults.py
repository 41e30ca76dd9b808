"""Faults: a failure in the middle of a multi-step service leaves nothing half-written."""

from decimal import Decimal

import pytest
from django.db import DatabaseError

from core import actions as engine
from core.models import Notification, SlaClock
from orders.actions import orders as actions
from orders.models import Order, OrderEvent, OrderNumberCounter, OrderStatus
from orders.services import orders as services
from tests.factories import OrderFactory, OrderLineFactory


@pytest.fixture
def submitted(make_user):
    assistant = make_user("sales_assistant")
    order = OrderFactory(owner=assistant, created_by=assistant)
    OrderLineFactory(order=order, quantity=Decimal("2"))
    return services.order_submit(actor=assistant, order=order)


def test_a_database_error_after_the_transition_rolls_back_the_whole_step(
    submitted, make_user, monkeypatch
):
    """request_info = transition + timeline + clock + notification; the clock insert fails."""
    reviewer = make_user("sales_assistant")

    def broken_clock(**kwargs):
        raise DatabaseError("connection lost while starting the clock")

    monkeypatch.setattr(actions, "sla_clock_start", broken_clock)
    with pytest.raises(DatabaseError):
        services.order_request_info(actor=reviewer, order=submitted, reason="交付日期不明确")
    order = Order.objects.get(pk=submitted.pk)
    assert order.status == OrderStatus.PENDING_REVIEW
    assert not OrderEvent.objects.filter(order=order, action="request_info").exists()
    assert not SlaClock.objects.exists()
    assert not Notification.objects.exists()


def test_a_failed_submit_keeps_no_number_and_gives_the_serial_back(make_user, monkeypatch):
    assistant = make_user("sales_assistant")
    order = OrderFactory(owner=assistant, created_by=assistant)
    OrderLineFactory(order=order)

    def broken_event(*args, **kwargs):
        raise DatabaseError("disk full while writing the timeline")

    # The timeline row is the last write of the step (the engine's event writer).
    monkeypatch.setitem(engine._event_writers, Order, broken_event)
    with pytest.raises(DatabaseError):
        services.order_submit(actor=assistant, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and order.number is None
    assert not OrderNumberCounter.objects.filter(last_serial__gt=0).exists()


def test_a_failed_approval_leaves_no_half_confirmed_order(make_user, monkeypatch):
    assistant, manager = make_user("sales_assistant"), make_user("sales_manager")
    order = OrderFactory(
        owner=assistant,
        created_by=assistant,
        status="pending_approval",
        number="202611-777",
        customer__credit_limit=Decimal("1000000"),
    )
    OrderLineFactory(order=order, quantity=Decimal("1"), unit_price=Decimal("100"))
    services.order_recalculate_total(order=order)

    def broken_notify(*args, **kwargs):
        raise DatabaseError("notification table locked out")

    monkeypatch.setattr(actions, "order_notify", broken_notify)
    with pytest.raises(DatabaseError):
        services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert order.approved_by is None and order.confirmed_at is None
    assert not OrderEvent.objects.filter(order=order, action="approve").exists()
