"""Walk D: moving in from the spreadsheet, in Chromium, with a real xlsx."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from orders.models import Order, OrderEventKind
from orders.tests.test_import_helpers import SHEET_HEADERS, catalog, sheet_row, xlsx_bytes
from tests.factories import PASSWORD, CustomerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def old_sheet(*, broken: bool) -> bytes:
    """The team's sheet: a title row, the old headers, three orders over four rows."""
    return xlsx_bytes(
        [
            sheet_row("202405-001", owner="张伟"),
            sheet_row("202405-001", quantity="ten" if broken else 2, amount=10000, note=""),
            sheet_row(
                "202405-002", customer="贸易公司", quantity=3, amount=14000 if broken else 15000
            ),
            sheet_row("202405-003", quantity=1, amount=5000),
        ],
        title="销售订单基本信息表",
    )


def test_walk_d_moving_in_from_the_spreadsheet(page, live_server, login, screenshot, tmp_path):
    catalog()
    CustomerFactory(name="贸易公司")
    UserFactory(username="zhang", last_name="张", first_name="伟", roles=["sales_assistant"])
    UserFactory(username="wu", last_name="吴", first_name="敏", roles=["data_admin"])
    login("wu", PASSWORD)

    page.goto(f"{live_server.url}/orders/")
    page.get_by_test_id("import-link").click()
    broken = tmp_path / "订单台账.xlsx"
    broken.write_bytes(old_sheet(broken=True))
    page.set_input_files("#id_file", str(broken))
    page.get_by_test_id("import-upload").click()

    # The preview shows every row; the two bad ones are named with row, column and reason.
    expect(page.get_by_test_id("import-blocked")).to_be_visible()
    table = page.get_by_test_id("preview-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    bad_quantity = table.locator('tr[data-row="4"]')
    expect(bad_quantity.locator('[data-error-column="数量"]')).to_contain_text("ten")
    bad_amount = table.locator('tr[data-row="5"]')
    expect(bad_amount.locator('[data-error-column="总金额(元)"]')).to_contain_text("14000.00")
    expect(bad_amount.locator('[data-error-column="总金额(元)"]')).to_contain_text("15000.00")
    expect(page.locator('[data-count="errors"]')).to_have_text("2")
    expect(page.get_by_test_id("import-run")).to_have_count(0)
    screenshot("walk-d-1-preview-with-errors")
    assert not Order.objects.exists()

    # The fixed file imports; the orders keep their original numbers.
    page.get_by_test_id("import-again").click()
    fixed = tmp_path / "订单台账-已修正.xlsx"
    fixed.write_bytes(old_sheet(broken=False))
    page.set_input_files("#id_file", str(fixed))
    page.get_by_test_id("import-upload").click()
    expect(page.locator('[data-count="errors"]')).to_have_text("0")
    expect(page.locator('[data-count="new_order"]')).to_have_text("3")
    expect(page.locator('[data-count="new_line"]')).to_have_text("1")
    # The sheet records no state: each new order goes to review, and the preview says so.
    expect(page.locator('[data-count="review"]')).to_have_text("3")
    expect(table.locator('tr[data-row="3"] [data-review="true"]')).to_be_visible()
    screenshot("walk-d-2-preview-clean")
    page.get_by_test_id("import-run").click()
    expect(page.get_by_test_id("import-done")).to_be_visible()

    page.get_by_test_id("to-order-list").click()
    for number in ("202405-001", "202405-002", "202405-003"):
        expect(page.locator("table")).to_contain_text(number)
    order = Order.objects.get(number="202405-001")
    assert order.owner.username == "zhang"
    assert order.lines.count() == 2
    assert order.events.first().kind == OrderEventKind.IMPORTED
    screenshot("walk-d-3-imported")

    # Exporting the order list gives the same columns back.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    exported = download_info.value.path()
    with open(exported, "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read()), read_only=True).worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][: len(SHEET_HEADERS)] == SHEET_HEADERS
    assert sorted({row[0] for row in rows[1:]}) == ["202405-001", "202405-002", "202405-003"]
