"""Export of the order list (as filtered), customers and products; formula neutralising."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from core import spreadsheets
from customers.spreadsheet import CUSTOMER_HEADERS
from orders.models import Order, OrderLine, OrderStatus
from orders.services.orders import order_recalculate_total
from orders.spreadsheets import columns, exports, imports
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADERS = [column.header for column in columns.COLUMNS]


def xlsx_rows(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def make_orders(count: int, owner) -> list[Order]:
    """``count`` numbered orders of various states, with 1–3 lines each, in a few queries."""
    customers = [CustomerFactory() for _ in range(10)]
    products = [ProductFactory(list_price=Decimal(100 + i)) for i in range(8)]
    statuses = [
        OrderStatus.PENDING_REVIEW,
        OrderStatus.CONFIRMED,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
        OrderStatus.NEEDS_INFO,
        OrderStatus.PENDING_APPROVAL,
    ]
    terms = ["deposit_30", "net_30", "prepaid", "", "other"]
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"2024{1 + i // 400:02d}-{i % 400 + 1:03d}",
                status=statuses[i % len(statuses)],
                customer=customers[i % len(customers)],
                owner=owner,
                created_by=owner,
                contact_name="王经理",
                contact_phone="010-12345678" if i % 2 else "13800138000",
                order_date=date(2024, 1, 1) + timedelta(days=i % 300),
                requested_delivery_date=(date(2024, 1, 20) + timedelta(days=i % 300))
                if i % 5
                else None,
                payment_terms=terms[i % len(terms)],
                payment_note="季度结算" if terms[i % len(terms)] == "other" else "",
                delivery_address="上海市浦东新区张江路88号",
                special_requirements="" if i % 3 else "需定制logo",
            )
            for i in range(count)
        ]
    )
    lines = []
    for i, order in enumerate(orders):
        for position in range(1, 2 + i % 3):
            product = products[(i + position) % len(products)]
            lines.append(
                OrderLine(
                    order=order,
                    position=position,
                    product=product,
                    spec=product.spec,
                    quantity=Decimal(position * 2 + i % 7) + Decimal("0.5") * (i % 2),
                    unit=product.unit,
                    unit_price=product.list_price,
                    discount_percent=Decimal("5") if i % 11 == 0 else Decimal("0"),
                )
            )
    OrderLine.objects.bulk_create(lines)
    for order in orders:
        order_recalculate_total(order=order)
    return orders


class TestOrderExport:
    def test_export_then_import_of_1000_orders_is_a_no_op(self, role_client):
        client = role_client("data_admin", username="admin_li", last_name="李", first_name="娜")
        make_orders(1000, client.user)
        before = list(Order.objects.order_by("pk").values_list("pk", "updated_at", "total_amount"))
        lines_before = OrderLine.objects.count()
        for fmt in ("xlsx", "csv"):
            response = client.get(reverse("orders:export"), {"format": fmt})
            assert response.status_code == 200
            started = time.perf_counter()
            plan = imports.plan_import(
                imports.read_sheet(io.BytesIO(response.content), f"orders.{fmt}"),
                actor=client.user,
            )
            elapsed = time.perf_counter() - started
            assert plan.is_clean, plan.error_rows[:3]
            assert len(plan.orders) == 1000
            assert {row.action for row in plan.rows} == {"unchanged"}, [
                (r.row, r.action) for r in plan.rows if r.action != "unchanged"
            ][:5]
            result = imports.import_write(
                plan, actor=client.user, create_missing=False, source_name=f"orders.{fmt}"
            )
            assert result.unchanged == 1000 and result.created == result.updated == 0
            print(f"round trip {fmt}: {len(plan.rows)} rows planned in {elapsed:.2f}s")
        assert (
            list(Order.objects.order_by("pk").values_list("pk", "updated_at", "total_amount"))
            == before
        )
        assert OrderLine.objects.count() == lines_before

    def test_export_has_the_sheet_columns_and_one_row_per_line(self, role_client):
        client = role_client("sales_manager")
        order = OrderFactory(number="202405-001", status=OrderStatus.SHIPPED)
        product = ProductFactory(
            code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
        )
        OrderLineFactory(order=order, product=product, quantity=Decimal("10"))
        OrderLineFactory(order=order, product=product, quantity=Decimal("2"))
        rows = xlsx_rows(client.get(reverse("orders:export")).content)
        assert rows[0] == HEADERS
        assert rows[0][:15] == [
            "订单编号", "客户名称", "联系人", "联系方式", "下单日期", "产品/服务名称", "规格型号", "数量",
            "单价(元)", "总金额(元)", "付款方式", "交付地址", "交付日期", "销售负责人", "备注",
        ]  # fmt: skip
        assert len(rows) == 3
        first = dict(zip(HEADERS, rows[1], strict=True))
        assert first["订单编号"] == "202405-001"
        assert first["产品/服务名称"] == "服务器A型"
        assert first["数量"] == 10 and first["单价(元)"] == 5000 and first["总金额(元)"] == 50000
        assert first["订单状态"] == "已发货"
        assert first["付款方式"] == "月结 30 天"  # the portal's label, read back by the import

    def test_export_follows_the_list_filters(self, role_client):
        client = role_client("sales_assistant")
        wanted = CustomerFactory(name="华东贸易")
        OrderFactory(number="202405-001", customer=wanted, status=OrderStatus.PENDING_REVIEW)
        OrderFactory(number="202405-002", customer=wanted, status=OrderStatus.NEEDS_INFO)
        OrderFactory(number="202405-003", status=OrderStatus.PENDING_REVIEW)
        for order in Order.objects.all():
            OrderLineFactory(order=order)
        response = client.get(
            reverse("orders:export"), {"format": "csv", "q": "华东", "status": "pending_review"}
        )
        rows = csv_rows(response.content)
        assert [row[0] for row in rows[1:]] == ["202405-001"]
        assert response["Content-Disposition"].startswith('attachment; filename="orders-')

    def test_list_page_links_export_with_the_current_query(self, role_client):
        client = role_client("sales_assistant")
        page = client.get(
            reverse("orders:list"), {"q": "华东", "status": "pending_review"}
        ).content.decode()
        assert (
            "/orders/export/?q=%E5%8D%8E%E4%B8%9C&amp;status=pending_review&amp;format=xlsx" in page
        )
        assert 'data-testid="import-link"' not in page
        page = role_client("data_admin").get(reverse("orders:list")).content.decode()
        assert 'data-testid="import-link"' in page

    def test_users_without_price_rights_export_no_prices(self, role_client):
        client = role_client("warehouse")
        OrderLineFactory(order=OrderFactory(number="202405-001"))
        rows = csv_rows(client.get(reverse("orders:export"), {"format": "csv"}).content)
        row = dict(zip(HEADERS, rows[1], strict=True))
        assert row["单价(元)"] == row["总金额(元)"] == "" and row["数量"] == "2.00"
        assert row["联系方式"] == ""

    @pytest.mark.parametrize(
        "payload",
        ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1"],
    )
    def test_cells_that_look_like_formulas_are_neutralised(self, role_client, payload):
        client = role_client("data_admin")
        customer = CustomerFactory(name=payload)
        order = OrderFactory(
            number="202405-001",
            customer=customer,
            special_requirements=payload,
            contact_name=payload,
        )
        OrderLineFactory(order=order)
        xlsx = xlsx_rows(client.get(reverse("orders:export"), {"format": "xlsx"}).content)
        row = dict(zip(HEADERS, xlsx[1], strict=True))
        for column in ("客户名称", "联系人", "备注"):
            assert row[column] == "'" + payload
        sheet = load_workbook(io.BytesIO(client.get(reverse("orders:export")).content)).worksheets[
            0
        ]
        assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)
        text = csv_rows(client.get(reverse("orders:export"), {"format": "csv"}).content)
        row = dict(zip(HEADERS, text[1], strict=True))
        assert row["客户名称"] == "'" + payload and row["备注"] == "'" + payload
        # ...and the neutralised file imports back as the same text, unchanged.
        plan = imports.plan_import(
            imports.read_sheet(io.BytesIO(client.get(reverse("orders:export")).content), "o.xlsx"),
            actor=client.user,
        )
        assert plan.is_clean and plan.rows[0].action == "unchanged", plan.rows[0]

    def test_neutralise(self):
        assert spreadsheets.neutralise("=1+1") == "'=1+1"
        assert spreadsheets.neutralise("普通文字") == "普通文字"
        assert spreadsheets.neutralise(Decimal("-5")) == Decimal("-5")


class TestCustomerAndProductExport:
    def test_customers_export_with_contacts_and_masked_credit(self, role_client):
        customer = CustomerFactory(name='=HYPERLINK("http://evil")', code="C00001")
        ContactFactory(customer=customer, name="李先生", mobile="13800138000")
        client = role_client("sales_assistant")
        response = client.get(reverse("orders:export_customers"), {"format": "xlsx"})
        assert response.status_code == 200
        rows = xlsx_rows(response.content)
        assert rows[0] == CUSTOMER_HEADERS
        row = dict(zip(CUSTOMER_HEADERS, rows[1], strict=True))
        assert row["客户名称"].startswith("'=")
        assert row["联系人"] == "李先生"
        assert row["信用额度(元)"] in ("", None)  # assistants may not see credit data

        rows = csv_rows(
            role_client("data_admin")
            .get(reverse("orders:export_customers"), {"format": "csv"})
            .content
        )
        row = dict(zip(CUSTOMER_HEADERS, rows[1], strict=True))
        assert row["信用额度(元)"] == "100000.00" and row["联系方式"] == "13800138000"

    def test_products_export_hides_prices_from_warehouse(self, role_client):
        ProductFactory(code="S-001", name="服务器A型", list_price=Decimal("5000"))
        rows = csv_rows(
            role_client("warehouse")
            .get(reverse("orders:export_products"), {"format": "csv"})
            .content
        )
        assert rows[0] == exports.PRODUCT_HEADERS
        assert rows[1][:2] == ["S-001", "服务器A型"] and rows[1][4] == ""
        rows = xlsx_rows(role_client("data_admin").get(reverse("orders:export_products")).content)
        assert rows[1][4] == 5000

    def test_export_needs_login(self, client):
        response = client.get(reverse("orders:export"))
        assert response.status_code in (302, 403)
        UserFactory()


def every_status_orders(owner) -> list[Order]:
    """One order per status, each with two lines, plus a draft without lines (a draft has
    no number; archived orders take no line through save(), hence bulk writes)."""
    customer = CustomerFactory(name="华东贸易")
    product = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    statuses = [*OrderStatus.values, OrderStatus.DRAFT]
    orders = Order.objects.bulk_create(
        Order(
            number=None if status == OrderStatus.DRAFT else f"202405-{i:03d}",
            status=status,
            customer=customer,
            owner=owner,
            created_by=owner,
            contact_name="王经理",
            contact_phone="13800138000",
            order_date=date(2024, 5, 10),
            requested_delivery_date=date(2024, 5, 25),
            payment_terms="net_30",
            delivery_address="上海市浦东新区张江路88号",
            special_requirements="需定制logo",
        )
        for i, status in enumerate(statuses, start=1)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            position=position,
            product=product,
            spec=product.spec,
            quantity=Decimal(position + 1),
            unit=product.unit,
            unit_price=product.list_price,
        )
        for order in orders[:-1]
        for position in (1, 2)
    )
    for order in orders:
        order_recalculate_total(order=order)
    return orders


def page_label(status: str) -> str:
    """The status as the Chinese order pages show it."""
    with translation.override("zh-hans"):
        return str(Order(status=status).get_status_display())


class TestEveryStatus:
    def test_the_status_column_says_what_the_pages_say_never_a_code(self, role_client):
        client = role_client("data_admin")
        orders = every_status_orders(client.user)
        rows = xlsx_rows(client.get(reverse("orders:export")).content)
        status_of = {row[0]: row[HEADERS.index("订单状态")] for row in rows[1:]}
        for order in orders:
            number = order.number or f"草稿 #{order.pk}"
            assert status_of[number] == page_label(order.status), order.status
        assert not set(status_of.values()) & set(OrderStatus.values)
        assert status_of["202405-008"] == "已确认"  # confirmed; the old sheet said 已审核
        assert "已审核" not in status_of.values()
        assert len(set(status_of.values())) == len(OrderStatus.values)

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_export_import_export_of_every_status_is_lossless(self, role_client, fmt):
        client = role_client("data_admin")
        every_status_orders(client.user)
        snapshot = list(
            Order.objects.order_by("pk").values_list("pk", "number", "status", "updated_at")
        )
        first = client.get(reverse("orders:export"), {"format": fmt}).content
        plan = imports.plan_import(
            imports.read_sheet(io.BytesIO(first), f"orders.{fmt}"), actor=client.user
        )
        assert plan.is_clean, plan.error_rows
        assert len(plan.orders) == len(OrderStatus.values) + 1
        assert {row.action for row in plan.rows} == {"unchanged"}
        assert not [row.notes for row in plan.rows if row.notes]
        result = imports.import_write(
            plan, actor=client.user, create_missing=False, source_name=f"orders.{fmt}"
        )
        assert result.unchanged == len(plan.orders) and result.created == result.updated == 0
        second = client.get(reverse("orders:export"), {"format": fmt}).content
        read = xlsx_rows if fmt == "xlsx" else csv_rows
        assert read(second) == read(first)
        assert (
            list(Order.objects.order_by("pk").values_list("pk", "number", "status", "updated_at"))
            == snapshot
        )

    def test_an_exported_draft_comes_back_as_a_draft(self, role_client):
        client = role_client("data_admin")
        orders = every_status_orders(client.user)
        with_lines = orders[0]
        assert with_lines.status == OrderStatus.DRAFT
        content = client.get(reverse("orders:export"), {"format": "csv"}).content
        rows = csv_rows(content)
        draft_rows = [row for row in rows[1:] if row[0] == f"草稿 #{with_lines.pk}"]
        assert len(draft_rows) == 2
        # Into a portal that does not hold the draft (e.g. another installation): a new
        # draft without a number, with its lines, not an order numbered "草稿 #…".
        Order.objects.filter(pk=with_lines.pk).delete()
        plan = imports.plan_import(
            imports.read_sheet(io.BytesIO(content), "orders.csv"), actor=client.user
        )
        assert plan.is_clean, plan.error_rows
        assert [(r.action, r.after_status) for r in plan.rows if r.number == draft_rows[0][0]] == [
            ("new_order", "draft"),
            ("new_line", "draft"),
        ]
        imports.import_write(plan, actor=client.user, create_missing=False, source_name="o.csv")
        new = Order.objects.exclude(pk__in=[o.pk for o in orders]).get()
        assert (new.number, new.status, new.lines.count()) == (None, "draft", 2)
        assert new.total_amount == Decimal("25000.00")

    def test_a_draft_submitted_since_is_named_with_its_number(self, role_client):
        client = role_client("data_admin")
        draft = every_status_orders(client.user)[0]
        content = client.get(reverse("orders:export"), {"format": "csv"}).content
        Order.objects.filter(pk=draft.pk).update(number="202406-001", status="pending_review")
        plan = imports.plan_import(
            imports.read_sheet(io.BytesIO(content), "orders.csv"), actor=client.user
        )
        errors = [row.errors for row in plan.rows if row.errors]
        assert errors == [[("订单编号", errors[0][0][1])]]
        assert "202406-001" in errors[0][0][1]
