from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderStatus
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory


@pytest.fixture
def product():
    return ProductFactory(code="S-010", name="服务器A型", spec="S-001", list_price=Decimal("5000"))


def entry_data(customer, product, /, **overrides):
    today = timezone.localdate()
    data = {
        "kind": "goods",
        "customer": customer.pk,
        "contact_name": "李先生",
        "contact_phone": "13800138000",
        "order_date": today.isoformat(),
        "requested_delivery_date": (today + timedelta(days=15)).isoformat(),
        "payment_terms": "deposit_30",
        "payment_note": "",
        "delivery_address": "北京市海淀区路1号",
        "delivery_postcode": "100080",
        "special_requirements": "需定制logo",
        "source_channel": "phone",
        "urgency": "normal",
        "owner": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-spec": "S-001",
        "lines-0-quantity": "10",
        "lines-0-unit": "台",
        "lines-0-unit_price": "5000.00",
        "lines-0-discount_percent": "0",
        "action": "submit",
    }
    data.update(overrides)
    return data


@pytest.fixture
def client_assistant(client, assistant):
    client.force_login(assistant)
    return client


def test_submitting_a_complete_order_numbers_it_and_computes_the_total(client_assistant, product):
    customer = CustomerFactory()
    response = client_assistant.post("/orders/new/", entry_data(customer, product))
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == f"/orders/{order.pk}/"
    assert order.status == OrderStatus.PENDING_REVIEW
    assert order.number == f"{timezone.localdate():%Y%m}-001"
    assert order.total_amount == Decimal("50000.00")
    assert order.lines.get().amount == Decimal("50000.00")
    assert list(order.events.values_list("kind", "to_status")) == [
        ("created", ""),
        ("transition", "pending_review"),
    ]


def test_line_amount_is_computed_never_typed(client_assistant, product):
    data = entry_data(
        CustomerFactory(),
        product,
        **{
            "lines-0-quantity": "3",
            "lines-0-unit_price": "2000",
            "lines-0-discount_percent": "12.5",
            "lines-0-amount": "1",
        },
    )
    client_assistant.post("/orders/new/", data)
    assert Order.objects.get().total_amount == Decimal("5250.00")


