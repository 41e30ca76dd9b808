"""API clients and keys: made by the command (key shown once, stored hashed), rotated,
revoked; every call logged; the rate limit answers 429 with Retry-After; the key, not a
browser session, decides who calls."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from api.gateway import rate_limit_wait
from api.models import ApiCallLog, ApiClient, ApiKey

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def key_in(message: str) -> str:
    """The key a message shows (``<12-hex prefix>.<secret>``), whatever the language."""
    found = re.search(r"[0-9a-f]{12}\.[A-Za-z0-9_-]+", message)
    assert found, message
    return found.group(0)


def bearer(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def test_the_command_makes_a_client_whose_key_is_shown_once_and_stored_hashed():
    out = io.StringIO()
    call_command(
        "api_client_create", "erp", "--role", "sales_assistant", "--scope", "read", stdout=out
    )

    key = out.getvalue().strip().splitlines()[-1]
    client = ApiClient.objects.get(name="erp")
    assert client.scopes == ["read"]
    assert list(client.user.groups.values_list("name", flat=True)) == ["sales_assistant"]
    assert not client.user.has_usable_password()
    stored = ApiKey.objects.get(client=client)
    prefix, secret = key.split(".")
    assert stored.prefix == prefix
    assert secret not in stored.secret_hash and stored.secret_hash == ApiKey.hash_secret(secret)
    assert bearer(key).get(PRODUCTS).status_code == 200


def test_a_rotated_key_replaces_the_old_one_and_a_revoked_key_stops_working(api_client_for):
    erp = api_client_for("sales_assistant", name="erp")
    assert bearer(erp.key).get(PRODUCTS).status_code == 200

    out = io.StringIO()
    call_command("api_key_rotate", "erp", stdout=out)
    new_key = out.getvalue().strip().splitlines()[-1]

    assert bearer(erp.key).get(PRODUCTS).status_code == 401
    assert bearer(new_key).get(PRODUCTS).status_code == 200

    call_command("api_key_revoke", "erp", stdout=io.StringIO())
    refused = bearer(new_key).get(PRODUCTS)
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_and_a_browser_session_are_not_a_key(api_client_for, make_user):
    erp = api_client_for("sales_assistant", name="erp")
    prefix = erp.key.split(".")[0]
    assert bearer(f"{prefix}.not-the-secret").get(PRODUCTS).status_code == 401

    browser = Client()
    browser.force_login(make_user("sales_manager"))
    assert browser.get(PRODUCTS).status_code == 401


def test_every_call_is_logged_with_client_endpoint_status_and_duration(api_client_for):
    erp = api_client_for("sales_assistant", name="erp")
    erp.get(PRODUCTS)
    erp.get("/api/v1/orders/999999999")

    calls = list(ApiCallLog.objects.filter(client=erp.api_client).order_by("at", "id"))
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", PRODUCTS, 200),
        ("GET", "/api/v1/orders/999999999", 404),
    ]
    assert all(c.duration_ms >= 0 for c in calls)


def test_the_rate_limit_answers_429_with_retry_after(api_client_for):
    erp = api_client_for("sales_assistant", name="erp-limited", rate_limit=3)
    answers = [erp.get(PRODUCTS) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["title"] == "rate_limited"


def test_the_rate_limit_counts_per_client_and_per_minute(api_client_for):
    one = api_client_for("sales_assistant", name="one", rate_limit=2).api_client
    two = api_client_for("sales_assistant", name="two", rate_limit=2).api_client
    minute = 1_800_000_000.0
    assert [rate_limit_wait(one, now=minute + 1) for _ in range(3)] == [0, 0, 59]
    assert rate_limit_wait(two, now=minute + 1) == 0
    assert rate_limit_wait(one, now=minute + 61) == 0


def test_a_client_without_the_role_permission_is_refused_403(api_client_for):
    warehouse = api_client_for("warehouse", name="wms")
    refused = warehouse.get("/api/v1/payments/")
    assert refused.status_code == 403
    assert refused.json()["title"] == "permission"


def test_credit_and_phones_are_null_for_a_role_without_access(api_client_for):
    from tests.factories import ContactFactory, CustomerFactory

    customer = CustomerFactory()
    ContactFactory(customer=customer)
    legal = api_client_for("legal", name="legal-system")

    body = legal.get(f"/api/v1/customers/{customer.pk}").json()

    assert body["credit"] is None and body["credit_limit"] is None
    assert body["contacts"][0]["mobile"] is None
    assert body["contacts"][0]["name"] == "李先生"


def test_customers_read_with_contacts_addresses_and_credit(api_client_for):
    from tests.factories import AddressFactory, ContactFactory, CustomerFactory

    customer = CustomerFactory(credit_limit=Decimal("200000.00"))
    ContactFactory(customer=customer)
    AddressFactory(customer=customer)
    erp = api_client_for("sales_manager", name="crm")

    body = erp.get(f"/api/v1/customers/{customer.pk}").json()

    assert body["code"] == customer.code
    assert body["contacts"][0]["mobile"] == "13800138000"
    assert body["addresses"][0]["postcode"] == "100080"
    assert Decimal(body["credit"]["limit"]) == Decimal("200000.00")
    assert Decimal(body["credit"]["available"]) == Decimal("200000.00")


def test_the_admin_makes_a_client_shows_its_key_once_and_rotates_it():
    from django.contrib.auth import get_user_model
    from django.contrib.messages import get_messages

    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    browser = Client()
    browser.force_login(admin_user)

    added = browser.post(
        "/admin/api/apiclient/add/",
        {
            "name": "mes",
            "roles": ["warehouse"],
            "scope_list": ["read", "integrations"],
            "rate_limit_per_minute": "120",
            "note": "",
        },
        follow=True,
    )

    assert added.status_code == 200
    client = ApiClient.objects.get(name="mes")
    assert client.scopes == ["read", "integrations"]
    shown = [str(m) for m in get_messages(added.wsgi_request)]
    key = key_in(next(m for m in shown if "mes" in m and "." in m))
    assert bearer(key).get(PRODUCTS).status_code == 200

    rotated = browser.post(
        "/admin/api/apiclient/",
        {"action": "rotate_keys", "_selected_action": [client.pk]},
        follow=True,
    )
    new_key = key_in(next(str(m) for m in get_messages(rotated.wsgi_request) if "mes" in str(m)))
    assert bearer(key).get(PRODUCTS).status_code == 401
    assert bearer(new_key).get(PRODUCTS).status_code == 200
