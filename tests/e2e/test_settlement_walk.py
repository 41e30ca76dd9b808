"""Walk A, the settlement: the sales manager finds the statement on the completed order's
page, reads it, downloads its PDF and corrects it with a credit note."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from aftersales.tests.conftest import MINIMAL_PDF
from api.tests import walk_a
from finance.models import SettlementStatement
from finance.services import payment_post
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_manager_reads_the_statement_and_issues_a_credit_note(
    page, live_server, login, screenshot
):
    from decimal import Decimal

    from django.utils import timezone

    team = walk_a.people()
    order = walk_a.confirmed_order(team)

    def advance() -> None:
        payment_post(
            actor=team["admin"],
            customer=order.customer,
            order=order,
            amount=Decimal("15000.00"),
            received_on=timezone.localdate(),
            reference="BANK-2026-0001",
        )

    walk_a.produce_and_ship(order, team, before_ship=advance)
    receipt = SimpleUploadedFile("签收单.pdf", MINIMAL_PDF, content_type="application/pdf")
    walk_a.accept_replace_complete(order, team, receipt)
    statement = SettlementStatement.objects.get(order=order)

    login("boss", PASSWORD)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    panel = page.get_by_test_id("settlement-panel")
    expect(panel).to_contain_text(statement.number)
    expect(panel).to_contain_text("¥35,000.00")
    screenshot("walk-a-settlement-order-panel")
    page.get_by_test_id("settlement-link").click()
    expect(page.locator("[data-statement-number]")).to_have_text(statement.number)
    expect(page.locator('[data-figure="balance_due"]')).to_have_text("¥35,000.00")
    expect(page.locator('[data-figure="prepaid_amount"]')).to_have_text("¥15,000.00")
    screenshot("walk-a-settlement-page")
    pdf = page.request.get(f"{live_server.url}/finance/statements/{statement.pk}/statement.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    form = page.get_by_test_id("note-form")
    form.locator("select[name=kind]").select_option("credit")
    form.locator("input[name=amount]").fill("500.00")
    form.locator("textarea[name=reason]").fill("外箱破损运费补偿")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-note]")).to_contain_text(f"{statement.number}-C01")
    expect(page.locator('[data-figure="open_balance"]')).to_have_text("¥34,500.00")
    expect(page.locator('[data-figure="balance_due"]')).to_have_text("¥35,000.00")
    screenshot("walk-a-settlement-credit-note")
