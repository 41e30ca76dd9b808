"""The "my work" page offers only orders the engine lets the user decide on: the review,
approval and cancellation lists use the actions' four-eyes rule (orders/predicates/orders.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from core.actions import allowed
from orders.models import OrderEvent, OrderEventKind, OrderStatus
from tests.factories import OrderFactory, OrderLineFactory

MY_WORK = reverse("core:my_work")


def _work(client, user, key):  # type: ignore[no-untyped-def]
    """The page as ``user`` sees it, and the orders one work source lists for them."""
    from core.work import work_for

    client.force_login(user)
    page = client.get(MY_WORK).content.decode()
    (row,) = [row for row in work_for(user) if row["key"] == key]
    return page, {obj["url"] for obj in row["objects"]}


def _edited_by(order, user):  # type: ignore[no-untyped-def]
    OrderEvent.objects.create(order=order, kind=OrderEventKind.EDIT, action="edit", actor=user)


def test_the_review_list_leaves_out_orders_one_owns_or_edited(client, make_user):
    entered_by = make_user("sales_assistant")
    reviewer, owner, editor = (make_user("sales_assistant") for _ in range(3))
    mine = OrderFactory(created_by=entered_by, owner=owner, status=OrderStatus.PENDING_REVIEW)
    OrderLineFactory(order=mine)
    _edited_by(mine, editor)

    page, listed = _work(client, reviewer, "orders_to_review")
    assert listed == {mine.get_absolute_url()}
    assert mine.get_absolute_url() in page
    assert allowed("order.pass_review", reviewer, mine)
    for user in (entered_by, owner, editor):
        page, listed = _work(client, user, "orders_to_review")
        assert listed == set()
        assert mine.get_absolute_url() not in page
        assert not allowed("order.pass_review", user, mine)


def test_the_approval_list_leaves_out_orders_the_manager_owns_or_edited(client, make_user):
    assistant = make_user("sales_assistant")
    approver, owning, editing = (make_user("sales_manager") for _ in range(3))
    order = OrderFactory(created_by=assistant, owner=owning, status=OrderStatus.PENDING_APPROVAL)
    OrderLineFactory(order=order)
    _edited_by(order, editing)

    _page, listed = _work(client, approver, "orders_to_approve")
    assert listed == {order.get_absolute_url()}
    assert allowed("order.approve", approver, order)
    for manager in (owning, editing):
        page, listed = _work(client, manager, "orders_to_approve")
        assert listed == set()
        assert order.get_absolute_url() not in page
        assert not allowed("order.approve", manager, order)


def test_the_cancellation_list_leaves_out_ones_own_orders_requests_and_archived(client, make_user):
    assistant = make_user("sales_assistant")
    deciding, owning, asking = (make_user("sales_manager") for _ in range(3))
    requested = {"cancel_requested_at": timezone.now(), "cancel_requested_by": asking}
    open_request = OrderFactory(
        created_by=assistant, owner=owning, status=OrderStatus.CONFIRMED, **requested
    )
    archived = OrderFactory(created_by=assistant, status=OrderStatus.ARCHIVED, **requested)

    _page, listed = _work(client, deciding, "cancellations_to_decide")
    assert listed == {open_request.get_absolute_url()}
    assert allowed("order.cancel_approve", deciding, open_request)
    assert not allowed("order.cancel_approve", deciding, archived)
    for manager in (owning, asking):
        _page, listed = _work(client, manager, "cancellations_to_decide")
        assert listed == set()
        assert not allowed("order.cancel_approve", manager, open_request)
