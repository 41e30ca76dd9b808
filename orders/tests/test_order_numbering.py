import threading
from datetime import date

import pytest
from django.db import connection, transaction

from orders.models import Order, OrderStatus
from orders.services.orders import order_number_next, order_submit
from tests.factories import OrderFactory, OrderLineFactory, UserFactory


@pytest.mark.django_db
def test_numbers_follow_the_month_and_restart_each_month():
    assert order_number_next(on=date(2024, 5, 10)) == "202405-001"
    assert order_number_next(on=date(2024, 5, 31)) == "202405-002"
    assert order_number_next(on=date(2024, 6, 1)) == "202406-001"


@pytest.mark.django_db
def test_pattern_is_a_setting(settings):
    settings.ORDER_NUMBER_PATTERN = "SO{year:04d}{month:02d}{serial:04d}"
    assert order_number_next(on=date(2026, 11, 23)) == "SO2026110001"


@pytest.mark.django_db
def test_a_failed_submit_gives_its_number_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        order_number_next(on=date(2026, 1, 5))
        raise RuntimeError("the submit failed after numbering")
    assert order_number_next(on=date(2026, 1, 5)) == "202601-001"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submits_get_twenty_consecutive_numbers():
    creator = UserFactory(roles=["sales_assistant"])
    orders = []
    for _ in range(20):
        order = OrderFactory(owner=creator, created_by=creator)
        OrderLineFactory(order=order)
        orders.append(order)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def submit(order):
        try:
            barrier.wait(timeout=10)
            order_submit(actor=creator, order=order)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    numbers = sorted(Order.objects.values_list("number", flat=True))
    serials = [int(number.split("-")[1]) for number in numbers]
    assert serials == list(range(1, 21))
    assert len(set(numbers)) == 20
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.PENDING_REVIEW}
