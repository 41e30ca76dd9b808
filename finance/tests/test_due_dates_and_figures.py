"""The due date by the payment terms, and the figures of a statement with a refused line
and a refund — each worked out by hand from the inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales import services as aftersales
from aftersales.models import LineResult
from aftersales.tests.conftest import MINIMAL_PDF
from core.errors import Forbidden, Invalid
from customers.models import PaymentRecord
from finance import services
from finance.models import SettlementStatement
from fulfillment.models import Shipment, ShipmentLine
from orders.services.orders import order_recalculate_total
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, UserFactory

D = Decimal


@pytest.mark.parametrize(
    ("terms", "issued", "due"),
    [
        ("prepaid", date(2026, 11, 27), date(2026, 11, 27)),
        ("deposit_30", date(2026, 11, 27), date(2026, 11, 27)),
        ("on_delivery", date(2026, 11, 27), date(2026, 11, 27)),
        # 月结30天: 30 days after the end of November = 30 December.
        ("net_30", date(2026, 11, 27), date(2026, 12, 30)),
        # 月结60天: 60 days after 30 November = 29 January.
        ("net_60", date(2026, 11, 27), date(2027, 1, 29)),
        # February 2028 has 29 days: 29 Feb + 30 = 30 March.
        ("net_30", date(2028, 2, 3), date(2028, 3, 30)),
        # Other terms: the customer's credit term (45 days) from the statement: 11 January.
        ("other", date(2026, 11, 27), date(2027, 1, 11)),
        ("", date(2026, 11, 27), date(2027, 1, 11)),
    ],
)
def test_the_due_date_follows_the_payment_terms(terms, issued, due):
    assert services.due_date_for(terms, issued, credit_term_days=45) == due


@pytest.mark.django_db
def test_a_refused_line_and_a_refund_are_not_billed(make_user):
    """Order: 4 × 1,000.00 at 10 % off (3,600.00) and 2 × 250.00 (500.00) = 4,100.00, net 30.
    Shipped: all. Accepted: the first line 4; the second refused (2 units).
    After-sales refunds 120.00 on a refund ticket. By hand:
    delivered value 3,600.00 + 500.00 = 4,100.00; accepted value 3,600.00 + 0.00 = 3,600.00;
    amount to settle 3,600.00 − 120.00 = 3,480.00; no advance; balance 3,480.00;
    due 30 days after the month's end."""
    am = make_user("account_manager", username="am")
    after = make_user("aftersales", username="as")
    shipper = make_user("logistics", username="wl")
    order = OrderFactory(
        status="delivered",
        number="202611-007",
        payment_terms="net_30",
        customer__account_manager=am,
    )
    big = OrderLineFactory(
        order=order,
        product=ProductFactory(code="A-1"),
        quantity=D("4"),
        unit_price=D("1000"),
        discount_percent=D("10"),
    )
    small = OrderLineFactory(
        order=order, product=ProductFactory(code="B-2"), quantity=D("2"), unit_price=D("250")
    )
    order_recalculate_total(order=order)
    shipment = Shipment.objects.create(
        order=order,
        carrier="顺丰",
        method="express",
        tracking_number="SF9",
        eta=timezone.localdate(),
        shipped_by=shipper,
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=big, quantity=D("4"))
    ShipmentLine.objects.create(shipment=shipment, order_line=small, quantity=D("2"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    aftersales.acceptance_record(
        actor=am,
        order=order,
        signer="王经理",
        signed_on=timezone.localdate(),
        receipt=SimpleUploadedFile("r.pdf", MINIMAL_PDF, content_type="application/pdf"),
        lines=[
            aftersales.LineInput(big.pk, LineResult.ACCEPTED, D("4")),
            aftersales.LineInput(
                small.pk, LineResult.REJECTED, D("2"), issue_type="quality", description="不亮"
            ),
        ],
    )
    ticket = order.aftersales_tickets.get()
    aftersales.ticket_respond(actor=after, ticket=ticket, text="退款", kind="refund")
    aftersales.ticket_resolve(
        actor=after, ticket=ticket, resolution="部分退款", refund_amount=D("120.00")
    )
    aftersales.visit_log(actor=am, order=order, method="phone", person="王经理", satisfaction=4)
    order.refresh_from_db()
    assert order.status == "completed"
    statement = SettlementStatement.objects.get(order=order)
    assert statement.order_amount == D("4100.00")
    assert statement.delivered_amount == D("4100.00")
    assert statement.accepted_amount == D("3600.00")
    assert statement.refund_amount == D("120.00")
    assert statement.amount_due == D("3480.00")
    assert (statement.prepaid_amount, statement.paid_amount) == (D("0.00"), D("0.00"))
    assert statement.balance_due == D("3480.00")
    assert statement.due_date == services.month_end(timezone.localdate()) + (
        date(2026, 12, 30) - date(2026, 11, 30)
    )
    lines = {line.product_code: line for line in statement.lines.all()}
    assert (lines["A-1"].accepted, lines["A-1"].amount) == (D("4.00"), D("3600.00"))
    assert (lines["B-2"].delivered, lines["B-2"].accepted, lines["B-2"].amount) == (
        D("2.00"),
        D("0.00"),
        D("0.00"),
    )
    record = PaymentRecord.objects.get(invoice_number=statement.number)
    assert (record.invoiced_amount, record.received_amount) == (D("3480.00"), D("0.00"))
    # A credit note above what the statement bills is refused; a sales assistant may issue none.
    boss = make_user("sales_manager", username="boss")
    with pytest.raises(Invalid):
        services.settlement_note_issue(
            actor=boss, statement=statement, kind="credit", amount=D("3480.01"), reason="x"
        )
    with pytest.raises(Forbidden):
        services.settlement_note_issue(
            actor=UserFactory(roles=["sales_assistant"]),
            statement=statement,
            kind="debit",
            amount=D("1"),
            reason="x",
        )
    # A payment against the credit file's invoice (no order named) is applied to it.
    admin = make_user("data_admin", username="zheng")
    services.payment_post(
        actor=admin,
        customer=order.customer,
        amount=D("1000.00"),
        received_on=timezone.localdate(),
        reference="BANK-9",
        invoice_number=statement.number,
    )
    record.refresh_from_db()
    assert record.received_amount == D("1000.00")
    assert services.statement_now(statement).open_balance == D("2480.00")
