"""The order status counters kept by database triggers stay exact, whatever writes the orders."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Count, Sum

from orders.models import Order, OrderStatus, OrderStatusCount
from orders.services import orders as services
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory


def _counters() -> dict[str, int]:
    rows = OrderStatusCount.objects.values("status").annotate(total=Sum("n"))
    return {row["status"]: row["total"] for row in rows if row["total"]}


def _actual() -> dict[str, int]:
    rows = Order.objects.order_by().values("status").annotate(total=Count("pk"))
    return {row["status"]: row["total"] for row in rows}


@pytest.mark.django_db
def test_every_way_of_writing_orders_keeps_the_counters_exact(make_user):
    assistant = make_user("sales_assistant")
    order = OrderFactory(status=OrderStatus.DRAFT, owner=assistant, created_by=assistant)
    OrderLineFactory(order=order)
    OrderFactory.create_batch(3, status=OrderStatus.PENDING_REVIEW)
    assert _counters() == _actual() == {"draft": 1, "pending_review": 3}

    services.order_submit(actor=assistant, order=order)  # an FSM transition
    customer = CustomerFactory()
    Order.objects.bulk_create(  # the spreadsheet import's path
        Order(
            status=OrderStatus.COMPLETED,
            customer=customer,
            owner=assistant,
            created_by=assistant,
            contact_name="王经理",
            total_amount=Decimal("10.00"),
        )
        for _ in range(5)
    )
    Order.objects.filter(status=OrderStatus.COMPLETED).update(status=OrderStatus.ARCHIVED)
    with connection.cursor() as cursor:  # even a hand-written statement
        cursor.execute("UPDATE orders_order SET status = 'rejected' WHERE id = %s", [order.pk])
    Order.objects.filter(status=OrderStatus.PENDING_REVIEW).first().delete()
    Order.objects.filter(pk=order.pk).update(contact_name="李四")  # no status change
    assert _counters() == _actual() == {"pending_review": 2, "archived": 5, "rejected": 1}


@pytest.mark.django_db
def test_compaction_folds_the_rows_and_keeps_the_sums():
    for status in (OrderStatus.DRAFT, OrderStatus.DRAFT, OrderStatus.CONFIRMED):
        OrderFactory(status=status)
    Order.objects.filter(status=OrderStatus.CONFIRMED).update(status=OrderStatus.PREPARING)
    before = _counters()
    assert OrderStatusCount.objects.count() > len(before)
    folded = services.order_status_counts_compact()
    assert folded > 0
    assert _counters() == before == _actual()
    # One row per status left, none for a status that nets to zero ("confirmed").
    assert sorted(OrderStatusCount.objects.values_list("status", flat=True)) == sorted(before)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_compactions_lose_nothing():
    """Writers append while compactions fold: no lock waits between writers, exact sums."""
    from tests.factories import UserFactory

    owner = UserFactory()
    customer = CustomerFactory()
    errors: list[str] = []
    barrier = threading.Barrier(6)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                made = Order.objects.create(
                    status=OrderStatus.DRAFT,
                    customer=customer,
                    owner=owner,
                    created_by=owner,
                    contact_name=f"联系人{n}-{i}",
                )
                Order.objects.filter(pk=made.pk).update(status=OrderStatus.PENDING_REVIEW)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    def compactor() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                services.order_status_counts_compact()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=compactor) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _counters() == _actual() == {"pending_review": 40}
    services.order_status_counts_compact()
    assert _counters() == {"pending_review": 40}
