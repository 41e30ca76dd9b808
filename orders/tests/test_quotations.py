"""Quotations: approval by the supervisor (and the director above the threshold or below the
price floor, four eyes), conversion into an order with the same lines, the PDF."""

from decimal import Decimal

import pytest

from contracts.models import ContractStatus
from core.errors import Forbidden, WrongState
from orders.models import Order, OrderEvent, OrderStatus, Quotation, QuotationStatus
from orders.services import quotations as qs
from tests.factories import ContractFactory, CustomerFactory, OrderFactory, make_quotation
from tests.pdf import ARTIFACTS, pdf_font_families, pdf_text, pdf_to_png


@pytest.fixture
def people(make_user):
    return {
        "li": make_user("sales_assistant", username="q_li"),
        "boss": make_user("sales_manager", username="q_boss"),
        "zhao": make_user("sales_director", username="q_zhao"),
    }


def test_a_three_line_quotation_is_approved_converted_and_linked(people):
    q = make_quotation(owner=people["li"], prices=("1000", "500", "200"), quantities=(2, 3, 4))
    assert q.number.startswith("BJ") and q.total_amount == Decimal("4300.00")
    qs.quotation_submit(actor=people["li"], quotation=q)
    q = qs.quotation_approve(actor=people["boss"], quotation=q, comment="价格合理")
    assert q.status == QuotationStatus.APPROVED
    qs.quotation_accept(actor=people["li"], quotation=q)
    order = qs.quotation_convert(actor=people["li"], quotation=q)

    q.refresh_from_db()
    assert q.status == QuotationStatus.CONVERTED and q.order == order
    assert Order.objects.get(pk=order.pk).quotation == q  # the link both ways
    assert order.status == OrderStatus.DRAFT and order.total_amount == q.total_amount
    quoted = [
        (line.product_id, line.quantity, line.unit_price, line.discount_percent)
        for line in q.lines.all()
    ]
    ordered = [
        (line.product_id, line.quantity, line.unit_price, line.discount_percent)
        for line in order.lines.all()
    ]
    assert len(quoted) == 3 and ordered == quoted
    assert order.payment_terms == "net_30" and "含税含运费" in order.special_requirements
    assert order.events.filter(note__contains=q.number).exists()
    assert [e.action for e in q.events.all()] == [
        "create",
        "submit",
        "approve",
        "accept",
        "convert",
    ]


def test_above_the_threshold_the_director_approves_too(people):
    q = make_quotation(owner=people["li"], prices=("6000", "3000", "2000"), quantities=(1, 1, 1))
    qs.quotation_submit(actor=people["li"], quotation=q)
    q = qs.quotation_approve(actor=people["boss"], quotation=q)
    assert q.status == QuotationStatus.PENDING_DIRECTOR and "11,000.00" in q.director_reasons
    with pytest.raises(Forbidden):
        qs.quotation_approve(actor=people["boss"], quotation=q)
    q = qs.quotation_approve(actor=people["zhao"], quotation=q)
    assert q.status == QuotationStatus.APPROVED


def test_a_price_below_the_floor_needs_the_director(people):
    customer = CustomerFactory()
    q = make_quotation(owner=people["li"], customer=customer, prices=("100",), quantities=(1,))
    line = q.lines.get()
    line.unit_price = Decimal("90")  # 10 % below list; the floor allows 5 %
    line.save()
    qs.quotation_recalculate_total(quotation=q)
    q = qs.quotation_submit(actor=people["li"], quotation=q)
    assert "price floor" in q.director_reasons or "低于" in q.director_reasons


def test_four_eyes_the_maker_never_approves(make_user):
    both = make_user("sales_assistant", "sales_manager", username="q_both")
    q = make_quotation(owner=both)
    qs.quotation_submit(actor=both, quotation=q)
    with pytest.raises(Forbidden):
        qs.quotation_approve(actor=both, quotation=q)


def test_four_eyes_the_owner_never_approves_nor_sends_back(people, make_user, client):
    manager = make_user("sales_assistant", "sales_manager", username="q_owner")
    q = make_quotation(owner=people["li"])
    Quotation.objects.filter(pk=q.pk).update(owner=manager)
    qs.quotation_submit(actor=people["li"], quotation=q)
    with pytest.raises(Forbidden):
        qs.quotation_approve(actor=manager, quotation=q)
    client.force_login(manager)
    page = client.get(f"/orders/quotations/{q.pk}/").content.decode()
    assert 'data-action="approve"' not in page and 'data-action="send_back"' not in page
    response = client.post(f"/orders/quotations/{q.pk}/send_back/", {"comment": "改价"})
    assert response.status_code == 403
    assert Quotation.objects.get(pk=q.pk).status == QuotationStatus.PENDING_APPROVAL
    qs.quotation_approve(actor=people["boss"], quotation=q)  # another manager may


