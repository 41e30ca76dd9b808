import pytest

from tests.factories import ContactFactory, CustomerFactory


def test_list_searches_by_name_code_and_contact_mobile(role_client):
    client = role_client("sales_assistant")
    target = CustomerFactory(name="北京华信科技有限公司")
    ContactFactory(customer=target, mobile="13912345678")
    CustomerFactory(name="上海东方贸易有限公司")
    for query in ("华信", target.code, "13912345678"):
        page = client.get("/customers/", {"q": query}).content.decode()
        assert "北京华信科技有限公司" in page
        assert "上海东方贸易有限公司" not in page


def test_list_filters_by_region_and_qualification(role_client):
    client = role_client("sales_assistant")
    CustomerFactory(name="华南客户", region="south", qualification_status="pending")
    CustomerFactory(name="华北客户", region="north")
    page = client.get("/customers/", {"region": "south"}).content.decode()
    assert "华南客户" in page and "华北客户" not in page
    page = client.get("/customers/", {"qualification_status": "pending"}).content.decode()
    assert "华南客户" in page and "华北客户" not in page


def test_list_paginates_twenty_per_page(role_client):
    client = role_client("sales_assistant")
    CustomerFactory.create_batch(25)
    first = client.get("/customers/").content.decode()
    second = client.get("/customers/", {"page": 2}).content.decode()
    assert first.count('class="fw-semibold text-body"') == 20
    assert second.count('class="fw-semibold text-body"') == 5
    assert "第 1–20 条，共 25 条" in first


def test_empty_search_says_so(role_client):
    page = role_client("sales_assistant").get("/customers/", {"q": "不存在"}).content.decode()
    assert "没有符合筛选条件的客户" in page


@pytest.mark.parametrize("rows", [3, 30])
def test_list_uses_a_constant_number_of_queries(role_client, django_assert_max_num_queries, rows):
    client = role_client("sales_manager")
    for customer in CustomerFactory.create_batch(rows):
        ContactFactory(customer=customer)
    with django_assert_max_num_queries(9):
        response = client.get("/customers/")
    assert response.status_code == 200


def test_contact_phone_is_masked_for_roles_without_contact_access(role_client):
    customer = CustomerFactory()
    ContactFactory(customer=customer, mobile="13912345678")
    legal = role_client("legal")
    assert "13912345678" not in legal.get("/customers/").content.decode()
    assert "13912345678" not in legal.get(f"/customers/{customer.pk}/").content.decode()


def test_credit_limit_is_shown_to_manager_and_masked_for_assistant(client, make_user):
    customer = CustomerFactory(credit_limit=123456)
    client.force_login(make_user("sales_manager"))
    assert "¥123,456.00" in client.get(f"/customers/{customer.pk}/").content.decode()
    client.force_login(make_user("sales_assistant"))
    assert "¥123,456.00" not in client.get(f"/customers/{customer.pk}/").content.decode()


def test_account_manager_sees_only_assigned_customers(client, make_user):
    mine_user = make_user("account_manager")
    mine = CustomerFactory(name="我的客户", account_manager=mine_user)
    other = CustomerFactory(name="别人的客户")
    client.force_login(mine_user)
    page = client.get("/customers/").content.decode()
    assert "我的客户" in page and "别人的客户" not in page
    assert client.get(f"/customers/{mine.pk}/").status_code == 200
    assert client.get(f"/customers/{other.pk}/").status_code == 404
    assert client.get(f"/customers/{other.pk}/edit/").status_code == 404


def test_warehouse_has_no_customer_list(role_client):
    response = role_client("warehouse").get("/customers/")
    assert response.status_code == 403
    assert "您无权执行此操作" in response.content.decode()
