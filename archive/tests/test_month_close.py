"""Closing a month: finished orders become archived and read-only; open ones carry over."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from archive.models import MonthClose
from archive.month_close import month_close
from core.errors import Forbidden
from orders.models import Order, OrderArchivedError, OrderEvent, OrderLine, OrderStatus
from tests.factories import OrderFactory, OrderLineFactory

SH = ZoneInfo("Asia/Shanghai")


def finished(status, when, **kwargs):
    order = OrderFactory(status=status, **{"order_date": when.date(), **kwargs})
    OrderLineFactory(order=order)
    OrderEvent.objects.create(order=order, kind="transition", to_status=status, created_at=when)
    return order


@pytest.fixture
def admin(make_user):
    return make_user("data_admin", username="dataadmin_zheng")


def test_closing_archives_finished_orders_and_carries_open_ones(admin):
    done = finished("completed", datetime(2026, 10, 20, 10, tzinfo=SH))
    gone = finished("cancelled", datetime(2026, 10, 5, 10, tzinfo=SH))
    late = finished(
        "completed", datetime(2026, 11, 2, 10, tzinfo=SH), order_date=date(2026, 10, 28)
    )
    open_order = OrderFactory(status="preparing", order_date=date(2026, 10, 15))

    close = month_close(actor=admin, year=2026, month=10)
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses[done.pk] == statuses[gone.pk] == OrderStatus.ARCHIVED
    assert statuses[late.pk] == "completed"  # finished after the month ended
    assert statuses[open_order.pk] == "preparing"
    assert (close.archived, close.carried_over, close.runs, close.closed_by) == (2, 2, 1, admin)
    assert OrderEvent.objects.filter(order=done, action="archive", actor=admin).exists()


def test_closing_again_is_idempotent_and_records_the_run(admin):
    finished("completed", datetime(2026, 10, 20, 10, tzinfo=SH))
    month_close(actor=admin, year=2026, month=10)
    again = month_close(actor=admin, year=2026, month=10)
    assert (again.archived, again.runs) == (1, 2)
    assert MonthClose.objects.count() == 1
    assert OrderEvent.objects.filter(action="archive").count() == 1


def test_an_archived_order_is_read_only_in_the_model(admin):
    order = finished("completed", datetime(2026, 10, 20, 10, tzinfo=SH))
    month_close(actor=admin, year=2026, month=10)
    order = Order.objects.get(pk=order.pk)
    order.special_requirements = "改一下"
    with pytest.raises(OrderArchivedError):
        order.save()
    line = OrderLine.objects.get(order=order)
    line.quantity = 99
    with pytest.raises(OrderArchivedError):
        line.save()
    with pytest.raises(OrderArchivedError):
        line.delete()


def test_hand_made_posts_on_an_archived_order_are_refused(client, admin):
    order = finished("completed", datetime(2026, 10, 20, 10, tzinfo=SH))
    month_close(actor=admin, year=2026, month=10)
    client.force_login(order.created_by)
    order.created_by.groups.add(Group.objects.get(name="sales_assistant"))
    # Archived is read-only (core.errors.ReadOnly): the refusal page with 409.
    assert client.post(f"/orders/{order.pk}/edit/", {"action": "draft"}).status_code == 409
    assert client.post(f"/orders/{order.pk}/change/", {"reason": "x"}).status_code == 409
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ARCHIVED


def test_only_the_data_admin_closes_months(client, make_user, admin):
    with pytest.raises(Forbidden):
        month_close(actor=make_user("sales_manager"), year=2026, month=10)
    client.force_login(make_user("sales_assistant"))
    assert client.post("/reports/archive/", {"month": "2026-10"}).status_code == 403
    client.force_login(admin)
    response = client.post("/reports/archive/", {"month": "2026-10"})
    assert response.status_code == 302 and MonthClose.objects.get().period == "2026-10"
    page = client.get("/reports/archive/").content.decode()
    assert "2026-10" in page
    bad = client.post("/reports/archive/", {"month": "2099-01"}).content.decode()
    assert 'data-field-error="month"' in bad


def test_a_month_of_hundreds_of_orders_is_archived_order_by_order_in_batches(admin):
    """Each order takes its own ``order.archive`` step (its timeline row), 100 per batch;
    the month's record counts them batch by batch."""
    template = OrderFactory(status="completed", order_date=date(2026, 10, 3))
    when = datetime(2026, 10, 20, 10, tzinfo=SH)
    orders = Order.objects.bulk_create(
        Order(
            customer_id=template.customer_id,
            owner_id=template.owner_id,
            created_by_id=template.created_by_id,
            status="completed",
            order_date=date(2026, 10, 3),
            contact_name="王经理",
        )
        for _ in range(299)
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, kind="transition", to_status="completed", created_at=when)
        for order in [template, *orders]
    )

    close = month_close(actor=admin, year=2026, month=10, batch=100)

    assert close.archived == 300 and close.runs == 1
    assert not Order.objects.exclude(status=OrderStatus.ARCHIVED).exists()
    archived = OrderEvent.objects.filter(action="archive", to_status=OrderStatus.ARCHIVED)
    assert archived.count() == 300
    assert set(archived.values_list("from_status", "actor", "note").distinct()) == {
        ("completed", admin.pk, "2026-10")
    }
