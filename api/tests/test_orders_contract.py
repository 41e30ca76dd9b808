"""Contract tests of /api/v1/orders: the walk an ERP takes, as three API clients."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.forms.orders import MSG_QUANTITY_POSITIVE
from orders.models import Order, OrderEvent
from orders.tests.conftest import give_licence
from tests.factories import CustomerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def order_body(customer, product, **extra):
    body = {
        "customer_id": customer.pk,
        "contact_name": "王经理",
        "contact_phone": "13800138000",
        "requested_delivery_date": "2030-01-15",
        "order_date": "2029-12-01",
        "payment_terms": "net_30",
        "delivery_address": "上海市浦东新区张江路88号",
        "delivery_postcode": "201203",
        "lines": [{"product_id": product.pk, "quantity": "2", "unit_price": "5000.00"}],
    }
    body.update(extra)
    return body


@pytest.fixture
def world(api_client_for):
    entry = api_client_for("sales_assistant", name="erp-entry")
    review = api_client_for("sales_assistant", name="erp-review")
    approve = api_client_for("sales_manager", name="erp-approve")
    customer = CustomerFactory(credit_limit=Decimal("1000000"))
    give_licence(customer, UserFactory())
    product = ProductFactory(list_price=Decimal("5000"))
    return entry, review, approve, customer, product


def test_create_submit_review_approve_as_three_clients(world):
    entry, review, approve, customer, product = world
    created = entry.post_json(ORDERS, order_body(customer, product))
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["status"] == "draft"
    assert order["total_amount"] is None or Decimal(order["total_amount"]) == Decimal("10000.00")
    assert created["ETag"] == order["etag"]
    assert created["Location"].endswith(f"/orders/{order['id']}")
    url = f"{ORDERS}{order['id']}"

    submitted = entry.post_json(f"{url}/submit", {}, If_Match=order["etag"])
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "pending_review"
    assert submitted.json()["number"]

    reviewed = review.post_json(f"{url}/review", {"note": "资料齐全"})
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["status"] == "pending_approval"

    approved = approve.post_json(f"{url}/approve", {}, If_Match=reviewed["ETag"])
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "confirmed"

    saved = Order.objects.get(pk=order["id"])
    assert saved.created_by == entry.user
    assert saved.reviewed_by == review.user
    actors = list(
        OrderEvent.objects.filter(order=saved, kind="transition")
        .order_by("pk")
        .values_list("action", "actor__username")
    )
    assert actors == [
        ("submit", "api-erp-entry"),
        ("pass_review", "api-erp-review"),
        ("approve", "api-erp-approve"),
    ]


def test_the_same_client_cannot_review_its_own_order(world):
    entry, _review, _approve, customer, product = world
    # The entry client's role can review, but four eyes forbids its own order.
    entry.api_client.user.groups.add(*_review.user.groups.all())
    order = entry.post_json(ORDERS, order_body(customer, product)).json()
    url = f"{ORDERS}{order['id']}"
    assert entry.post_json(f"{url}/submit").status_code == 200

    refused = entry.post_json(f"{url}/review", {"note": ""})

    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["status"] == 403 and problem["title"] == "permission"
    assert Order.objects.get(pk=order["id"]).status == "pending_review"


def test_approval_with_a_stale_if_match_answers_412(world):
    entry, review, approve, customer, product = world
    order = entry.post_json(ORDERS, order_body(customer, product)).json()
    url = f"{ORDERS}{order['id']}"
    stale = entry.post_json(f"{url}/submit").json()["etag"]
    fresh = review.post_json(f"{url}/review", {"note": ""})
    assert fresh.status_code == 200

    refused = approve.post_json(f"{url}/approve", {}, If_Match=stale)

    assert refused.status_code == 412
    assert refused.json()["title"] == "precondition_failed"
    assert Order.objects.get(pk=order["id"]).status == "pending_approval"
    assert approve.post_json(f"{url}/approve", {}, If_Match=fresh["ETag"]).status_code == 200


def test_a_retried_post_with_the_same_idempotency_key_creates_nothing_new(world):
    entry, _review, _approve, customer, product = world
    body = order_body(customer, product)

    first = entry.post_json(ORDERS, body, Idempotency_Key="erp-42")
    again = entry.post_json(ORDERS, body, Idempotency_Key="erp-42")

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1

    other = entry.post_json(ORDERS, {**body, "contact_name": "张三"}, Idempotency_Key="erp-42")
    assert other.status_code == 422
    assert other.json()["title"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_a_refused_write_writes_nothing_and_reads_like_the_web(world):
    entry, _review, _approve, customer, product = world
    body = order_body(
        customer, product, lines=[{"product_id": product.pk, "quantity": "0", "unit_price": "1"}]
    )

    refused = entry.post_json(ORDERS, body)

    assert refused.status_code == 400
    problem = refused.json()
    assert problem["title"] == "invalid"
    assert problem["errors"]["lines[0].quantity"] == [str(MSG_QUANTITY_POSITIVE)]
    assert Order.objects.count() == 0