def test_a_draft_may_be_incomplete_but_submit_names_what_is_missing(client_assistant, product):
    customer = CustomerFactory()
    data = entry_data(
        customer, product, contact_phone="", requested_delivery_date="", action="draft"
    )
    response = client_assistant.post("/orders/new/", data)
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.status == OrderStatus.DRAFT and order.number is None

    data["action"] = "submit"
    response = client_assistant.post(f"/orders/{order.pk}/edit/", data)
    page = response.content.decode()
    assert 'data-field-error="contact_phone"' in page
    assert 'data-field-error="requested_delivery_date"' in page
    assert "提交订单前必须填写" in page
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and order.number is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"lines-0-quantity": "ten"}, "quantity", "请以数字填写数量"),
        ({"lines-0-quantity": "0"}, "quantity", "数量必须大于 0"),
        ({"lines-0-unit_price": "-1"}, "unit_price", "价格不能为负数"),
        ({"contact_phone": "12345"}, "contact_phone", "请输入大陆手机号码"),
        ({"delivery_postcode": "1000"}, "delivery_postcode", "邮政编码应为 6 位数字"),
        ({"customer": ""}, "customer", "请选择客户"),
    ],
)
def test_bad_input_is_named_in_chinese_and_nothing_is_saved(
    client_assistant, product, overrides, field, message
):
    response = client_assistant.post(
        "/orders/new/", entry_data(CustomerFactory(), product, **overrides)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    if field != "customer":
        assert f'data-field-error="{field}"' in page
    assert not Order.objects.exists()


def test_delivery_before_order_date_is_refused(client_assistant, product):
    today = timezone.localdate()
    data = entry_data(
        CustomerFactory(), product, requested_delivery_date=(today - timedelta(days=1)).isoformat()
    )
    page = client_assistant.post("/orders/new/", data).content.decode()
    assert "交付日期不能早于下单日期" in page
    assert not Order.objects.exists()


def test_duplicate_order_is_warned_and_can_be_confirmed(client_assistant, assistant, product):
    customer = CustomerFactory()
    earlier = OrderFactory(
        customer=customer,
        owner=assistant,
        created_by=assistant,
        number="202611-900",
        status=OrderStatus.PENDING_REVIEW,
    )
    OrderLineFactory(order=earlier, product=product)
    response = client_assistant.post("/orders/new/", entry_data(customer, product))
    page = response.content.decode()
    assert "可能重复" in page and "202611-900" in page
    order = Order.objects.exclude(pk=earlier.pk).get()
    assert order.status == OrderStatus.DRAFT  # kept as a draft, nothing lost

    data = entry_data(
        customer,
        product,
        confirm_duplicate="on",
        **{
            "lines-INITIAL_FORMS": "1",
            "lines-0-id": order.lines.get().pk,
        },
    )
    response = client_assistant.post(f"/orders/{order.pk}/edit/", data)
    order.refresh_from_db()
    assert response.status_code == 302
    assert order.status == OrderStatus.PENDING_REVIEW
    assert order.events.filter(note="已确认不是重复订单。").exists()


def test_service_orders_need_no_delivery_address(client_assistant):
    service = ProductFactory(code="SV-INST", name="上门安装服务", kind="service", list_price=800)
    data = entry_data(
        CustomerFactory(),
        service,
        kind="service",
        delivery_address="",
        delivery_postcode="",
        **{"lines-0-unit": "次", "lines-0-unit_price": "800"},
    )
    client_assistant.post("/orders/new/", data)
    order = Order.objects.get()
    assert order.is_service and order.status == OrderStatus.PENDING_REVIEW
    page = client_assistant.get(f"/orders/{order.pk}/").content.decode()
    assert "服务类订单" in page


def test_lines_can_be_removed_while_editing(client_assistant, draft_order, product):
    line = draft_order.lines.get()
    data = entry_data(
        draft_order.customer,
        line.product,
        action="draft",
        **{
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "1",
            "lines-0-id": line.pk,
            "lines-0-DELETE": "on",
            "lines-1-product": product.pk,
            "lines-1-quantity": "1",
            "lines-1-unit_price": "5000",
            "lines-1-discount_percent": "0",
        },
    )
    client_assistant.post(f"/orders/{draft_order.pk}/edit/", data)
    draft_order.refresh_from_db()
    assert draft_order.lines.count() == 1 and draft_order.total_amount == Decimal("5000.00")


def test_totals_endpoint_computes_with_decimals(client_assistant):
    response = client_assistant.post(
        "/orders/totals/",
        {
            "lines-TOTAL_FORMS": "2",
            "lines-0-quantity": "3",
            "lines-0-unit_price": "0.10",
            "lines-0-discount_percent": "0",
            "lines-1-quantity": "x",
            "lines-1-unit_price": "1",
        },
    )
    page = response.content.decode()
    assert "¥0.30" in page and 'id="line-amount-1"' in page


def test_customer_search_finds_by_name_and_quick_create_selects_the_new_customer(client_assistant):
    CustomerFactory(name="北京华信科技有限公司")
    page = client_assistant.get("/orders/customer-search/", {"customer_q": "华信"}).content.decode()
    assert "北京华信科技有限公司" in page and "data-customer-pick" in page

    response = client_assistant.post(
        "/orders/customer-quick-create/",
        {
            "quick-name": "新客户科技有限公司",
            "quick-region": "north",
            "quick-industry": "it",
            "quick-contact_name": "李先生",
            "quick-mobile": "13800138000",
            "quick-email": "li@example.com",
        },
    )
    assert "data-autoselect" in response.content.decode()
    bad = client_assistant.post(
        "/orders/customer-quick-create/",
        {
            "quick-name": "另一家公司",
            "quick-region": "north",
            "quick-industry": "it",
            "quick-contact_name": "李先生",
            "quick-mobile": "123",
        },
    )
    assert bad["HX-Retarget"] == "#quick-customer-form"
    assert "11 位大陆手机号码" in bad.content.decode()


def test_only_the_creator_or_owner_edits_and_only_while_editable(client, make_user, draft_order):
    other = make_user("sales_assistant")
    client.force_login(other)
    assert client.get(f"/orders/{draft_order.pk}/edit/").status_code == 403
    client.force_login(draft_order.created_by)
    Order.objects.filter(pk=draft_order.pk).update(status=OrderStatus.PENDING_REVIEW)
    response = client.get(f"/orders/{draft_order.pk}/edit/")
    assert response.status_code == 409
    assert f'href="/orders/{draft_order.pk}/"' in response.content.decode()


def test_warehouse_cannot_enter_orders(role_client, product):
    client = role_client("warehouse")
    assert client.get("/orders/new/").status_code == 403
    assert client.post("/orders/new/", entry_data(CustomerFactory(), product)).status_code == 403
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


# --- the product picker: searched as you type, the page carries no catalogue -----------


def test_the_entry_page_does_not_grow_with_the_catalogue(client_assistant, product):
    small = client_assistant.get("/orders/new/").content
    ProductFactory.create_batch(300, spec="一个相当长的规格型号说明文字")
    large = client_assistant.get("/orders/new/").content
    assert len(large) == len(small)
    assert len(large) < 80_000
    assert "服务器A型".encode() not in large  # no product at all until one is searched
    page = large.decode()
    assert 'name="lines-0-product"' in page and 'hx-get="/orders/product-search/"' in page


def test_an_added_line_has_its_own_picker(client_assistant, product):
    page = client_assistant.get("/orders/line-row/", {"lines-TOTAL_FORMS": "3"}).content.decode()
    assert (
        'id="id_lines-3-product"' in page and 'aria-controls="id_lines-3-product-results"' in page
    )
    assert 'id="id_lines-3-product-results"' in page


def test_editing_a_saved_order_shows_the_chosen_product(client_assistant, draft_order):
    line = draft_order.lines.get()
    page = client_assistant.get(f"/orders/{draft_order.pk}/edit/").content.decode()
    assert f'name="lines-0-product" id="id_lines-0-product" value="{line.product_id}"' in page
    assert 'value="S-001 · 服务器A型 · S-001"' in page


def test_a_returned_order_keeps_a_product_gone_off_sale(client_assistant, draft_order):
    line = draft_order.lines.get()
    type(line.product).objects.filter(pk=line.product_id).update(is_active=False)
    page = client_assistant.get(f"/orders/{draft_order.pk}/edit/").content.decode()
    assert "服务器A型" in page
    data = entry_data(
        draft_order.customer,
        line.product,
        action="draft",
        **{"lines-INITIAL_FORMS": "1", "lines-0-id": line.pk, "lines-0-quantity": "12"},
    )
    response = client_assistant.post(f"/orders/{draft_order.pk}/edit/", data)
    assert response.status_code == 302
    assert draft_order.lines.get().quantity == Decimal("12")


def test_a_new_line_cannot_take_a_product_off_sale(client_assistant, product):
    product.is_active = False
    product.save()
    page = client_assistant.post(
        "/orders/new/", entry_data(CustomerFactory(), product, action="draft")
    ).content.decode()
    assert 'data-field-error="product"' in page
    assert not Order.objects.exists()


def test_a_form_shown_again_keeps_the_chosen_product_and_asks_for_a_missing_one(
    client_assistant, product
):
    data = entry_data(
        CustomerFactory(),
        product,
        **{
            "lines-TOTAL_FORMS": "2",
            "lines-0-quantity": "ten",
            "lines-1-product": "",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "10",
        },
    )
    page = client_assistant.post("/orders/new/", data).content.decode()
    assert f'id="id_lines-0-product" value="{product.pk}"' in page
    assert 'value="S-010 · 服务器A型 · S-001"' in page
    assert 'data-field-error="product"' in page
    assert not Order.objects.exists()
