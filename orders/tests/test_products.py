import pytest

from orders.models import Product
from tests.factories import ProductFactory


def product_data(**overrides):
    data = {
        "code": "s-001",
        "name": "服务器A型",
        "spec": "S-001",
        "unit": "台",
        "list_price": "5000.00",
        "kind": "goods",
        "description": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_manager_creates_a_product_with_normalised_code(role_client):
    client = role_client("sales_manager")
    response = client.post("/catalog/new/", product_data())
    product = Product.objects.get()
    assert response.status_code == 302
    assert product.code == "S-001"
    page = client.get(f"/catalog/{product.pk}/").content.decode()
    assert "¥5,000.00" in page and "创建了" in page


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-1", "价格不能为负数"),
        ("abc", "请以数字填写价格"),
        ("1.234", "最多两位小数"),
        ("", "这个字段是必填项"),
    ],
)
def test_bad_price_is_refused_in_chinese_and_nothing_is_saved(role_client, price, message):
    response = role_client("sales_manager").post("/catalog/new/", product_data(list_price=price))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'data-field-error="list_price"' in page
    assert not Product.objects.exists()


def test_duplicate_code_is_refused(role_client):
    ProductFactory(code="S-001")
    response = role_client("sales_manager").post("/catalog/new/", product_data())
    assert "产品编号" in response.content.decode()
    assert Product.objects.count() == 1


def test_price_change_is_recorded_in_history(role_client):
    client = role_client("data_admin")
    product = ProductFactory(list_price=5000)
    client.post(f"/catalog/{product.pk}/edit/", product_data(code=product.code, list_price="4800"))
    page = client.get(f"/catalog/{product.pk}/").content.decode()
    assert "5000.00" in page and "4800.00" in page


def test_warehouse_sees_the_catalog_without_prices(role_client):
    product = ProductFactory(list_price=5000)
    client = role_client("warehouse")
    assert "¥5,000.00" not in client.get("/catalog/").content.decode()
    page = client.get(f"/catalog/{product.pk}/").content.decode()
    assert "¥5,000.00" not in page and "5000" not in page
    assert product.name in page


def test_only_catalog_owners_may_create_or_edit(role_client):
    product = ProductFactory()
    client = role_client("sales_assistant")
    assert client.post("/catalog/new/", product_data()).status_code == 403
    assert client.post(f"/catalog/{product.pk}/edit/", product_data()).status_code == 403
    assert Product.objects.count() == 1


def test_catalog_search_and_filters(role_client):
    client = role_client("sales_assistant")
    ProductFactory(code="S-001", name="服务器A型", spec="S-001 双路")
    ProductFactory(code="SV-1", name="安装服务", kind="service", is_active=False)
    page = client.get("/catalog/", {"q": "双路"}).content.decode()
    assert "服务器A型" in page and "安装服务" not in page
    page = client.get("/catalog/", {"kind": "service"}).content.decode()
    assert "安装服务" in page and "服务器A型" not in page
    page = client.get("/catalog/", {"active": "1"}).content.decode()
    assert "服务器A型" in page and "安装服务" not in page


@pytest.mark.parametrize("rows", [2, 40])
def test_catalog_uses_a_constant_number_of_queries(
    role_client, django_assert_max_num_queries, rows
):
    client = role_client("sales_assistant")
    ProductFactory.create_batch(rows)
    with django_assert_max_num_queries(8):
        assert client.get("/catalog/").status_code == 200


@pytest.mark.django_db
def test_database_refuses_a_negative_list_price():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(code="X", name="X", list_price=-1)
