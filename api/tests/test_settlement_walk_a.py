"""The settlement statement (结算单) of walk A: every figure worked out by hand from the
walk's inputs, the advance and the balance posted by finance through the API, the credit
file following, the statement issued once, and its PDF printing Chinese.

Inputs (the acceptance walk A): 10 × 服务器A型 at 5,000.00 CNY, no discount
→ order 50,000.00 CNY; terms "deposit 30 %, balance on delivery"; one shipment of all
10; accepted 10 "with exceptions" (a damaged carton); one carton replaced (free of
charge); no refund. By hand:

* delivered 10, accepted 10, replaced 1;
* delivered value = accepted value = 10 × 5,000.00 = 50,000.00; refunds 0.00;
* amount to settle = 50,000.00 − 0.00 = 50,000.00;
* advance 30 % = 15,000.00, paid before the goods ship; paid after delivery 0.00;
* balance due = 50,000.00 − 15,000.00 − 0.00 = 35,000.00, due on the statement's day
  ("balance on delivery": the goods are delivered and accepted);
* after finance posts 35,000.00 the open balance is 0.00, and the customer's credit file
  shows the invoice 50,000.00 received in full: nothing outstanding.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from aftersales.tests.conftest import MINIMAL_PDF
from api.models import WebhookDelivery
from api.tests import walk_a
from core.actions import perform
from customers.models import PaymentRecord
from customers.selectors import credit_status
from finance.models import Payment, SettlementStatement
from orders.models import OrderEvent, OrderStatus
from tests.pdf import ARTIFACTS, pdf_font_families, pdf_text, pdf_to_png

pytestmark = pytest.mark.django_db

D = Decimal
# What finance's system hears of the walk from confirmation on, in this order.
WALK_EVENTS = [
    "shipment.shipped",
    "order.delivered",
    "order.accepted",
    "ticket.opened",
    "settlement.issued",
    "order.completed",
]


def _receipt() -> SimpleUploadedFile:
    return SimpleUploadedFile("签收单.pdf", MINIMAL_PDF, content_type="application/pdf")


@pytest.fixture
def walked(api_client_for):
    team = walk_a.people()
    order = walk_a.confirmed_order(team)
    finance = api_client_for(
        "data_admin", name="finance", scopes=["read", "write", "finance", "webhooks"]
    )
    created = finance.post_json(
        "/api/v1/integrations/webhooks",
        {
            "url": "http://127.0.0.1:9/finance",
            "event_types": WALK_EVENTS,
        },
    )
    assert created.status_code == 201, created.content
    today = timezone.localdate().isoformat()

    def advance() -> None:
        answer = finance.post_json(
            "/api/v1/finance/payments",
            {
                "customer": order.customer_id,
                "order": order.pk,
                "amount": "15000.00",
                "received_on": today,
                "reference": "BANK-2026-0001",
            },
        )
        assert answer.status_code == 201, answer.content
        assert answer.json()["kind"] == "prepayment"

    walk_a.produce_and_ship(order, team, before_ship=advance)
    walk_a.accept_replace_complete(order, team, _receipt())
    return team, order, finance


def test_the_statement_of_walk_a_states_every_figure_as_worked_out_by_hand(walked):
    _team, order, _finance = walked
    today = timezone.localdate()
    assert order.status == OrderStatus.COMPLETED
    statement = SettlementStatement.objects.get(order=order)
    assert statement.number == f"JS-{order.number}"
    assert statement.order_amount == D("50000.00")
    assert statement.delivered_amount == D("50000.00")
    assert statement.accepted_amount == D("50000.00")
    assert statement.refund_amount == D("0.00")
    assert statement.amount_due == D("50000.00")
    assert statement.prepaid_amount == D("15000.00")
    assert statement.paid_amount == D("0.00")
    assert statement.balance_due == D("35000.00")
    assert statement.due_date == today
    (line,) = statement.lines.all()
    assert (line.product_code, line.product_name) == ("S-001", "服务器A型")
    assert (line.ordered, line.delivered, line.accepted, line.replaced) == (
        D("10.00"),
        D("10.00"),
        D("10.00"),
        D("1.00"),
    )
    assert line.unit_price == D("5000.00") and line.amount == D("50000.00")
    # The order's timeline says so, and the credit file has the invoice.
    assert OrderEvent.objects.filter(order=order, action="settlement_issued").count() == 1
    record = PaymentRecord.objects.get(invoice_number=statement.number)
    assert (record.invoiced_amount, record.received_amount, record.due_date) == (
        D("50000.00"),
        D("15000.00"),
        today,
    )
    assert credit_status(customer=order.customer).outstanding == D("35000.00")
    # settlement.issued went into the outbox for finance's system, with the same figures.
    delivery = WebhookDelivery.objects.get(event_type="settlement.issued")
    data = delivery.payload["data"]["settlement"]
    assert (data["number"], data["balance_due"], data["due_date"]) == (
        statement.number,
        "35000.00",
        today.isoformat(),
    )
    assert delivery.payload["v"] == 1 and delivery.payload["type"] == "settlement.issued"
    # Each step of the walk was one event, queued in the step's own transaction.
    sent = list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert sent == WALK_EVENTS
    shipped = WebhookDelivery.objects.get(event_type="shipment.shipped").payload["data"]
    assert shipped["shipment"]["tracking_number"] == "SF1000"
    assert shipped["order"]["number"] == order.number


def test_the_balance_posted_through_the_api_settles_it_and_the_credit_check_knows(walked):
    _team, order, finance = walked
    statement = SettlementStatement.objects.get(order=order)
    answer = finance.get(f"/api/v1/finance/orders/{order.pk}/settlement")
    assert answer.status_code == 200
    body = answer.json()
    assert (
        body["amount_due"],
        body["prepaid_amount"],
        body["balance_due"],
        body["open_balance"],
    ) == (
        "50000.00",
        "15000.00",
        "35000.00",
        "35000.00",
    )
    balance = {
        "customer": order.customer_id,
        "order": order.pk,
        "amount": "35000.00",
        "received_on": timezone.localdate().isoformat(),
        "reference": "BANK-2026-0002",
    }
    paid = finance.post_json("/api/v1/finance/payments", balance)
    assert paid.status_code == 201, paid.content
    assert paid.json()["kind"] == "payment"
    assert D(paid.json()["credit"]["outstanding"]) == D("0")
    # The same payment posted again (a retry without Idempotency-Key) is recorded once.
    again = finance.post_json("/api/v1/finance/payments", balance)
    assert again.status_code == 201 and again.json()["id"] == paid.json()["id"]
    assert Payment.objects.filter(order=order).count() == 2
    # One fen more than is open is refused, and changes nothing.
    too_much = finance.post_json(
        "/api/v1/finance/payments", {**balance, "amount": "0.01", "reference": "BANK-2026-0003"}
    )
    assert too_much.status_code == 400
    assert Payment.objects.filter(order=order).count() == 2
    record = PaymentRecord.objects.get(invoice_number=statement.number)
    assert (record.invoiced_amount, record.received_amount) == (D("50000.00"), D("50000.00"))
    assert credit_status(customer=order.customer).outstanding == D("0.00")
    body = finance.get(f"/api/v1/finance/settlements/{statement.pk}").json()
    # Issued once: the statement's figures are as issued; what is open today moved.
    assert (body["balance_due"], body["paid_since_issue"], body["open_balance"]) == (
        "35000.00",
        "35000.00",
        "0.00",
    )


def test_issued_once_and_corrected_only_by_notes(walked, client):
    team, order, finance = walked
    statement = SettlementStatement.objects.get(order=order)
    again = perform("finance.settlement_issue", actor=None, obj=order)
    assert again.pk == statement.pk
    assert SettlementStatement.objects.filter(order=order).count() == 1
    # The sales manager corrects it with a credit note of 500.00 (freight of the carton).
    client.force_login(team["boss"])
    url = reverse("finance:note_issue", args=[statement.pk])
    answer = client.post(url, {"kind": "credit", "amount": "500.00", "reason": "外箱破损运费补偿"})
    assert answer.status_code == 302
    statement.refresh_from_db()
    assert statement.balance_due == D("35000.00")  # never edited
    assert statement.notes.get().number == f"{statement.number}-C01"
    record = PaymentRecord.objects.get(invoice_number=statement.number)
    assert record.invoiced_amount == D("49500.00")
    assert credit_status(customer=order.customer).outstanding == D("34500.00")
    body = finance.get(f"/api/v1/finance/settlements/{statement.pk}").json()
    assert body["open_balance"] == "34500.00"
    # The data admin may read but not issue notes: 403 and nothing written.
    client.force_login(team["admin"])
    refused = client.post(url, {"kind": "debit", "amount": "1.00", "reason": "x"})
    assert refused.status_code == 403
    assert statement.notes.count() == 1


def test_the_page_is_linked_from_the_order_and_the_pdf_prints_chinese(walked, client):
    team, order, _finance = walked
    statement = SettlementStatement.objects.get(order=order)
    client.force_login(team["boss"])
    page = client.get(reverse("orders:detail", args=[order.pk]))
    assert page.status_code == 200
    assert reverse("finance:statement", args=[statement.pk]) in page.content.decode()
    page = client.get(reverse("finance:statement", args=[statement.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "新客户科技有限公司" in html and "¥35,000.00" in html
    pdf = client.get(reverse("finance:statement_pdf", args=[statement.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf_font_families(pdf.content) == {"notosanscjksc"}
    text = pdf_text(pdf.content)
    for expected in ("新客户科技有限公司", "服务器A型", statement.number, "35,000.00", "15,000.00"):
        assert expected in text
    pdf_to_png(pdf.content, ARTIFACTS / "finance-settlement-statement.png")
    # A salesperson may not read it (credit data): 403 on the page, the PDF and the API.
    client.force_login(team["li"])
    assert client.get(reverse("finance:statement", args=[statement.pk])).status_code == 403
    assert client.get(reverse("finance:statement_pdf", args=[statement.pk])).status_code == 403
