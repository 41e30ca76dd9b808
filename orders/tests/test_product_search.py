"""The entry form's product picker: searched as you type, never the whole catalogue."""

import importlib
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from orders.models import Product
from orders.models.catalog import pinyin_initials
from orders.services.orders import product_save
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCH = "/orders/product-search/"


@pytest.fixture
def catalogue():
    return {
        "server": ProductFactory(
            code="S-001", name="服务器A型", spec="2U 双路", unit="台", list_price=Decimal("5000")
        ),
        "switch": ProductFactory(
            code="NET-24", name="千兆交换机", spec="24口", unit="台", list_price=Decimal("1200")
        ),
        "cable": ProductFactory(
            code="CB-5", name="超五类网线", spec="305米/箱", unit="箱", list_price=Decimal("480")
        ),
        "old": ProductFactory(
            code="OLD-001",
            name="旧款服务器",
            spec="已停产",
            list_price=Decimal("3000"),
            is_active=False,
        ),
    }


def picks(response):
    return [int(pk) for pk in re.findall(r'data-product-pick="(\d+)"', response.content.decode())]


@pytest.fixture
def client_assistant(client, assistant):
    client.force_login(assistant)
    return client


@pytest.mark.parametrize(
    ("text", "initials"),
    [
        ("服务器A型", "fwqax"),
        ("重庆重工设备", "cqzgsb"),  # read as words: 重庆 is chongqing, 重工 zhonggong
        ("UPS电源 3kVA", "upsdy3kva"),
        ("交换机-24口", "jhj24k"),
        ("", ""),
    ],
)
def test_pinyin_initials_of_a_name(text, initials):
    assert pinyin_initials(text) == initials


def test_product_save_keeps_the_initials_of_the_current_name(admin_user):
    product = product_save(
        actor=admin_user,
        product=Product(code="ws-01", name="图形工作站", list_price=Decimal("18500")),
    )
    assert Product.objects.get(pk=product.pk).pinyin_initials == "txgzz"
    product.name = "笔记本电脑"
    product_save(actor=admin_user, product=product)
    assert Product.objects.get(pk=product.pk).pinyin_initials == "bjbdn"


def test_bulk_created_products_get_their_initials_too():
    # The spreadsheet import creates missing products in bulk, past ``save``.
    Product.objects.bulk_create([Product(code="IMP-00001", name="数据迁移服务", list_price=1)])
    assert Product.objects.get(code="IMP-00001").pinyin_initials == "sjqyfw"


def test_the_migration_backfills_with_the_same_rule():
    migration = importlib.import_module("orders.migrations.0017_product_pinyin_initials")
    for name in ("服务器A型", "重庆重工设备", "UPS电源 3kVA"):
        assert migration.initials(name) == pinyin_initials(name)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("S-001", ["server"]),  # code
        ("net", ["switch"]),  # part of a code, any case
        ("交换", ["switch"]),  # part of the name
        ("305米", ["cable"]),  # spec
        ("fwq", ["server"]),  # pinyin initials of 服务器
        ("QZJHJ", ["switch"]),  # initials typed in capitals
        ("zzz", []),
    ],
)
def test_search_by_code_name_spec_or_pinyin_initials(client_assistant, catalogue, query, expected):
    response = client_assistant.get(SEARCH, {"product_q": query})
    assert response.status_code == 200
    assert picks(response) == [catalogue[key].pk for key in expected]
    if not expected:
        assert "data-product-pick" not in response.content.decode()


def test_products_off_sale_are_not_offered(client_assistant, catalogue):
    assert picks(client_assistant.get(SEARCH, {"product_q": "服务器"})) == [catalogue["server"].pk]


def test_exact_code_comes_first_and_answers_are_few(client_assistant):
    for n in range(30):
        ProductFactory(code=f"A{n:02d}-X", name=f"配件{n}")
    exact = ProductFactory(code="X", name="整机")
    found = picks(client_assistant.get(SEARCH, {"product_q": "x"}))
    assert found[0] == exact.pk
    assert len(found) == 10


def test_an_answer_shows_code_name_spec_unit_and_price(client_assistant, catalogue):
    page = client_assistant.get(SEARCH, {"product_q": "S-001"}).content.decode()
    assert "S-001" in page and "服务器A型" in page and "2U 双路" in page
    assert "¥5,000.00" in page and 'data-price="5000.00"' in page
    assert 'data-unit="台"' in page and 'data-label="S-001 · 服务器A型 · 2U 双路"' in page


def test_prices_stay_hidden_from_who_may_not_see_them(client, catalogue):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_order"))
    client.force_login(user)
    page = client.get(SEARCH, {"product_q": "S-001"}).content.decode()
    assert "服务器A型" in page
    assert "5,000" not in page and "5000" not in page and "data-price" not in page


@pytest.mark.parametrize("query", ["", "   ", "%", "_", "'; DROP TABLE x; --", "服" * 500, "\x00"])
def test_odd_input_is_no_error(client_assistant, catalogue, query):
    response = client_assistant.get(SEARCH, {"product_q": query})
    assert response.status_code == 200


def test_the_search_needs_the_right_to_enter_orders(role_client, catalogue):
    assert role_client("warehouse").get(SEARCH, {"product_q": "S"}).status_code == 403
    assert role_client("sales_assistant").post(SEARCH, {"product_q": "S"}).status_code == 405


@pytest.mark.parametrize("value", ["9" * 30, "-1", "1e5", "abc", "٣"])
def test_a_hand_made_product_id_is_a_field_error_not_a_500(client_assistant, value):
    from orders.models import Order
    from orders.tests.test_order_entry import entry_data
    from tests.factories import CustomerFactory

    product = ProductFactory()
    data = entry_data(CustomerFactory(), product, **{"lines-0-product": value})
    response = client_assistant.post("/orders/new/", data)
    assert response.status_code == 200
    assert 'data-field-error="product"' in response.content.decode()
    assert not Order.objects.exists()
