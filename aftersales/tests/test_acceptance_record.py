"""acceptance_record: signer, receipt, per-line results; issues open tickets; clocks start."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aftersales.models import AftersalesTicket, IssuePhoto, LineResult, TicketKind, TicketSource
from aftersales.services import LineInput, acceptance_record
from core.calendar import BusinessCalendar
from core.errors import Forbidden, WrongState
from core.models import SlaClock, SlaKind
from orders.models import OrderEvent, OrderStatus
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def _lines(order, first=LineResult.ACCEPTED, **issue):
    server, fan = order.test_lines
    return [
        LineInput(server.pk, first, Decimal("10"), **issue),
        LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
    ]


def test_acceptance_with_an_issue_opens_a_ticket_with_a_24_hour_clock(
    people, delivered_order, receipt_upload, photo_upload
):
    acceptance = acceptance_record(
        actor=people["am"],
        order=delivered_order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt_upload(),
        lines=_lines(
            delivered_order,
            LineResult.EXCEPTIONS,
            issue_type="damaged_packaging",
            description="外箱破损一处",
            photos=[photo_upload()],
        ),
    )
    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.ACCEPTED
    issue = acceptance.issues.get()
    assert issue.photos.count() == 1
    photo = IssuePhoto.objects.get()
    assert photo.thumbnail.name.endswith(".jpg") and photo.thumbnail.size < photo.size
    ticket = AftersalesTicket.objects.get()
    assert ticket.issue == issue
    assert ticket.source == TicketSource.ACCEPTANCE
    assert ticket.kind == TicketKind.REPLACEMENT
    assert ticket.owner == people["as"]
    response = SlaClock.objects.for_target(ticket).get(kind=SlaKind.AFTERSALES_RESPONSE)
    assert response.due_at - response.started_at == timedelta(hours=24)
    assert response.escalate_to == people["boss"]
    followup = SlaClock.objects.for_target(delivered_order).get(kind=SlaKind.FOLLOWUP_VISIT)
    assert followup.owner == people["am"]
    assert followup.due_at == BusinessCalendar().add_working_days(followup.started_at, 3)
    actions = list(
        OrderEvent.objects.filter(order=delivered_order).values_list("action", flat=True)
    )
    assert actions == ["accept", "acceptance_issue", "ticket_opened"]


def test_a_rejected_line_opens_a_ticket_without_reopening_earlier_steps(
    people, delivered_order, receipt_upload
):
    acceptance_record(
        actor=people["am"],
        order=delivered_order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt_upload(),
        lines=_lines(
            delivered_order, LineResult.REJECTED, issue_type="wrong_spec", description="型号不符"
        ),
    )
    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.ACCEPTED
    ticket = AftersalesTicket.objects.get(order=delivered_order)
    assert ticket.is_open and ticket.kind == TicketKind.REPLACEMENT
    transitions = OrderEvent.objects.filter(order=delivered_order, kind="transition")
    assert [(e.from_status, e.to_status) for e in transitions] == [("delivered", "accepted")]


def test_all_accepted_opens_no_ticket(people, delivered_order, receipt_upload):
    acceptance_record(
        actor=people["am"],
        order=delivered_order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt_upload(),
        lines=_lines(delivered_order),
    )
    assert not AftersalesTicket.objects.exists()


def test_a_line_with_exceptions_needs_a_description(people, delivered_order, receipt_upload):
    with pytest.raises(ValidationError):
        acceptance_record(
            actor=people["am"],
            order=delivered_order,
            signer="李先生",
            signed_on=timezone.localdate(),
            receipt=receipt_upload(),
            lines=_lines(delivered_order, LineResult.EXCEPTIONS),
        )
    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.DELIVERED


def test_quantity_above_the_ordered_quantity_is_refused(people, delivered_order, receipt_upload):
    server, fan = delivered_order.test_lines
    with pytest.raises(ValidationError):
        acceptance_record(
            actor=people["am"],
            order=delivered_order,
            signer="李先生",
            signed_on=timezone.localdate(),
            receipt=receipt_upload(),
            lines=[
                LineInput(server.pk, LineResult.ACCEPTED, Decimal("11")),
                LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
            ],
        )


def test_after_sales_cannot_record_acceptance(people, delivered_order, receipt_upload):
    with pytest.raises(Forbidden):
        acceptance_record(
            actor=people["as"],
            order=delivered_order,
            signer="李先生",
            signed_on=timezone.localdate(),
            receipt=receipt_upload(),
            lines=_lines(delivered_order),
        )


def test_acceptance_is_refused_before_delivery(people, receipt_upload):
    shipped = OrderFactory(status="shipped", customer__account_manager=people["am"])
    line = OrderLineFactory(order=shipped, quantity=Decimal("2"))
    with pytest.raises(WrongState):
        acceptance_record(
            actor=people["am"],
            order=shipped,
            signer="李先生",
            signed_on=timezone.localdate(),
            receipt=receipt_upload(),
            lines=[LineInput(line.pk, LineResult.ACCEPTED, Decimal("2"))],
        )
    shipped.refresh_from_db()
    assert shipped.status == OrderStatus.SHIPPED
    assert not AftersalesTicket.objects.exists()
    assert not OrderEvent.objects.filter(order=shipped).exists()
