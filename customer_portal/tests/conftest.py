"""A customer world: an approved order with lines, its customer's contact and a link."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from core.roles import SALES_ASSISTANT


@dataclass
class CustomerWorld:
    owner: Any
    customer: Any
    contact: Any
    order: Any
    other_order: Any
    link: Any

    @property
    def url(self) -> str:
        return self.link.get_absolute_url()

    def client(self, ip: str = "203.0.113.7") -> Client:
        return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile Safari/604.1")


def make_order(owner: Any, customer: Any, *, status: str = "confirmed", **fields: Any) -> Any:
    from orders.services.orders import order_recalculate_total
    from tests.factories import OrderFactory, OrderLineFactory, ProductFactory

    order = OrderFactory(customer=customer, owner=owner, created_by=owner, status=status, **fields)
    if status not in ("draft",):
        order.number = f"SO{order.pk:08d}"
        order.confirmed_at = timezone.now() if status not in ("pending_review",) else None
        order.save(update_fields=["number", "confirmed_at"])
    OrderLineFactory(
        order=order, product=ProductFactory(name="数控机床", spec="CK6150"), quantity=Decimal("2")
    )
    OrderLineFactory(
        order=order, product=ProductFactory(name="刀塔", spec="8 工位"), quantity=Decimal("1")
    )
    order_recalculate_total(order=order)
    order.refresh_from_db()
    return order


@pytest.fixture
def world(db, make_user) -> CustomerWorld:  # type: ignore[no-untyped-def]
    from customer_portal.services import link_send
    from tests.factories import ContactFactory, CustomerFactory

    owner = make_user(SALES_ASSISTANT, username="cp_owner")
    customer = CustomerFactory(name="华东精密机械有限公司")
    contact = ContactFactory(
        customer=customer, name="王经理", mobile="13912345678", email="wang@huadong.example"
    )
    order = make_order(owner, customer, special_requirements="外包装需防潮")
    other = make_order(owner, CustomerFactory(name="别家公司"))
    link = link_send(actor=owner, order=order, contact=contact)
    return CustomerWorld(owner, customer, contact, order, other, link)
