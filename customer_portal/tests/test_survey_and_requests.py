# ruff: noqa: F811  (the fixtures are imported from receipt_fixtures by name)
"""The customer's satisfaction survey and after-sales requests, as steps of the engine."""

from __future__ import annotations

import pytest

from aftersales import services as aftersales_services
from aftersales.models import AftersalesTicket, FollowUpVisit, SatisfactionSurvey
from core.errors import DomainError, Forbidden, Invalid, WrongState
from core.models import Notification, SlaClock, SlaKind
from customer_portal.actions.requests import complaint_open, ticket_rate
from customer_portal.actions.surveys import survey_answer
from customer_portal.tests.receipt_fixtures import (  # noqa: F401  (fixtures)
    CUSTOMER_IP,
    delivered,
    link_actor,
    make_delivered_order,
    sign_receipt,
    signing_cert,
    staff,
)
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(delivered, signing_cert):
    actor = link_actor(delivered)
    sign_receipt(delivered, actor, damaged_photo=False)
    delivered.refresh_from_db()
    delivered.actor = actor
    return delivered


def test_a_good_score_is_the_follow_up_record_and_meets_its_clock(accepted):
    survey = survey_answer(
        actor=accepted.actor, order=accepted, score=4, reasons=["on_time", "bogus"], comment="很好"
    )
    assert survey.score == 4 and survey.reasons == ["on_time"] and not survey.low_score
    visit = FollowUpVisit.objects.get(order=accepted)
    assert visit.method == "survey" and visit.satisfaction == 4 and visit.visited_by is None
    assert visit.person == "王收货"
    assert not SlaClock.objects.open().for_target(accepted).filter(kind=SlaKind.FOLLOWUP_VISIT)
    row = OrderEvent.objects.filter(order=accepted, action="customer_survey_answer").get()
    assert row.payload["customer"]["ip"] == CUSTOMER_IP


def test_a_low_score_is_a_task_for_the_account_manager(accepted, staff):
    survey_answer(
        actor=accepted.actor, order=accepted, score=2, reasons=["packaging"], comment="包装太差"
    )
    survey = SatisfactionSurvey.objects.get(order=accepted)
    assert survey.low_score
    # No visit logged for them: the follow-up clock keeps running until they call.
    assert not FollowUpVisit.objects.filter(order=accepted).exists()
    assert (
        SlaClock.objects.open()
        .for_target(accepted)
        .filter(kind=SlaKind.FOLLOWUP_VISIT, owner=staff["am"])
        .exists()
    )
    note = Notification.objects.get(recipient=staff["am"])
    assert "2/5" in note.title and note.title_msg["params"]["score"] == 2


def test_the_survey_is_answered_once_and_only_after_acceptance(delivered, signing_cert, staff):
    actor = link_actor(delivered)
    with pytest.raises(WrongState):
        survey_answer(actor=actor, order=delivered, score=5, reasons=[])
    sign_receipt(delivered, actor, damaged_photo=False)
    delivered.refresh_from_db()
    with pytest.raises(Invalid):
        survey_answer(actor=actor, order=delivered, score=9, reasons=[])
    survey_answer(actor=actor, order=delivered, score=3, reasons=[])
    with pytest.raises(DomainError):
        survey_answer(actor=actor, order=delivered, score=1, reasons=[])
    assert SatisfactionSurvey.objects.get(order=delivered).score == 3


def test_a_request_opens_an_online_ticket_with_the_24_hour_clock(accepted, staff):
    ticket = complaint_open(
        actor=accepted.actor,
        order=accepted,
        kind="repair",
        description="风扇噪音很大",
        line=accepted.test_lines[1],
    )
    assert ticket.source == "online" and ticket.kind == "repair"
    assert ticket.owner == staff["as"] and ticket.opened_by is None
    assert "散热风扇组件" in ticket.description and "风扇噪音很大" in ticket.description
    clock = SlaClock.objects.open().for_target(ticket).get(kind=SlaKind.AFTERSALES_RESPONSE)
    assert clock.owner == staff["as"]
    assert Notification.objects.filter(recipient=staff["as"]).exists()
    row = OrderEvent.objects.get(order=accepted, action="customer_complaint_open")
    assert row.payload["customer"]["contact"] == "王收货"


def test_a_request_needs_a_description_and_a_known_kind(accepted):
    with pytest.raises(Invalid) as empty:
        complaint_open(actor=accepted.actor, order=accepted, kind="repair", description=" ")
    assert "description" in empty.value.fields
    with pytest.raises(Invalid) as odd:
        complaint_open(actor=accepted.actor, order=accepted, kind="free_money", description="x")
    assert "kind" in odd.value.fields
    assert not AftersalesTicket.objects.filter(source="online").exists()


def test_the_customer_rates_a_resolved_request_once(accepted, staff):
    ticket = complaint_open(actor=accepted.actor, order=accepted, kind="repair", description="坏了")
    with pytest.raises(WrongState):
        ticket_rate(actor=accepted.actor, ticket=ticket, rating=5)
    aftersales_services.ticket_resolve(actor=staff["as"], ticket=ticket, resolution="上门维修完成")
    ticket.refresh_from_db()
    ticket_rate(actor=accepted.actor, ticket=ticket, rating=2, comment="太慢了")
    ticket.refresh_from_db()
    assert ticket.rating == 2 and ticket.rating_comment == "太慢了" and ticket.rated_at
    # A low rating reaches the ticket's owner.
    assert Notification.objects.filter(recipient=staff["as"], object_id=ticket.pk).exists()
    with pytest.raises(DomainError):
        ticket_rate(actor=accepted.actor, ticket=ticket, rating=5)
    ticket.refresh_from_db()
    assert ticket.rating == 2


def test_another_orders_link_cannot_rate_or_complain(accepted, staff):
    other = make_delivered_order(staff, number="202611-303")
    stranger = link_actor(other, name="外人")
    ticket = complaint_open(actor=accepted.actor, order=accepted, kind="other", description="问题")
    aftersales_services.ticket_resolve(actor=staff["as"], ticket=ticket, resolution="已处理")
    ticket.refresh_from_db()
    with pytest.raises(Forbidden):
        ticket_rate(actor=stranger, ticket=ticket, rating=1)
    with pytest.raises(Forbidden):
        complaint_open(actor=stranger, order=accepted, kind="other", description="x")
    with pytest.raises(Forbidden):
        survey_answer(actor=stranger, order=accepted, score=1, reasons=[])


def test_a_good_survey_on_a_clean_delivery_completes_the_order(delivered, signing_cert):
    from customer_portal.actions.receipts import ReceiptLine, receipt_sign
    from customer_portal.tests.receipt_fixtures import signature_data_url

    actor = link_actor(delivered)
    receipt_sign(
        actor=actor,
        order=delivered,
        signer="王收货",
        signature_data_url=signature_data_url(),
        lines=[ReceiptLine(order_line=line, ok=True) for line in delivered.test_lines],
    )
    survey_answer(actor=actor, order=delivered, score=5, reasons=["on_time"])
    delivered.refresh_from_db()
    # Nothing open, the follow-up record is the survey: the order completes by itself.
    assert delivered.status == "completed"
    assert not AftersalesTicket.objects.filter(order=delivered).exists()
