"""Order import: preview, row errors, the write, numbering, statuses, encodings, permissions."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core import spreadsheets
from customers.models import Customer
from orders.models import (
    ImportJob,
    ImportJobStatus,
    Order,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    Product,
)
from orders.services.orders import order_number_next
from orders.spreadsheets import imports
from orders.tests.test_import_helpers import (
    SHEET_HEADERS,
    catalog,
    csv_bytes,
    sheet_row,
    upload,
    xlsx_bytes,
)
from tests.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user):
    return make_user("data_admin", username="data_admin_wu", last_name="吴", first_name="敏")


def plan_of(data: bytes, name: str = "orders.xlsx", actor=None):
    sheet = imports.read_sheet(io.BytesIO(data), name)
    return imports.plan_import(sheet, actor=actor)


def errors_of(plan) -> dict[int, list[tuple[str, str]]]:
    return {row.row: row.errors for row in plan.rows if row.errors}


class TestPreview:
    def test_clean_file_is_planned_row_by_row_and_nothing_is_written(self, admin_user):
        catalog()
        data = xlsx_bytes(
            [sheet_row(), sheet_row(quantity=2, amount=10000, note=""), sheet_row("202405-002")]
        )
        plan = plan_of(data, actor=admin_user)
        assert plan.is_clean
        assert [r.action for r in plan.rows] == ["new_order", "new_line", "new_order"]
        assert [r.row for r in plan.rows] == [2, 3, 4]
        assert Order.objects.count() == 0

    def test_bad_rows_are_named_with_row_column_and_reason(self, admin_user):
        catalog()
        OrderFactory(number="202405-009", customer=CustomerFactory(name="别的公司"))
        data = xlsx_bytes(
            [
                sheet_row("202405-001", quantity="ten"),
                sheet_row("202405-002", amount=49000),
                sheet_row("202405-003", phone="12345"),
                sheet_row("202405-004", order_date="10/05/2024"),
                sheet_row("202405-005", delivery="2024-05-01"),
                sheet_row("202405-009"),
            ]
        )
        plan = plan_of(data, actor=admin_user)
        errors = errors_of(plan)
        assert not plan.is_clean
        assert errors[2] == [("数量", str(imports.MSG_NUMBER % {"value": "ten"}))]
        assert errors[3] == [
            (
                "总金额(元)",
                str(imports.MSG_AMOUNT % {"amount": "49000.00", "expected": "50000.00"}),
            )
        ]
        assert errors[4][0][0] == "联系方式"
        assert errors[5] == [("下单日期", str(imports.MSG_DATE % {"value": "10/05/2024"}))]
        assert errors[6] == [("交付日期", str(imports.MSG_DELIVERY_BEFORE))]
        assert errors[7] == [
            (
                "订单编号",
                str(imports.MSG_DIFFERENT_CUSTOMER % {"number": "202405-009", "other": "别的公司"}),
            )
        ]
        assert all(r.action == "error" for r in plan.rows)

    def test_same_number_with_two_customers_in_the_file_is_an_error(self, admin_user):
        catalog()
        CustomerFactory(name="贸易公司")
        plan = plan_of(xlsx_bytes([sheet_row(), sheet_row(customer="贸易公司")]), actor=admin_user)
        assert errors_of(plan)[3][0][0] == "客户名称"

    def test_unknown_product_needs_consent(self, admin_user):
        catalog()
        plan = plan_of(
            xlsx_bytes([sheet_row(product="不存在的产品", spec="X-1")]), actor=admin_user
        )
        assert plan.is_clean and plan.needs_consent
        assert "不存在的产品" in plan.rows[0].notes[0]
        with pytest.raises(imports.ImportRefused):
            imports.import_write(plan, actor=admin_user, create_missing=False, source_name="x")
        assert Order.objects.count() == 0

    def test_header_row_below_a_title_row_and_english_headers(self, admin_user):
        catalog()
        english = [
            "Order number",
            "Customer",
            "Contact",
            "Phone",
            "Order date",
            "Product",
            "Specification",
            "Quantity",
            "Unit price",
            "Amount",
            "Payment terms",
            "Delivery address",
            "Delivery date",
            "Sales owner",
            "Note",
        ]
        plan = plan_of(
            xlsx_bytes([sheet_row()], headers=english, title="销售订单基本信息表"), actor=admin_user
        )
        assert plan.is_clean
        assert plan.rows[0].row == 3

    def test_missing_required_columns_is_a_file_error(self):
        data = xlsx_bytes(
            [["202405-001", "科技有限公司", "李"]], headers=["订单编号", "客户名称", "联系人"]
        )
        with pytest.raises(spreadsheets.ImportFileError) as exc:
            plan_of(data)
        assert "产品/服务名称" in exc.value.message


class TestWrite:
    def test_imported_orders_keep_numbers_and_begin_with_an_imported_event(self, admin_user):
        things = catalog()
        data = xlsx_bytes(
            [sheet_row(), sheet_row(quantity=2, amount=10000), sheet_row("202405-007")]
        )
        _plan, result = imports.import_file(io.BytesIO(data), "old.xlsx", actor=admin_user)
        assert result is not None and result.created == 2 and result.lines == 3
        order = Order.objects.get(number="202405-001")
        assert order.customer == things["customer"]
        assert order.total_amount == Decimal("60000.00")
        assert order.status == OrderStatus.PENDING_REVIEW  # no status column
        assert order.order_date == date(2024, 5, 10)
        assert order.requested_delivery_date == date(2024, 5, 25)
        assert order.payment_terms == "deposit_30"
        assert order.special_requirements == "需定制logo"
        assert order.contact_phone == "13800138000"
        assert order.created_by == admin_user
        events = list(order.events.all())
        assert [e.kind for e in events] == [OrderEventKind.IMPORTED]
        assert "old.xlsx" in events[0].note
        assert list(order.lines.values_list("position", "quantity")) == [
            (1, Decimal("10.00")),
            (2, Decimal("2.00")),
        ]

    def test_counter_is_bumped_so_later_submits_never_collide(self, admin_user):
        catalog()
        data = xlsx_bytes(
            [sheet_row("202405-007"), sheet_row("202405-003"), sheet_row("202406-002")]
        )
        imports.import_file(io.BytesIO(data), "old.xlsx", actor=admin_user)
        assert order_number_next(on=date(2024, 5, 20)) == "202405-008"
        assert order_number_next(on=date(2024, 6, 1)) == "202406-003"
        # Importing lower numbers later never moves a counter back.
        imports.order_number_counters_bump(numbers=["202405-001"])
        assert order_number_next(on=date(2024, 5, 21)) == "202405-009"

    def test_status_column_maps_the_sheet_words(self, admin_user):
        catalog()
        headers = [*SHEET_HEADERS, "订单状态"]
        words = ["待审核", "已审核", "已发货", "运输中", "已送达", "已完成", "已取消"]
        rows = [[*sheet_row(f"202405-{i:03d}"), word] for i, word in enumerate(words, start=1)]
        imports.import_file(
            io.BytesIO(xlsx_bytes(rows, headers=headers)), "s.xlsx", actor=admin_user
        )
        got = dict(Order.objects.values_list("number", "status"))
        assert got == {
            "202405-001": "pending_review",
            # 已审核 is confirmed, but not yet shipped: the portal reviews it again.
            "202405-002": "pending_review",
            "202405-003": "shipped",
            "202405-004": "shipped",
            "202405-005": "delivered",
            "202405-006": "completed",
            "202405-007": "cancelled",
        }

    def test_unknown_status_word_is_a_row_error(self, admin_user):
        catalog()
        rows = [[*sheet_row(), "半路上"]]
        plan = plan_of(xlsx_bytes(rows, headers=[*SHEET_HEADERS, "订单状态"]), actor=admin_user)
        assert errors_of(plan)[2][0][0] == "订单状态"

    def test_missing_customer_and_product_are_created_with_consent(self, admin_user):
        rows = [
            sheet_row(
                customer="新客户有限公司", product="新产品", spec="N-1", price=100, amount=1000
            )
        ]
        data = xlsx_bytes(rows)
        plan, result = imports.import_file(io.BytesIO(data), "n.xlsx", actor=admin_user)
        assert result is None and plan.needs_consent
        assert not Customer.objects.exists()
        plan, result = imports.import_file(
            io.BytesIO(data), "n.xlsx", actor=admin_user, create_missing=True
        )
        assert result is not None and result.customers == 1 and result.products == 1
        customer = Customer.objects.get(name="新客户有限公司")
        assert customer.code.startswith("C") and customer.qualification_status == "pending"
        assert customer.contacts.get().mobile == "13800138000"
        product = Product.objects.get(name="新产品")
        assert product.spec == "N-1" and product.list_price == Decimal("100.00")
        assert Order.objects.get().lines.get().product == product

    def test_owner_matched_by_name(self, admin_user):
        catalog()
        zhang = UserFactory(username="zhang", last_name="张", first_name="伟")
        imports.import_file(
            io.BytesIO(xlsx_bytes([sheet_row(owner="张伟")])), "o.xlsx", actor=admin_user
        )
        assert Order.objects.get().owner == zhang

    def test_reimport_is_unchanged_and_a_changed_line_is_an_update(self, admin_user):
        catalog()
        data = xlsx_bytes([sheet_row(), sheet_row(quantity=2, amount=10000)])
        imports.import_file(io.BytesIO(data), "a.xlsx", actor=admin_user)
        plan = plan_of(data, actor=admin_user)
        assert [r.action for r in plan.rows] == ["unchanged", "unchanged"]

        changed = xlsx_bytes(
            [sheet_row(), sheet_row(quantity=3, amount=15000), sheet_row(quantity=1, amount=5000)]
        )
        plan = plan_of(changed, actor=admin_user)
        assert [r.action for r in plan.rows] == ["unchanged", "update", "new_line"]
        imports.import_write(plan, actor=admin_user, create_missing=False, source_name="b.xlsx")
        order = Order.objects.get()
        assert order.total_amount == Decimal("70000.00")
        assert order.lines.count() == 3
        assert [e.kind for e in order.events.all()] == ["imported", "edit"]

    def test_an_approved_order_is_not_changed_by_import(self, admin_user):
        things = catalog()
        OrderFactory(number="202405-001", customer=things["customer"], status=OrderStatus.CONFIRMED)
        plan = plan_of(xlsx_bytes([sheet_row()]), actor=admin_user)
        assert errors_of(plan)[2][0][0] == "订单编号"

    def test_a_failing_write_leaves_nothing_behind(self, admin_user, monkeypatch):
        catalog()
        data = xlsx_bytes([sheet_row(), sheet_row("202405-002")])

        def boom(**kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(imports, "order_number_counters_bump", boom)
        with pytest.raises(RuntimeError):
            imports.import_file(io.BytesIO(data), "a.xlsx", actor=admin_user)
        assert not Order.objects.exists() and not OrderLine.objects.exists()


class TestEncodingsAndHostileFiles:
    def test_gbk_csv_imports_with_correct_chinese(self, admin_user):
        catalog()
        data = csv_bytes([sheet_row(note="请于周五前送达，谢谢")], encoding="gbk")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        plan, result = imports.import_file(io.BytesIO(data), "gbk.csv", actor=admin_user)
        assert result is not None, plan.error_rows
        order = Order.objects.get()
        assert order.customer.name == "科技有限公司"
        assert order.special_requirements == "请于周五前送达，谢谢"
        assert order.contact_name == "李先生"

    def test_utf8_bom_csv_imports(self, admin_user):
        catalog()
        data = b"\xef\xbb\xbf" + csv_bytes([sheet_row()])
        _plan, result = imports.import_file(io.BytesIO(data), "bom.csv", actor=admin_user)
        assert result is not None and Order.objects.get().number == "202405-001"

    def test_formula_cells_are_refused_row_by_row(self, admin_user):
        catalog()
        data = xlsx_bytes(
            [sheet_row(note="=cmd|' /C calc'!A0"), sheet_row("202405-002", amount="=H3*I3")]
        )
        plan = plan_of(data, actor=admin_user)
        errors = errors_of(plan)
        assert errors[2] == [("备注", str(imports.MSG_FORMULA))]
        assert errors[3] == [("总金额(元)", str(imports.MSG_FORMULA))]

    def test_upload_views_refuse_hostile_files_and_change_nothing(self, role_client, settings):
        client = role_client("data_admin")
        url = reverse("orders:import")
        big = upload(b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024), "big.xlsx")
        renamed = upload(b"%PDF-1.4 not a workbook", "orders.xlsx")
        zip_not_xlsx = io.BytesIO()
        with zipfile.ZipFile(zip_not_xlsx, "w") as archive:
            archive.writestr("hello.txt", "hi")
        fake_zip = upload(zip_not_xlsx.getvalue(), "orders.xlsx")
        binary_csv = upload(b"\x00\x01\x02binary", "orders.csv")
        formula = upload(xlsx_bytes([sheet_row(note="=cmd|' /C calc'!A0")]), "f.xlsx")
        expectations = [
            (big, "too_large"),
            (renamed, "mismatch"),
            (fake_zip, str(spreadsheets.MSG_NOT_XLSX)),
            (binary_csv, str(spreadsheets.MSG_NOT_TEXT)),
        ]
        for file, expected in expectations:
            response = client.post(url, {"file": file})
            assert response.status_code == 200
            errors = response.context["form"].errors.as_data()["file"]
            got = {error.code for error in errors} | {str(m) for e in errors for m in e.messages}
            assert expected in got, (expected, got)
            assert "is-invalid" in response.content.decode()
        assert not ImportJob.objects.exists()

        response = client.post(url, {"file": formula}, follow=True)
        assert str(imports.MSG_FORMULA) in response.content.decode()
        job = ImportJob.objects.get()
        assert job.status == ImportJobStatus.INVALID
        response = client.post(reverse("orders:import_run", args=[job.pk]), follow=True)
        assert not Order.objects.exists()


class TestPages:
    @pytest.mark.parametrize(
        "role", ["sales_assistant", "warehouse", "sales_director", "aftersales"]
    )
    def test_others_may_not_import(self, role_client, role):
        client = role_client(role)
        assert client.get(reverse("orders:import")).status_code == 403
        response = client.post(
            reverse("orders:import"), {"file": upload(xlsx_bytes([sheet_row()]))}
        )
        assert response.status_code == 403
        assert not ImportJob.objects.exists()

    def test_someone_elses_job_is_refused(self, role_client, admin_user):
        job = ImportJob.objects.create(original_name="x.xlsx", size=1, created_by=admin_user)
        client = role_client("sales_manager")
        for name in ("import_job", "import_progress", "import_run"):
            method = client.post if name == "import_run" else client.get
            assert method(reverse(f"orders:{name}", args=[job.pk])).status_code == 403

    @pytest.mark.parametrize("role", ["data_admin", "sales_manager"])
    def test_upload_preview_and_import(self, role_client, role):
        catalog()
        client = role_client(role)
        assert client.get(reverse("orders:import")).status_code == 200
        response = client.post(
            reverse("orders:import"), {"file": upload(xlsx_bytes([sheet_row()]))}
        )
        job = ImportJob.objects.get()
        assert response.url == reverse("orders:import_job", args=[job.pk])
        page = client.get(response.url).content.decode()
        assert 'data-action="new_order"' in page and "202405-001" in page
        assert job.status == ImportJobStatus.READY and not Order.objects.exists()
        client.post(reverse("orders:import_run", args=[job.pk]))
        job.refresh_from_db()
        assert job.status == ImportJobStatus.DONE, job.error
        assert Order.objects.get().number == "202405-001"
        # A second run of the same job does nothing.
        client.post(reverse("orders:import_run", args=[job.pk]))
        assert Order.objects.count() == 1

    def test_preview_needs_consent_checkbox(self, role_client):
        client = role_client("data_admin")
        client.post(reverse("orders:import"), {"file": upload(xlsx_bytes([sheet_row()]))})
        job = ImportJob.objects.get()
        page = client.get(reverse("orders:import_job", args=[job.pk])).content.decode()
        assert 'name="create_missing"' in page and "科技有限公司" in page
        client.post(reverse("orders:import_run", args=[job.pk]))
        assert not Order.objects.exists()
        job.refresh_from_db()
        assert job.status == ImportJobStatus.READY and job.error
        client.post(reverse("orders:import_run", args=[job.pk]), {"create_missing": "on"})
        assert Order.objects.get().customer.name == "科技有限公司"

    def test_big_files_go_through_the_task_with_progress(self, role_client, monkeypatch):
        from orders import tasks

        catalog()
        monkeypatch.setattr(imports, "ASYNC_ROWS", 3)
        queued: list[tuple[str, int]] = []
        monkeypatch.setattr(
            tasks.import_job_validate, "delay", lambda pk: queued.append(("validate", pk))
        )
        monkeypatch.setattr(tasks.import_job_run, "delay", lambda pk: queued.append(("run", pk)))
        client = role_client("data_admin")
        rows = [sheet_row(f"202405-{i:03d}") for i in range(1, 6)]
        client.post(reverse("orders:import"), {"file": upload(xlsx_bytes(rows))})
        job = ImportJob.objects.get()
        assert job.status == ImportJobStatus.VALIDATING and queued == [("validate", job.pk)]
        progress = client.get(
            reverse("orders:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true"
        )
        assert 'hx-trigger="every 1s"' in progress.content.decode()
        assert "HX-Refresh" not in progress

        tasks.import_job_validate(job.pk)  # what the worker runs
        job.refresh_from_db()
        assert job.status == ImportJobStatus.READY
        progress = client.get(
            reverse("orders:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true"
        )
        assert progress["HX-Refresh"] == "true"

        client.post(reverse("orders:import_run", args=[job.pk]))
        job.refresh_from_db()
        assert job.status == ImportJobStatus.IMPORTING and queued[-1] == ("run", job.pk)
        tasks.import_job_run(job.pk)
        job.refresh_from_db()
        assert job.status == ImportJobStatus.DONE and job.result["created"] == 5
        assert job.percent == 100

    def test_a_broker_that_is_down_gives_a_clear_message_and_loses_nothing(
        self, role_client, monkeypatch
    ):
        from kombu.exceptions import OperationalError

        from orders import tasks

        def down(pk: int) -> None:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        catalog()
        monkeypatch.setattr(imports, "ASYNC_ROWS", 3)
        monkeypatch.setattr(tasks.import_job_validate, "delay", down)
        client = role_client("data_admin")
        rows = [sheet_row(f"202405-{i:03d}") for i in range(1, 6)]
        response = client.post(
            reverse("orders:import"), {"file": upload(xlsx_bytes(rows))}, follow=True
        )
        job = ImportJob.objects.get()
        assert job.status == ImportJobStatus.FAILED
        assert 'data-testid="import-error"' in response.content.decode()

        # Validated after all (the worker came back and the user uploaded again), then the
        # import itself cannot be queued: the file stays ready and nothing is written.
        tasks.import_job_validate(job.pk)
        job.refresh_from_db()
        assert job.status == ImportJobStatus.READY
        monkeypatch.setattr(tasks.import_job_run, "delay", down)
        response = client.post(reverse("orders:import_run", args=[job.pk]), follow=True)
        job.refresh_from_db()
        assert job.status == ImportJobStatus.READY
        assert not Order.objects.exists()
        assert response.status_code == 200
        assert len(list(response.context["messages"])) == 1
