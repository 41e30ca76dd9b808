"""Schemathesis over every operation of /api/v1/ against a live server, with a valid key.

For each operation, generated requests (half of them aimed at objects that exist) must
never answer 5xx, every answer must match the document (status, content type, body
schema, headers), and a request answered 4xx must write nothing: a snapshot of every
table (row count, highest id, newest row version; the API's own call log and
idempotency records aside) is the same before and after it.

Budget: about 3 minutes on 2 cores (``MAX_EXAMPLES`` per operation).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.keys import api_client_create
from orders.tests.conftest import give_licence
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)
from tests.test_action_matrix import snapshot_query

pytestmark = pytest.mark.django_db(transaction=True)

# Business bounds (a quantity > 0, a known product, a cursor of this list) are the forms'
# and the selectors', answered 400 with the web's messages: a schema-valid body may be
# refused, so "schema-valid data must be accepted" does not hold by design.
EXCLUDED = [positive_data_acceptance]

MAX_EXAMPLES = 8
# Written by every call on purpose (the call log) or by a successful POST (idempotency).
NOT_SNAPSHOTTED = {"api_apicalllog", "api_idempotencyrecord", "django_session"}
ROLES = [
    "sales_assistant",
    "sales_manager",
    "warehouse",
    "logistics",
    "account_manager",
    "aftersales",
    "data_admin",
]


def snapshot(query: str) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return sorted(row for row in cursor.fetchall() if row[0] not in NOT_SNAPSHOTTED)


@pytest.fixture
def world(transactional_db):
    author = UserFactory(roles=["sales_assistant"])
    customer = CustomerFactory(credit_limit=Decimal("1000000"))
    give_licence(customer, author)
    product = ProductFactory()
    order = OrderFactory(customer=customer, owner=author, created_by=author)
    OrderLineFactory(order=order, product=product)
    _client, key = api_client_create(
        name="schemathesis",
        roles_=ROLES,
        scopes=["read", "write", "webhooks", "integrations", "finance"],
        rate_limit=100_000,
    )
    return {
        "key": key,
        "ids": {"order_id": order.pk, "customer_id": customer.pk, "product_id": product.pk},
    }


def run_operation(strategy: Any, *, writes: bool, base_url: str, headers: dict, query: str) -> None:
    """Generated requests of one operation against the live server, with the checks."""

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        before = snapshot(query) if writes else None
        response = case.call(base_url=base_url, headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
        )
        case.validate_response(response, headers=headers, excluded_checks=EXCLUDED)
        if writes and 400 <= response.status_code < 500:
            assert snapshot(query) == before, (
                f"{case.method} {case.formatted_path} answered {response.status_code} but wrote"
            )

    check()


def test_every_operation_answers_within_its_schema_and_refusals_write_nothing(live_server, world):
    # The document as the live server serves it (read in-process: no loader timeout on a
    # busy machine); every request below goes to the live server.
    document = Client().get("/api/v1/openapi.json", HTTP_HOST="localhost").json()
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {world['key']}"}
    query = snapshot_query()
    failures: list[str] = []
    operations = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {p.name for p in operation.path_parameters}
        known = {name: value for name, value in world["ids"].items() if name in names}
        strategy = operation.as_strategy()
        if known:
            strategy = st.one_of(strategy, operation.as_strategy(path_parameters=known))
        try:
            run_operation(
                strategy,
                writes=operation.method.upper() != "GET",
                base_url=live_server.url,
                headers=headers,
                query=query,
            )
        except Exception as exc:  # collect, so one run reports every operation that fails
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:2000]}")

    assert operations >= 20
    assert not failures, "\n\n".join(failures)
