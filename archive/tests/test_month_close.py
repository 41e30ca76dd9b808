"""Closing a month: finished orders become archived and read-only; open ones carry over."""

from calendar import monthrange
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.html import escape

from archive.exceptions import ArchiveInvalid
from archive.models import MonthClose
from archive.month_close import MonthNotOver, last_full_month, month_close, month_not_over_message
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


# --- which month: the last full one by default; an unfinished one only when confirmed ---


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def test_the_page_offers_the_last_full_month(client, admin):
    client.force_login(admin)
    page = client.get("/reports/archive/").content.decode()
    year, month = last_full_month()
    assert f'name="month" value="{year}-{month:02d}"' in page
    assert last_full_month(date(2027, 1, 5)) == (2026, 12)
    assert last_full_month(date(2026, 11, 28)) == (2026, 10)


def test_an_empty_month_is_a_form_error_not_a_default(client, admin):
    client.force_login(admin)
    response = client.post("/reports/archive/", {"month": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field-error="month"' in page
    year, month = last_full_month()
    assert f"{year}-{month:02d}" in page  # the error gives an example
    assert not MonthClose.objects.exists()


@pytest.mark.parametrize("value", ["0000-01", "0001-01", "9999-12", "2026-13", "abc", "2026"])
def test_a_month_that_is_no_month_is_a_form_error(client, admin, value):
    client.force_login(admin)
    response = client.post("/reports/archive/", {"month": value})
    assert response.status_code == 200
    assert 'data-field-error="month"' in response.content.decode()
    assert not MonthClose.objects.exists()


def test_closing_the_current_month_needs_a_confirmation_that_says_what_it_does(client, admin):
    today = timezone.localdate()
    done = finished("completed", timezone.now() - timedelta(minutes=5), order_date=today)
    client.force_login(admin)

    response = client.post("/reports/archive/", {"month": this_month()})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="unfinished-month-warning"' in page
    assert 'data-field-error="confirm_unfinished"' in page
    message = month_not_over_message(today.year, today.month)
    last_day = date(today.year, today.month, monthrange(today.year, today.month)[1])
    assert this_month() in message and f"{last_day:%Y-%m-%d}" in message
    assert escape(message) in page
    assert Order.objects.get(pk=done.pk).status == "completed"
    assert not MonthClose.objects.exists()

    response = client.post("/reports/archive/", {"month": this_month(), "confirm_unfinished": "on"})
    assert response.status_code == 302
    assert Order.objects.get(pk=done.pk).status == OrderStatus.ARCHIVED
    assert MonthClose.objects.get().period == this_month()


def test_a_finished_month_needs_no_confirmation(client, admin):
    client.force_login(admin)
    year, month = last_full_month()
    response = client.post("/reports/archive/", {"month": f"{year}-{month:02d}"})
    assert response.status_code == 302
    assert MonthClose.objects.get().period == f"{year}-{month:02d}"


def test_the_service_refuses_an_unfinished_month_without_the_confirmation(admin):
    today = timezone.localdate()
    with pytest.raises(MonthNotOver):
        month_close(actor=admin, year=today.year, month=today.month)
    assert not MonthClose.objects.exists()
    close = month_close(actor=admin, year=today.year, month=today.month, unfinished_confirmed=True)
    assert close.period == this_month()
    future = today.replace(day=1) + timedelta(days=32)
    with pytest.raises(ArchiveInvalid):
        month_close(actor=admin, year=future.year, month=future.month, unfinished_confirmed=True)
