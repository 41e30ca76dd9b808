import re

import pytest
from django.utils import translation

from core.validators import MSG_CREDIT_CODE_CHECK, MSG_MOBILE
from customers.exceptions import MSG_DUPLICATE_CREDIT_CODE
from customers.models import Contact, CreditPolicy, Customer
from tests.factories import CustomerFactory, valid_credit_code

CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(message, **params):
    with translation.override("zh-hans"):
        text = str(message)
    return text % params if params else text


def form_data(**overrides):
    data = {
        "name": "新客户科技有限公司",
        "credit_code": "91350100M000100Y43",
        "region": "north",
        "industry": "it",
        "qualification_status": "pending",
        "account_manager": "",
        "credit_limit": "50000",
        "credit_term_days": "30",
        "preferences": "需定制logo",
        "is_active": "on",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "李先生",
        "contacts-0-mobile": "13800138000",
        "contacts-0-is_primary": "on",
        "addresses-TOTAL_FORMS": "1",
        "addresses-INITIAL_FORMS": "0",
        "addresses-0-label": "总部",
        "addresses-0-address": "北京市海淀区路1号",
        "addresses-0-postcode": "100080",
        "addresses-0-is_default": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def assistant(role_client):
    return role_client("sales_assistant")


def test_assistant_creates_customer_with_contact_and_address(assistant):
    response = assistant.post("/customers/new/", form_data())
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == f"/customers/{customer.pk}/"
    assert re.fullmatch(r"C\d{5}", customer.code)
    assert customer.created_by == assistant.user
    assert customer.contacts.get().mobile == "13800138000"
    assert customer.addresses.get().postcode == "100080"


def test_customer_detail_shows_who_created_it_in_the_history(assistant):
    assistant.post("/customers/new/", form_data())
    customer = Customer.objects.get()
    page = assistant.get(f"/customers/{customer.pk}/").content.decode()
    assert "变更记录" in page
    assert f"{assistant.user.last_name}{assistant.user.first_name}" in page
    assert "创建了" in page


def test_bad_credit_code_is_refused_in_chinese_and_nothing_is_saved(assistant):
    response = assistant.post("/customers/new/", form_data(credit_code="91350100M000100Y44"))
    assert response.status_code == 200
    page = response.content.decode()
    assert zh(MSG_CREDIT_CODE_CHECK) in page
    assert CJK.search(zh(MSG_CREDIT_CODE_CHECK))
    assert 'data-field-error="credit_code"' in page
    assert not Customer.objects.exists()
    assert not Contact.objects.exists()


def test_bad_mobile_in_a_contact_row_saves_nothing(assistant):
    response = assistant.post("/customers/new/", form_data(**{"contacts-0-mobile": "12345"}))
    assert response.status_code == 200
    assert zh(MSG_MOBILE) in response.content.decode()
    assert not Customer.objects.exists()


def test_bad_postcode_saves_nothing(assistant):
    response = assistant.post("/customers/new/", form_data(**{"addresses-0-postcode": "1000"}))
    assert "邮政编码应为 6 位数字" in response.content.decode()
    assert not Customer.objects.exists()


def test_same_credit_code_is_refused_naming_the_existing_customer(assistant):
    existing = CustomerFactory(credit_code="91350100M000100Y43")
    response = assistant.post("/customers/new/", form_data(name="另一家公司"))
    expected = zh(MSG_DUPLICATE_CREDIT_CODE, existing=f"{existing.code} {existing.name}")
    assert expected in response.content.decode()
    assert Customer.objects.count() == 1


def test_same_name_warns_and_saves_only_when_confirmed(assistant):
    CustomerFactory(name="新客户科技有限公司")
    data = form_data(credit_code=valid_credit_code(999))
    warned = assistant.post("/customers/new/", data)
    assert "已存在同名客户" in warned.content.decode()
    assert "confirm_duplicate" in warned.content.decode()
    assert Customer.objects.count() == 1
    confirmed = assistant.post("/customers/new/", {**data, "confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Customer.objects.filter(name="新客户科技有限公司").count() == 2


def test_two_primary_contacts_are_refused(assistant):
    data = form_data(
        **{
            "contacts-TOTAL_FORMS": "2",
            "contacts-1-name": "王女士",
            "contacts-1-phone": "010-12345678",
            "contacts-1-is_primary": "on",
        }
    )
    response = assistant.post("/customers/new/", data)
    assert "只能有一位主要联系人" in response.content.decode()
    assert not Customer.objects.exists()


def test_assistant_cannot_set_the_credit_limit(assistant):
    assistant.post("/customers/new/", form_data(credit_limit="999999"))
    # The credit policy's first limit for new customers, not what the assistant typed.
    assert Customer.objects.get().credit_limit == CreditPolicy.current().new_customer_credit_limit


def test_manager_sets_the_credit_limit(role_client):
    manager = role_client("sales_manager")
    manager.post("/customers/new/", form_data(credit_limit="80000"))
    assert Customer.objects.get().credit_limit == 80000


def test_edit_records_the_change_in_the_history(role_client):
    manager = role_client("sales_manager")
    customer = CustomerFactory(name="旧名称有限公司", credit_limit=1000)
    data = form_data(
        name="新名称有限公司",
        credit_code=customer.credit_code,
        credit_limit="2000",
        **{"contacts-TOTAL_FORMS": "0", "addresses-TOTAL_FORMS": "0"},
    )
    response = manager.post(f"/customers/{customer.pk}/edit/", data)
    assert response.status_code == 302
    page = manager.get(f"/customers/{customer.pk}/").content.decode()
    assert "旧名称有限公司" in page and "新名称有限公司" in page
    assert "1000.00" in page and "2000.00" in page


def test_credit_changes_are_hidden_from_the_history_of_roles_without_credit_access(role_client):
    customer = CustomerFactory(credit_limit=1000)
    customer.credit_limit = 2345
    customer.save()
    page = role_client("sales_assistant").get(f"/customers/{customer.pk}/").content.decode()
    assert "2345" not in page


def test_warehouse_cannot_create_customers(role_client):
    response = role_client("warehouse").post("/customers/new/", form_data())
    assert response.status_code == 403
    assert not Customer.objects.exists()
