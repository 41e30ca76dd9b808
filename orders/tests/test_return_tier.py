"""Return belongs to the approver of the step the order waits at (docs/workflow.md §4):
hand-made POSTs of the other tier are refused (403) and change nothing."""

from decimal import Decimal

import pytest

from core.errors import Forbidden
from orders.models import Order, OrderStatus
from orders.services import orders as services
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", username="manager_li")


@pytest.fixture
def director(make_user):
    return make_user("sales_director", username="director_zhao")


def waiting(assistant, status, price="5"):
    order = OrderFactory(
        owner=assistant,
        created_by=assistant,
        status=status,
        payment_terms="net_30",
        number=f"202611-{Order.objects.count() + 700}",
    )
    OrderLineFactory(order=order, product=ProductFactory(), quantity=1, unit_price=Decimal(price))
    services.order_recalculate_total(order=order)
    return order


def test_the_director_cannot_return_an_order_at_the_managers_step(client, assistant, director):
    order = waiting(assistant, OrderStatus.PENDING_APPROVAL)
    client.force_login(director)
    assert 'data-action="return"' not in client.get(f"/orders/{order.pk}/").content.decode()
    response = client.post(f"/orders/{order.pk}/return/", {"reason": "总监退回"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL and order.return_reason == ""
    assert not order.events.filter(action="return_to_creator").exists()


def test_the_manager_cannot_return_an_order_waiting_for_the_director(client, assistant, manager):
    order = waiting(assistant, OrderStatus.PENDING_DIRECTOR)
    client.force_login(manager)
    assert 'data-action="return"' not in client.get(f"/orders/{order.pk}/").content.decode()
    response = client.post(f"/orders/{order.pk}/return/", {"reason": "经理退回"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR and order.return_reason == ""


@pytest.mark.parametrize(
    ("status", "role"),
    [(OrderStatus.PENDING_APPROVAL, "manager"), (OrderStatus.PENDING_DIRECTOR, "director")],
)
def test_the_steps_approver_returns_it(client, assistant, manager, director, status, role):
    order = waiting(assistant, status)
    client.force_login({"manager": manager, "director": director}[role])
    assert 'data-action="return"' in client.get(f"/orders/{order.pk}/").content.decode()
    response = client.post(f"/orders/{order.pk}/return/", {"reason": "请补充合同"})
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RETURNED


def test_one_person_with_both_roles_is_not_both_approvers(assistant, make_user):
    both = make_user("sales_manager", "sales_director", username="both")
    order = waiting(assistant, OrderStatus.PENDING_APPROVAL, price="50000")
    order.customer.credit_limit = Decimal("1000000")
    order.customer.save()
    services.order_approve(actor=both, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR
    for step in (
        lambda: services.order_director_approve(actor=both, order=order),
        lambda: services.order_return(actor=both, order=order, reason="自己退回"),
    ):
        with pytest.raises(Forbidden):
            step()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_DIRECTOR
