from decimal import Decimal

import pytest

from customers.models import QualificationDocument
from orders.services.orders import order_recalculate_total
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory


@pytest.fixture
def assistant(make_user):
    return make_user("sales_assistant", username="assistant_li")


@pytest.fixture
def reviewer(make_user):
    return make_user("sales_assistant", username="assistant_chen")


@pytest.fixture
def draft_order(assistant):
    """A complete draft entered by ``assistant``: 10 × Server type A at 5,000.00."""
    order = OrderFactory(owner=assistant, created_by=assistant)
    product = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    OrderLineFactory(order=order, product=product, quantity=Decimal("10"))
    order_recalculate_total(order=order)
    return order


def give_licence(customer, user):
    QualificationDocument.objects.create(
        customer=customer,
        kind="business_licence",
        file="qualifications/test.pdf",
        original_name="营业执照.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=user,
    )
