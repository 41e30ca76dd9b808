"""Internal approval: tiers, credit hold, no way around the director, cancellation, late changes."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.actions import on
from core.errors import DomainError, Forbidden, WrongState
from core.models import Notification
from customers.models import PaymentRecord
from orders.exceptions.orders import OrderError
from orders.models import Order, OrderChange, OrderStatus
from orders.services import orders as services
from orders.tests.conftest import give_licence
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, UserFactory


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", username="manager_li")


@pytest.fixture
def director(make_user):
    return make_user("sales_director", username="director_zhao")


def pending_approval(assistant, *, quantity, price, terms="net_30", discount="0", list_price=None):
    product = ProductFactory(list_price=Decimal(list_price or price))
    order = OrderFactory(
        owner=assistant,
        created_by=assistant,
        payment_terms=terms,
        status=OrderStatus.PENDING_APPROVAL,
        number=f"202611-{Order.objects.count() + 100}",
    )
    OrderLineFactory(
        order=order,
        product=product,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        discount_percent=Decimal(discount),
    )
    services.order_recalculate_total(order=order)
    order.customer.credit_limit = Decimal("1000000")
    order.customer.save()
    return order


@pytest.fixture
def hooked():
    """Steps seen by a hook on ``names`` (how fulfillment takes part), removed afterwards."""
    from core import actions

    seen: list = []

    def register(*names):
        def hook(step):
            seen.append((step.action.name, step.obj.pk, step.obj.status))

        for name in names:
            on(name)(hook)
        registered.extend((name, hook) for name in names)
        return seen

    registered: list = []
    yield register
    for name, hook in registered:
        actions._hooks[name].remove(hook)


def test_walk_b_small_order_is_confirmed_by_the_manager_alone(
    assistant, manager, warehouse_user, hooked
):
    order = pending_approval(assistant, quantity=3, price="2000")
    seen = hooked("order.approve")
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.director_reasons == "" and order.confirmed_at is not None
    # Higher apps (fulfillment) take part inside the approval's transaction.
    assert seen == [("order.approve", order.pk, OrderStatus.CONFIRMED)]
    assert Notification.objects.filter(
        recipient=warehouse_user, title__contains=order.number
    ).exists()


@pytest.fixture
def warehouse_user(make_user):
    return make_user("warehouse", username="wh_liu")


def test_large_order_waits_for_the_director_who_confirms_it(assistant, manager, director):
    order = pending_approval(assistant, quantity=10, price="5000")
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR
    assert "10,000.00" in order.director_reasons
    assert Notification.objects.filter(recipient=director).exists()
    services.order_director_approve(actor=director, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.director_approved_by == director and order.approved_total == Decimal("50000.00")


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"terms": "deposit_30"}, "付款方式"),
        ({"discount": "15"}, "折扣"),
        ({"price": "900", "list_price": "1000"}, "低于标准单价"),
    ],
)
def test_special_terms_need_the_director_even_for_small_orders(assistant, manager, kwargs, reason):
    order = pending_approval(assistant, **{"quantity": 1, "price": "1000", **kwargs})
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR
    from django.utils import translation

    with translation.override("zh-hans"):
        from orders.approval import approval_hints

        assert any(reason in text for text in approval_hints(order).director_reasons)


def test_threshold_is_an_admin_setting(assistant, manager):
    from orders.models import ApprovalPolicy

    policy = ApprovalPolicy.current()
    policy.director_threshold = Decimal("100000")
    policy.save()
    order = pending_approval(assistant, quantity=10, price="5000")
    services.order_approve(actor=manager, order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_no_path_around_the_director(client, assistant, manager, director, draft_order):
    order = pending_approval(assistant, quantity=10, price="5000")
    services.order_approve(actor=manager, order=order)

    # 1. The manager posts the final approval by hand: refused, nothing changes.
    client.force_login(manager)
    assert client.post(f"/orders/{order.pk}/approve/").status_code == 403
    # 2. The creator edits the total while the director has not decided: not editable.
    client.force_login(assistant)
    response = client.post(f"/orders/{order.pk}/edit/", {"action": "submit"})
    assert response.status_code == 409
    with pytest.raises(WrongState):
        services.order_change(
            actor=assistant,
            order=order,
            reason="改价",
            payload={"lines": {str(order.lines.get().pk): {"unit_price": "100"}}},
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR and order.total_amount == Decimal(
        "50000.00"
    )
    # 3. A copy of the order is a new draft that needs its own review and approvals.
    copy = OrderFactory(customer=order.customer, owner=assistant, created_by=assistant)
    OrderLineFactory(
        order=copy,
        product=order.lines.get().product,
        quantity=Decimal("10"),
        unit_price=Decimal("5000"),
    )
    assert copy.status == OrderStatus.DRAFT
    with pytest.raises(WrongState):
        services.order_approve(actor=manager, order=copy)


def test_lowering_then_raising_lines_after_confirmation_goes_back_for_approval(
    assistant, manager, director
):
    order = pending_approval(assistant, quantity=1, price="2000")
    services.order_approve(actor=manager, order=order)
    line = Order.objects.get(pk=order.pk).lines.get()
    change = services.order_change(
        actor=assistant,
        order=order,
        reason="客户追加数量",
        payload={"lines": {str(line.pk): {"quantity": "30"}}},
    )
    order.refresh_from_db()
    assert change.status == "applied"
    assert order.status == OrderStatus.PENDING_APPROVAL and order.total_amount == Decimal(
        "60000.00"
    )
    services.order_approve(actor=manager, order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_DIRECTOR


def test_four_eyes_at_approval(assistant, make_user):
    from django.contrib.auth.models import Group

    assistant.groups.add(Group.objects.get(name="sales_manager"))
    order = pending_approval(assistant, quantity=1, price="100")
    with pytest.raises(Forbidden):
        services.order_approve(actor=assistant, order=order)


def test_warehouse_cannot_approve(client, assistant, warehouse_user):
    order = pending_approval(assistant, quantity=1, price="100")
    client.force_login(warehouse_user)
    assert client.post(f"/orders/{order.pk}/approve/").status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_APPROVAL


def test_credit_hold_blocks_approval_until_a_manager_releases_it(client, assistant, manager):
    order = pending_approval(assistant, quantity=1, price="8000")
    customer = order.customer
    customer.credit_limit = Decimal("10000")
    customer.save()
    today = timezone.localdate()
    PaymentRecord.objects.create(
        customer=customer,
        invoice_number="INV-1",
        invoiced_amount=5000,
        invoice_date=today - timedelta(days=40),
        due_date=today - timedelta(days=10),
    )
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.credit_hold and order.status == OrderStatus.PENDING_APPROVAL
    assert "超过信用额度" in order.credit_hold_reason or "credit limit" in order.credit_hold_reason
    with pytest.raises(OrderError):
        services.order_approve(actor=manager, order=order)

    client.force_login(manager)
    client.post(f"/orders/{order.pk}/credit-release/", {"reason": ""})
    assert Order.objects.get(pk=order.pk).credit_hold
    client.post(f"/orders/{order.pk}/credit-release/", {"reason": "客户已承诺本周回款"})
    order.refresh_from_db()
    assert not order.credit_hold
    assert order.events.filter(action="credit_release", note="客户已承诺本周回款").exists()
    services.order_approve(actor=manager, order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_low_collection_rate_fails_the_credit_check(assistant, manager):
    order = pending_approval(assistant, quantity=1, price="100")
    today = timezone.localdate()
    PaymentRecord.objects.create(
        customer=order.customer,
        invoice_number="INV-2",
        invoiced_amount=1000,
        received_amount=500,
        invoice_date=today - timedelta(days=30),
        due_date=today - timedelta(days=1),
    )
    services.order_approve(actor=manager, order=order)
    assert Order.objects.get(pk=order.pk).credit_hold


@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_at_once_leave_one_approval_and_a_clean_error():
    creator = UserFactory(roles=["sales_assistant"])
    first, second = UserFactory(roles=["sales_manager"]), UserFactory(roles=["sales_manager"])
    order = pending_approval(creator, quantity=1, price="100")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user):
        try:
            barrier.wait(timeout=10)
            services.order_approve(actor=user, order=order)
            outcomes.append("approved")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["approved", "wrong_state"]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.events.filter(action="approve").count() == 1


def test_return_needs_a_reason_and_goes_back_to_the_creator(client, assistant, manager):
    order = pending_approval(assistant, quantity=1, price="100")
    client.force_login(manager)
    client.post(f"/orders/{order.pk}/return/", {"reason": ""})
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_APPROVAL
    client.post(f"/orders/{order.pk}/return/", {"reason": "请补充交货地点"})
    client.force_login(assistant)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "请补充交货地点" in page and 'data-testid="return-reason"' in page
    give_licence(order.customer, assistant)
    services.order_submit(actor=assistant, order=Order.objects.get(pk=order.pk))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_REVIEW


def test_walk_c_cancellation_is_requested_with_a_reason_and_approved_by_the_manager(
    client, assistant, manager, warehouse_user, hooked
):
    order = pending_approval(assistant, quantity=1, price="100")
    services.order_approve(actor=manager, order=order)
    client.force_login(assistant)
    client.post(f"/orders/{order.pk}/cancel-request/", {"reason": "客户取消采购"})
    order.refresh_from_db()
    assert order.cancel_requested_by == assistant and order.status == OrderStatus.CONFIRMED
    assert (
        client.post(f"/orders/{order.pk}/cancel-decide/", {"decision": "approve"}).status_code
        == 403
    )

    seen = hooked("order.cancel_approve")
    client.force_login(manager)
    client.post(f"/orders/{order.pk}/cancel-decide/", {"decision": "approve"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert seen == [("order.cancel_approve", order.pk, OrderStatus.CANCELLED)]
    assert order.events.get(action="cancel").note == "客户取消采购"
    assert Notification.objects.filter(recipient=warehouse_user, title__contains="停止").exists()


def test_a_declined_cancellation_leaves_the_order_as_it_was(client, assistant, manager):
    order = pending_approval(assistant, quantity=1, price="100")
    services.order_cancel_request(actor=assistant, order=order, reason="客户犹豫")
    client.force_login(manager)
    client.post(
        f"/orders/{order.pk}/cancel-decide/", {"decision": "decline", "note": "客户已确认继续"}
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL and order.cancel_requested_at is None


def test_shipped_orders_cannot_be_cancelled(assistant):
    order = OrderFactory(owner=assistant, created_by=assistant, status=OrderStatus.SHIPPED)
    with pytest.raises(WrongState):
        services.order_cancel_request(actor=assistant, order=order, reason="太晚了")


def test_change_after_the_window_is_a_request_the_manager_decides(assistant, manager, monkeypatch):
    order = pending_approval(assistant, quantity=1, price="100")
    services.order_approve(actor=manager, order=order)
    later = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    new_date = (timezone.localdate() + timedelta(days=30)).isoformat()
    change = services.order_change(
        actor=assistant,
        order=order,
        reason="客户要求延期",
        payload={"order": {"requested_delivery_date": new_date}},
    )
    assert change.status == "pending"
    assert str(Order.objects.get(pk=order.pk).requested_delivery_date) != new_date
    services.order_change_decide(actor=manager, change=change, approve=True, note="同意")
    order.refresh_from_db()
    assert str(order.requested_delivery_date) == new_date
    assert OrderChange.objects.get().changes[0]["field"] == "requested_delivery_date"
    assert order.status == OrderStatus.CONFIRMED


@pytest.mark.parametrize("rows", [2, 12])
def test_approval_inbox_lists_oldest_first_without_my_own_orders(
    client, assistant, manager, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        pending_approval(assistant, quantity=1, price="100")
    mine = pending_approval(manager, quantity=1, price="100")
    client.force_login(manager)
    with django_assert_max_num_queries(16):
        page = client.get("/orders/approvals/").content.decode()
    assert mine.number not in page
    assert page.count('data-action="approve"') == rows
    client.force_login(assistant)
    assert client.get("/orders/approvals/").status_code == 403


def test_approval_inbox_pages_the_oldest_first(client, assistant, manager, monkeypatch):
    from orders.views import approvals as approval_views

    monkeypatch.setattr(approval_views, "INBOX_PAGE_SIZE", 3)
    orders = [pending_approval(assistant, quantity=1, price="100") for _ in range(5)]
    client.force_login(manager)
    first = client.get("/orders/approvals/")
    assert [row["order"].pk for row in first.context["rows"]] == [o.pk for o in orders[:3]]
    assert first.context["page_obj"].paginator.count == 5
    second = client.get("/orders/approvals/", {"page": 2})
    assert [row["order"].pk for row in second.context["rows"]] == [o.pk for o in orders[3:]]
    assert "?page=2" in first.content.decode()


def test_a_hand_made_next_to_another_site_is_not_followed(client, assistant, manager):
    order = pending_approval(assistant, quantity=1, price="100")
    client.force_login(manager)
    response = client.post(f"/orders/{order.pk}/approve/", {"next": "https://evil.example/x"})
    assert response.status_code == 302 and response.url == f"/orders/{order.pk}/"
    other = pending_approval(assistant, quantity=1, price="100")
    response = client.post(
        f"/orders/{other.pk}/return/", {"reason": "x", "next": "/orders/approvals/"}
    )
    assert response.url == "/orders/approvals/"
