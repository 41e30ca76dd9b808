"""Import: which status a new order gets (history keeps its state, open orders go to
review, the preview says which), and numbers beyond the database columns as row errors."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import (
    ImportJob,
    ImportJobStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Product,
)
from orders.spreadsheets import imports
from orders.spreadsheets.columns import status_word
from orders.tests.test_import_helpers import SHEET_HEADERS, catalog, sheet_row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

STATUS_HEADERS = [*SHEET_HEADERS, "订单状态"]
KEPT = {"shipped", "delivered", "accepted", "completed", "cancelled", "rejected", "archived"}


@pytest.fixture
def admin_user(make_user):
    return make_user("data_admin", username="data_admin_wu", last_name="吴", first_name="敏")


def plan_of(data: bytes, actor):
    return imports.plan_import(imports.read_sheet(io.BytesIO(data), "s.xlsx"), actor=actor)


def numbered_statuses() -> list[str]:
    """Every status a numbered row can record (a draft has no number)."""
    return [status for status in OrderStatus.values if status != OrderStatus.DRAFT]


class TestImportedStatus:
    def test_history_keeps_its_state_and_open_orders_go_to_review(self, admin_user):
        """One numbered row per status, written as the Chinese pages name it."""
        catalog()
        statuses = numbered_statuses()
        rows = [
            [*sheet_row(f"202405-{i:03d}"), status_word(status)]
            for i, status in enumerate(statuses, start=1)
        ]
        rows.append([*sheet_row("202405-099"), ""])  # no recorded state
        plan = plan_of(xlsx_bytes(rows, headers=STATUS_HEADERS), admin_user)
        assert plan.is_clean, plan.error_rows
        expected = {
            f"202405-{i:03d}": status if status in KEPT else "pending_review"
            for i, status in enumerate(statuses, start=1)
        } | {"202405-099": "pending_review"}
        # The preview says it per row, and counts the orders going to review.
        assert {row.number: row.after_status for row in plan.rows} == expected
        assert {row.number for row in plan.rows if row.review} == {
            number for number, status in expected.items() if status == "pending_review"
        }
        counts = plan.counts()
        assert counts["review"] == len(statuses) - len(KEPT) + 1
        assert counts["kept"] == len(KEPT)
        confirmed_number = f"202405-{statuses.index('confirmed') + 1:03d}"
        confirmed = next(row for row in plan.rows if row.number == confirmed_number)
        assert "已确认" in " ".join(confirmed.notes)

        imports.import_write(plan, actor=admin_user, create_missing=False, source_name="s.xlsx")
        assert dict(Order.objects.values_list("number", "status")) == expected
        # Each entered its state through order.import: one "imported" row with the status.
        for order in Order.objects.all():
            event = OrderEvent.objects.get(order=order)
            assert (event.action, event.to_status) == ("import", order.status)

    def test_english_labels_and_codes_are_read_too(self, admin_user):
        catalog()
        rows = [
            [*sheet_row("202405-001"), "Completed"],
            [*sheet_row("202405-002"), "cancelled"],
            [*sheet_row("202405-003"), "Pending director approval"],
        ]
        plan = plan_of(xlsx_bytes(rows, headers=STATUS_HEADERS), admin_user)
        assert [(row.after_status, row.review) for row in plan.rows] == [
            ("completed", False),
            ("cancelled", False),
            ("pending_review", True),
        ]

    def test_an_existing_order_keeps_the_portals_status(self, admin_user):
        things = catalog()
        order = Order.objects.create(
            number="202405-001",
            customer=things["customer"],
            owner=admin_user,
            created_by=admin_user,
        )
        plan = plan_of(
            xlsx_bytes([[*sheet_row("202405-001"), "已完成"]], headers=STATUS_HEADERS), admin_user
        )
        assert plan.rows[0].after_status == order.status == "draft" and not plan.rows[0].review
        assert plan.counts()["review"] == 0

    def test_the_preview_page_shows_each_rows_status_and_how_many_go_to_review(self, role_client):
        catalog()
        client = role_client("data_admin")
        rows = [
            [*sheet_row("202405-001"), "已完成"],
            [*sheet_row("202405-001", quantity=2, amount=10000), ""],
            [*sheet_row("202405-002"), "已审核"],
            [*sheet_row("202405-003"), ""],
        ]
        response = client.post(
            reverse("orders:import"), {"file": upload(xlsx_bytes(rows, headers=STATUS_HEADERS))}
        )
        job = ImportJob.objects.get()
        assert job.status == ImportJobStatus.READY
        page = client.get(response.url).content.decode()
        assert '<div class="import-count text-warning" data-count="review">2</div>' in page
        assert 'data-testid="import-review-summary"' in page
        for row, status in ((2, "completed"), (3, "completed"), (4, "pending_review")):
            start = page.index(f'<tr data-row="{row}"')
            cell = page[start : page.index("</tr>", start)]
            assert f'data-status="{status}"' in cell
            assert ('data-review="true"' in cell) == (status == "pending_review")
        client.post(reverse("orders:import_run", args=[job.pk]))
        assert dict(Order.objects.values_list("number", "status")) == {
            "202405-001": "completed",
            "202405-002": "pending_review",
            "202405-003": "pending_review",
        }


# --- numbers beyond the database columns --------------------------------------------


class TestNumbersBeyondTheColumns:
    @pytest.mark.parametrize(
        ("cells", "column"),
        [
            ({"quantity": 1e20, "amount": ""}, "数量"),
            ({"quantity": "100000000000000000000", "amount": ""}, "数量"),
            ({"quantity": 1e30, "amount": ""}, "数量"),
            ({"price": "12345678901234", "amount": ""}, "单价(元)"),  # 14 digits
            ({"price": 1e40, "amount": ""}, "单价(元)"),
            ({"price": float("inf"), "amount": ""}, "单价(元)"),
            ({"amount": "1" * 40}, "总金额(元)"),
            # Each fits its column; quantity × price does not fit a line.
            ({"quantity": "9999999999", "price": "999999999999", "amount": ""}, "总金额(元)"),
        ],
    )
    def test_is_a_row_error_in_the_preview_and_nothing_is_written(self, role_client, cells, column):
        catalog()
        client = role_client("data_admin")
        data = xlsx_bytes([sheet_row("202405-001"), sheet_row("202405-002", **cells)])
        response = client.post(reverse("orders:import"), {"file": upload(data)})
        job = ImportJob.objects.get()
        assert job.status == ImportJobStatus.INVALID
        errors = {row["row"]: row["errors"] for row in job.report["rows"] if row["errors"]}
        assert [e["column"] for e in errors[3]] == [column], errors
        assert 2 not in errors
        page = client.get(response.url).content.decode()
        assert f'data-error-column="{column}"' in page
        run = client.post(reverse("orders:import_run", args=[job.pk]))
        assert run.status_code == 302
        assert not Order.objects.exists()

    def test_lines_that_overflow_the_order_total_are_an_error_of_the_row_that_does_it(
        self, admin_user
    ):
        catalog()
        big = {"quantity": "9000000000", "price": "9000000", "amount": ""}  # 8.1e16 each…
        small = {"quantity": "1000000", "price": "9000000", "amount": ""}  # 9e12
        rows = [sheet_row("202405-001", **small) for _ in range(11)]
        rows.append(sheet_row("202405-002", quantity=1, price=1, amount=1))
        plan = plan_of(xlsx_bytes(rows), admin_user)
        # 11 × 9e12 = 9.9e13 fits the total (at most 99,999,999,999,999.99); one more does not.
        assert plan.is_clean, plan.error_rows
        rows.insert(11, sheet_row("202405-001", **small))
        plan = plan_of(xlsx_bytes(rows), admin_user)
        errors = {row.row: row.errors for row in plan.rows if row.errors}
        assert list(errors) == [13]
        assert errors[13][0][0] == "总金额(元)"
        assert "99,999,999,999,999.99" in errors[13][0][1]
        # A line alone beyond it is the same error.
        plan = plan_of(xlsx_bytes([sheet_row("202405-003", **big)]), admin_user)
        assert [e[0] for e in plan.rows[0].errors] == ["总金额(元)"]

    def test_the_largest_numbers_that_fit_are_imported(self, admin_user):
        catalog()
        rows = [
            sheet_row("202405-001", quantity="9999999999.99", price="1", amount=""),
            sheet_row("202405-002", quantity="1", price="999999999999.99", amount=""),
        ]
        _plan, result = imports.import_file(
            io.BytesIO(xlsx_bytes(rows)), "max.xlsx", actor=admin_user, create_missing=True
        )
        assert result is not None and result.created == 2
        assert sorted(OrderLine.objects.values_list("amount", flat=True)) == [
            Decimal("9999999999.99"),
            Decimal("999999999999.99"),
        ]

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        quantity=st.one_of(
            st.decimals(allow_nan=True, allow_infinity=True),
            st.floats(),
            st.integers(min_value=-(10**40), max_value=10**40),
            st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=40),
        ),
        price=st.one_of(
            st.decimals(allow_nan=True, allow_infinity=True),
            st.floats(),
            st.integers(min_value=-(10**40), max_value=10**40),
        ),
    )
    def test_any_number_either_imports_or_is_a_row_error(self, admin_user, quantity, price):
        """Whatever the cells hold, the preview decides and the write never fails."""
        if not Product.objects.exists():
            catalog()
        cells = [str(value) if isinstance(value, Decimal) else value for value in (quantity, price)]
        data = xlsx_bytes([sheet_row("202405-001", quantity=cells[0], price=cells[1], amount="")])
        plan = plan_of(data, admin_user)
        if plan.is_clean:
            result = imports.import_write(
                plan, actor=admin_user, create_missing=True, source_name="h.xlsx"
            )
            assert result.created == 1
            Order.objects.all().delete()
        else:
            assert {column for row in plan.error_rows for column, _m in row.errors} <= {
                "数量",
                "单价(元)",
                "总金额(元)",
            }
            assert not Order.objects.exists()


class TestDatesTheDatabaseRefuses:
    """A delivery date before the order date breaks a database constraint: a row error."""

    def test_a_new_order_without_an_order_date_is_dated_today(self, role_client):
        catalog()
        client = role_client("data_admin")
        headers = [h for h in SHEET_HEADERS if h != "下单日期"]
        row = sheet_row(delivery="2024-05-25")
        del row[SHEET_HEADERS.index("下单日期")]
        response = client.post(
            reverse("orders:import"), {"file": upload(xlsx_bytes([row], headers=headers))}
        )
        job = ImportJob.objects.get()
        assert job.status == ImportJobStatus.INVALID
        [error] = job.report["rows"][0]["errors"]
        assert error["column"] == "交付日期" and "2024-05-25" in error["message"]
        assert client.get(response.url).status_code == 200
        assert client.post(reverse("orders:import_run", args=[job.pk])).status_code == 302
        assert not Order.objects.exists()

    def test_rows_of_one_order_are_compared_together(self, admin_user):
        catalog()
        rows = [
            sheet_row("202405-001", order_date="2024-05-10", delivery=""),
            sheet_row("202405-001", order_date="", delivery="2024-05-01"),
        ]
        plan = plan_of(xlsx_bytes(rows), admin_user)
        assert [(r.row, [c for c, _m in r.errors]) for r in plan.rows] == [
            (2, []),
            (3, ["交付日期"]),
        ]

    def test_an_update_is_compared_with_the_portals_dates(self, admin_user):
        things = catalog()
        plan = plan_of(xlsx_bytes([sheet_row()]), admin_user)
        imports.import_write(plan, actor=admin_user, create_missing=False, source_name="a")
        assert Order.objects.get().requested_delivery_date.isoformat() == "2024-05-25"
        later = sheet_row(order_date="2024-06-01", delivery="", note="改")
        plan = plan_of(xlsx_bytes([later]), admin_user)
        assert [c for c, _m in plan.rows[0].errors] == ["下单日期"]
        assert things["customer"].orders.get().order_date.isoformat() == "2024-05-10"