def test_four_eyes_whoever_edited_the_lines_never_approves(people, make_user, client):
    editor = make_user("sales_assistant", "sales_manager", username="q_editor")
    q = make_quotation(owner=people["li"])
    Quotation.objects.filter(pk=q.pk).update(owner=editor)  # the quotation passes to them…
    q.refresh_from_db()
    line = q.lines.first()
    qs.quotation_save(
        actor=editor,
        quotation=q,
        lines=[{"product": line.product, "quantity": Decimal("5"), "unit_price": line.unit_price}],
    )
    Quotation.objects.filter(pk=q.pk).update(owner=people["li"])  # …and back
    qs.quotation_submit(actor=people["li"], quotation=q)
    client.force_login(editor)
    response = client.post(f"/orders/quotations/{q.pk}/approve/", {"comment": "同意"})
    assert response.status_code == 403
    assert Quotation.objects.get(pk=q.pk).status == QuotationStatus.PENDING_APPROVAL
    assert not q.events.filter(action="approve").exists()


def test_a_send_back_needs_a_comment(people, client):
    q = make_quotation(owner=people["li"])
    qs.quotation_submit(actor=people["li"], quotation=q)
    client.force_login(people["boss"])
    response = client.post(f"/orders/quotations/{q.pk}/send_back/", {"comment": ""})
    assert response.status_code == 400
    assert str(qs.MSG_COMMENT_REQUIRED) in response.content.decode()
    assert Quotation.objects.get(pk=q.pk).status == QuotationStatus.PENDING_APPROVAL


def test_an_unapproved_quotation_cannot_be_converted(people, client):
    q = make_quotation(owner=people["li"])
    with pytest.raises(WrongState):
        qs.quotation_convert(actor=people["li"], quotation=q)
    client.force_login(people["li"])
    response = client.post(f"/orders/quotations/{q.pk}/convert/")
    assert response.status_code == 409  # the refusal page, with the reason
    assert Quotation.objects.get(pk=q.pk).order is None
    client.force_login(people["boss"])  # a manager has no convert right: 403
    assert client.post(f"/orders/quotations/{q.pk}/convert/").status_code == 403


def test_pages_and_the_pdf(people, client, django_assert_max_num_queries):
    q = make_quotation(owner=people["li"], prices=("1000", "500", "200"))
    qs.quotation_submit(actor=people["li"], quotation=q)
    qs.quotation_approve(actor=people["boss"], quotation=q, comment="同意")
    for _ in range(3):
        make_quotation(owner=people["li"])
    client.force_login(people["li"])
    with django_assert_max_num_queries(14):
        assert client.get("/orders/quotations/").status_code == 200
    page = client.get(f"/orders/quotations/{q.pk}/").content.decode()
    assert q.number in page
    assert 'data-action="accept"' in page
    response = client.get(f"/orders/quotations/{q.pk}/quotation.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    text = pdf_text(pdf)
    assert q.number in text and q.customer.name in text and "含税含运费" in text
    assert pdf_font_families(pdf) == {"notosanscjksc"}
    pdf_to_png(pdf, ARTIFACTS / "quotation-pdf.png")


def test_a_hand_made_post_linking_a_contract_to_an_archived_order_gets_409(people, client):
    order = OrderFactory(owner=people["li"], created_by=people["li"], status="archived")
    contract = ContractFactory(customer=order.customer, status=ContractStatus.SIGNED)
    events = OrderEvent.objects.filter(order=order).count()
    client.force_login(people["li"])
    response = client.post(f"/orders/{order.pk}/contract/", {"contract": contract.pk})
    assert response.status_code == 409
    assert Order.objects.get(pk=order.pk).contract_id is None
    assert OrderEvent.objects.filter(order=order).count() == events
    # The same link on an open order is saved, with its timeline entry.
    open_order = OrderFactory(owner=people["li"], created_by=people["li"], customer=order.customer)
    response = client.post(f"/orders/{open_order.pk}/contract/", {"contract": contract.pk})
    assert response.status_code == 302
    assert Order.objects.get(pk=open_order.pk).contract == contract
    assert open_order.events.filter(kind="note", note__contains=contract.number).exists()
