"""The order confirmation and internal transfer form PDFs print the Chinese customer, lines, total."""

from decimal import Decimal

from orders.models import OrderStatus
from orders.services import orders as services
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.pdf import ARTIFACTS, pdf_font_families, pdf_text, pdf_to_png


def test_confirmation_and_transfer_pdfs(role_client, make_user):
    assistant = make_user("sales_assistant")
    order = OrderFactory(
        owner=assistant,
        created_by=assistant,
        number="202611-001",
        status=OrderStatus.PENDING_APPROVAL,
        payment_terms="net_30",
        customer__name="新客户科技有限公司",
        customer__credit_limit=Decimal("900000"),
    )
    OrderLineFactory(
        order=order,
        product=ProductFactory(name="服务器A型", spec="S-001"),
        quantity=Decimal("10"),
        unit_price=Decimal("5000"),
    )
    services.order_recalculate_total(order=order)
    client = role_client("sales_manager")
    assert client.get(f"/orders/{order.pk}/confirmation.pdf").status_code == 404  # not yet
    services.order_approve(actor=client.user, order=order)
    services.order_director_approve(actor=make_user("sales_director"), order=order)

    pdf = client.get(f"/orders/{order.pk}/confirmation.pdf").content
    text = pdf_text(pdf)
    for expected in ("订单确认单", "新客户科技有限公司", "服务器A型", "¥50,000.00"):
        assert expected in text
    assert pdf_font_families(pdf) == {"notosanscjksc"}
    pdf_to_png(pdf, ARTIFACTS / "order-confirmation.png")

    transfer = pdf_text(client.get(f"/orders/{order.pk}/transfer.pdf").content)
    assert "内部流转单" in transfer and "待总监审批" in transfer and "已确认" in transfer
    warehouse_view = role_client("warehouse").get(f"/orders/{order.pk}/confirmation/")
    assert "¥50,000.00" not in warehouse_view.content.decode()  # prices stay confidential
