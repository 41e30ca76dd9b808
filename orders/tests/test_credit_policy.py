"""The credit policy (docs/decisions/0009-credit-policy.md): a first limit for new customers,
only the part not paid in advance counts, the hold is seen at review, and the manager
releases and approves in one step — walk A without a detour."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Forbidden
from customers.models import CreditPolicy, Customer, PaymentRecord
from orders.approval import credit_amount, order_credit_status
from orders.models import Order, OrderEventKind, OrderStatus
from orders.services import orders as services
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", username="manager_li")


@pytest.fixture
def director(make_user):
    return make_user("sales_director", username="director_zhao")


def new_customer_order(assistant, *, total, terms, status=OrderStatus.PENDING_APPROVAL):
    """An order of a customer created just now, with the policy's limit (no factory limit)."""
    customer = Customer.objects.create(
        code=f"N{Customer.objects.count():05d}",
        name="新客户科技有限公司",
        region="north",
        industry="it",
    )
    product = ProductFactory(list_price=Decimal(total))
    order = OrderFactory(
        customer=customer,
        owner=assistant,
        created_by=assistant,
        payment_terms=terms,
        status=status,
        number=f"202611-{Order.objects.count() + 500}",
    )
    OrderLineFactory(order=order, product=product, quantity=1, unit_price=Decimal(total))
    services.order_recalculate_total(order=order)
    order.refresh_from_db()
    return order


def test_a_new_customer_starts_with_the_policy_limit_and_existing_ones_keep_theirs(db):
    first = Customer.objects.create(code="N1", name="甲", region="north", industry="it")
    assert first.credit_limit == Decimal("50000.00")
    policy = CreditPolicy.current()
    policy.new_customer_credit_limit = Decimal("80000")
    policy.save()
    second = Customer.objects.create(code="N2", name="乙", region="north", industry="it")
    first.refresh_from_db()
    assert second.credit_limit == Decimal("80000") and first.credit_limit == Decimal("50000")


@pytest.mark.parametrize(
    ("terms", "counted"),
    [
        ("prepaid", "0.00"),
        ("deposit_30", "35000.00"),
        ("on_delivery", "50000.00"),
        ("net_30", "50000.00"),
    ],
)
def test_only_the_part_not_paid_in_advance_counts(assistant, terms, counted):
    order = new_customer_order(assistant, total="50000", terms=terms)
    assert credit_amount(order) == Decimal(counted)
    assert order_credit_status(order).exposure == Decimal(counted)


def test_walk_a_new_customer_30_percent_advance_goes_to_the_director_without_a_hold(
    assistant, manager, director
):
    order = new_customer_order(assistant, total="50000", terms="deposit_30")
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert not order.credit_hold and order.status == OrderStatus.PENDING_DIRECTOR
    services.order_director_approve(actor=director, order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert not order.events.filter(action__in=["credit_hold", "credit_release"]).exists()


def test_the_hold_reason_names_the_part_not_paid_in_advance(assistant, manager):
    order = new_customer_order(assistant, total="100000", terms="deposit_30")
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.credit_hold
    assert "¥70,000.00" in order.credit_hold_reason and "¥100,000.00" in order.credit_hold_reason


def test_the_hold_reason_is_read_in_the_readers_language(client, assistant, manager):
    import re

    order = new_customer_order(assistant, total="100000", terms="deposit_30")
    services.order_approve(actor=manager, order=order)  # the manager works in Chinese
    client.force_login(manager)
    page = client.get(f"/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    hold = page.split('data-testid="credit-hold"')[1].split("</div></div>")[0]
    assert "¥70,000.00" in hold
    assert not re.search(r"[\u4e00-\u9fff\uff00-\uffef]", hold), hold


def test_the_reviewer_sees_the_hold_coming_without_the_figures(client, assistant, reviewer):
    order = new_customer_order(
        assistant, total="80000", terms="net_30", status=OrderStatus.PENDING_REVIEW
    )
    client.force_login(reviewer)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="credit-will-hold"' in page
    assert 'data-testid="credit-will-hold-reason"' not in page  # no credit figures
    assert "¥50,000.00" not in page


def test_the_manager_sees_the_hold_coming_with_the_reasons_and_one_release_form(
    client, assistant, manager
):
    order = new_customer_order(assistant, total="80000", terms="net_30")
    client.force_login(manager)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="credit-will-hold"' in page
    assert 'data-testid="credit-will-hold-reason"' in page and "¥80,000.00" in page
    assert 'data-action="release_and_approve"' in page
    assert 'data-action="approve"' not in page
    inbox = client.get("/orders/approvals/").content.decode()
    assert 'data-action="release_and_approve"' in inbox


def test_no_forecast_when_the_check_passes(client, assistant, manager):
    order = new_customer_order(assistant, total="50000", terms="deposit_30")
    client.force_login(manager)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="credit-will-hold"' not in page and 'data-action="approve"' in page


def test_release_and_approve_is_one_step_with_both_rows(client, assistant, manager):
    order = new_customer_order(assistant, total="80000", terms="net_30")
    client.force_login(manager)
    response = client.post(
        f"/orders/{order.pk}/approve/", {"release_reason": "老板担保，本月回款", "note": "同意"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR and not order.credit_hold
    assert order.credit_released_by == manager and order.approved_by == manager
    release, approval = order.events.filter(action__in=["credit_release", "approve"]).order_by(
        "created_at", "pk"
    )
    assert release.action == "credit_release" and release.note == "老板担保，本月回款"
    assert release.kind == OrderEventKind.NOTE and "¥80,000.00" in release.payload["credit_check"]
    assert approval.action == "approve" and approval.to_status == OrderStatus.PENDING_DIRECTOR
    assert approval.payload["credit_released"] is True and approval.note == "同意"


def test_an_order_on_hold_is_released_and_approved_in_one_step(client, assistant, manager):
    order = new_customer_order(assistant, total="80000", terms="net_30")
    services.order_approve(actor=manager, order=order)
    assert Order.objects.get(pk=order.pk).credit_hold
    client.force_login(manager)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-action="release_and_approve"' in page
    client.post(f"/orders/{order.pk}/approve/", {"release_reason": "已收到保函"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_DIRECTOR and order.credit_released_by == manager


def test_release_and_approve_keeps_four_eyes(assistant, manager):
    order = new_customer_order(assistant, total="80000", terms="net_30")
    Order.objects.filter(pk=order.pk).update(owner=manager)  # the manager's own order
    with pytest.raises(Forbidden):
        services.order_approve(actor=manager, order=order, release_reason="自己放行")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL and order.credit_released_by is None
    assert not order.events.filter(action="credit_release").exists()


def test_a_returned_order_is_checked_again(assistant, manager):
    order = new_customer_order(assistant, total="80000", terms="net_30")
    services.order_approve(actor=manager, order=order)
    services.order_return(actor=manager, order=order, reason="请确认付款方式")
    order.refresh_from_db()
    assert not order.credit_hold and order.credit_released_by is None


def test_overdue_receivables_still_count(assistant, manager):
    order = new_customer_order(assistant, total="30000", terms="deposit_30")
    today = timezone.localdate()
    PaymentRecord.objects.create(
        customer=order.customer,
        invoice_number="INV-9",
        invoiced_amount=Decimal("40000"),
        received_amount=Decimal("40000"),
        invoice_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
    )
    PaymentRecord.objects.create(
        customer=order.customer,
        invoice_number="INV-10",
        invoiced_amount=Decimal("30000"),
        invoice_date=today - timedelta(days=5),
        due_date=today + timedelta(days=25),
    )
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.credit_hold  # 30,000 open + 21,000 > 50,000
