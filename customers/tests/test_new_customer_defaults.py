"""A new customer: the credit policy's first limit whichever way it is created, and the quick
creation on the order form asks for the contact's mobile and e-mail
(docs/decisions/0009-credit-policy.md)."""

from decimal import Decimal

import pytest

from customers.models import CreditPolicy, Customer

pytestmark = pytest.mark.django_db

QUICK = {
    "quick-name": "新客户科技有限公司",
    "quick-region": "north",
    "quick-industry": "it",
    "quick-contact_name": "李先生",
    "quick-mobile": "+86 138 0013 8000",
    "quick-email": " Li@Example.com ",
}


@pytest.fixture
def assistant_client(client, make_user):
    client.force_login(make_user("sales_assistant"))
    return client


def test_quick_creation_keeps_the_contacts_mobile_and_email_and_the_first_limit(
    assistant_client,
):
    response = assistant_client.post("/orders/customer-quick-create/", QUICK)
    assert "data-autoselect" in response.content.decode()
    customer = Customer.objects.get(name="新客户科技有限公司")
    contact = customer.contacts.get()
    assert (contact.mobile, contact.email, contact.is_primary) == (
        "13800138000",
        "li@example.com",
        True,
    )
    assert customer.credit_limit == CreditPolicy.current().new_customer_credit_limit


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quick-email", "", "这个字段是必填项"),
        ("quick-email", "li@", "有效的 Email"),
        ("quick-mobile", "", "这个字段是必填项"),
        ("quick-mobile", "010-12345678", "11 位大陆手机号码"),
        ("quick-mobile", "23800138000", "11 位大陆手机号码"),
    ],
)
def test_quick_creation_refuses_a_missing_or_wrong_mobile_or_email(
    assistant_client, field, value, message
):
    response = assistant_client.post("/orders/customer-quick-create/", {**QUICK, field: value})
    assert response["HX-Retarget"] == "#quick-customer-form"
    assert message in response.content.decode()
    assert not Customer.objects.filter(name="新客户科技有限公司").exists()


def test_the_customer_form_offers_the_policy_limit_to_a_manager(client, make_user):
    policy = CreditPolicy.current()
    policy.new_customer_credit_limit = Decimal("60000")
    policy.save()
    client.force_login(make_user("sales_manager"))
    page = client.get("/customers/new/").content.decode()
    assert 'name="credit_limit" value="60000' in page


def test_the_policy_is_edited_in_the_admin(admin_client):
    page = admin_client.get("/admin/customers/creditpolicy/").content.decode()
    assert "50000" in page or "50,000" in page
    policy = CreditPolicy.current()
    response = admin_client.post(
        f"/admin/customers/creditpolicy/{policy.pk}/change/",
        {"new_customer_credit_limit": "70000"},
    )
    assert response.status_code == 302
    assert Customer.objects.create(
        code="N9", name="丙", region="north", industry="it"
    ).credit_limit == Decimal("70000")
