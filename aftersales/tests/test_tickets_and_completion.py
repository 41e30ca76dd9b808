"""Tickets (respond, repair, replacement, refund, resolve, rate), the visit and completion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales import services
from aftersales.exceptions import AftersalesError
from aftersales.models import LineResult, ReplacementStatus, TicketKind, TicketStatus
from core.errors import Forbidden, WrongState
from core.models import SlaClock, SlaKind
from orders.models import OrderEvent, OrderStatus
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(people, delivered_order, receipt_upload, photo_upload):
    server, fan = delivered_order.test_lines
    services.acceptance_record(
        actor=people["am"],
        order=delivered_order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt_upload(),
        lines=[
            services.LineInput(
                server.pk,
                LineResult.EXCEPTIONS,
                Decimal("10"),
                issue_type="damaged_packaging",
                description="外箱破损",
                photos=[photo_upload()],
            ),
            services.LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
        ],
    )
    delivered_order.refresh_from_db()
    return delivered_order, delivered_order.aftersales_tickets.get()


def _visit(people, order, score=5):
    return services.visit_log(
        actor=people["am"], order=order, method="phone", person="李先生", satisfaction=score
    )


def test_first_response_meets_the_24_hour_clock_and_the_promise_starts_its_own(people, accepted):
    order, ticket = accepted
    promised = timezone.localdate() + timedelta(days=3)
    services.ticket_respond(
        actor=people["as"],
        ticket=ticket,
        text="安排换货",
        kind="replacement",
        promised_date=promised,
        replacement_line=order.test_lines[0],
        replacement_quantity=Decimal("1"),
        replacement_item="外箱",
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.first_response_at
    clocks = SlaClock.objects.for_target(ticket)
    assert clocks.get(kind=SlaKind.AFTERSALES_RESPONSE).met_at is not None
    resolution = clocks.get(kind=SlaKind.AFTERSALES_RESOLUTION)
    assert timezone.localtime(resolution.due_at).date() == promised + timedelta(days=1)
    # A replacement names what is replaced and how many: one carton, not the whole line.
    replacement = ticket.replacements.get()
    assert replacement.status == ReplacementStatus.PLANNED
    assert replacement.order_line == order.test_lines[0]
    assert (replacement.quantity, replacement.item) == (Decimal("1"), "外箱")
    services.replacement_ship(
        actor=people["wl"],
        replacement=replacement,
        carrier="顺丰速运",
        tracking_number="SF1",
        eta=promised,
    )
    replacement.refresh_from_db()
    assert replacement.status == ReplacementStatus.SHIPPED


def test_visit_first_then_resolving_the_last_ticket_completes_the_order(people, accepted):
    order, ticket = accepted
    _visit(people, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    blockers = services.completion_blockers(order)
    assert blockers == [f"售后工单 {ticket.number} 尚未结案。"]
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="已换货")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    event = OrderEvent.objects.filter(order=order, action="complete").get()
    assert event.from_status == "accepted" and event.to_status == "completed"
    followup = SlaClock.objects.for_target(order).get(kind=SlaKind.FOLLOWUP_VISIT)
    assert followup.met_at is not None


def test_resolving_first_then_the_visit_completes_the_order(people, accepted):
    order, ticket = accepted
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="已换货")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert services.completion_blockers(order) == ["尚未登记回访。"]
    _visit(people, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_resolving_counts_as_the_response_when_none_was_logged(people, accepted):
    _order, ticket = accepted
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="已处理")
    clock = SlaClock.objects.for_target(ticket).get(kind=SlaKind.AFTERSALES_RESPONSE)
    assert clock.met_at is not None


def test_refund_needs_its_amount(people, accepted):
    _order, ticket = accepted
    services.ticket_respond(actor=people["as"], ticket=ticket, text="退款", kind="refund")
    with pytest.raises(AftersalesError):
        services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="已退款")
    services.ticket_resolve(
        actor=people["as"], ticket=ticket, resolution="已退款", refund_amount=Decimal("500.00")
    )
    ticket.refresh_from_db()
    assert ticket.refund_amount == Decimal("500.00") and ticket.kind == TicketKind.REFUND


def test_repair_record_and_rating(people, accepted):
    _order, ticket = accepted
    services.ticket_respond(actor=people["as"], ticket=ticket, text="上门检测", kind="repair")
    services.repair_record_add(
        actor=people["as"],
        ticket=ticket,
        technician="售后工程师张",
        work_done="更换风扇部件",
        parts="风扇 ×1",
        result="运行正常",
        fault="运行时有异响",
    )
    with pytest.raises(WrongState):  # rated once it is resolved
        services.ticket_rate(actor=people["as"], ticket=ticket, rating=4)
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="问题已解决")
    services.ticket_rate(actor=people["am"], ticket=ticket, rating=4, comment="处理及时")
    ticket.refresh_from_db()
    assert ticket.rating == 4 and ticket.repairs.count() == 1


def test_a_resolved_ticket_cannot_be_changed(people, accepted):
    _order, ticket = accepted
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="完成")
    with pytest.raises(WrongState):
        services.ticket_respond(actor=people["as"], ticket=ticket, text="再次")
    with pytest.raises(WrongState):
        services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="再次")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolution == "完成"
    assert ticket.responses.count() == 0


def test_account_manager_cannot_handle_tickets(people, accepted):
    _order, ticket = accepted
    with pytest.raises(Forbidden):
        services.ticket_respond(actor=people["am"], ticket=ticket, text="x")


def test_a_complaint_on_a_completed_order_does_not_reopen_it(people, accepted):
    order, ticket = accepted
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="完成")
    _visit(people, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    complaint = services.ticket_open_complaint(
        actor=people["am"], order=order, kind="repair", description="服务器运行时有异响"
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert complaint.number.endswith("-S02")
    assert SlaClock.objects.for_target(complaint).open().get().kind == SlaKind.AFTERSALES_RESPONSE


def test_complaints_need_a_delivered_order(people):
    shipped = OrderFactory(status="shipped", customer__account_manager=people["am"])
    with pytest.raises(WrongState):
        services.ticket_open_complaint(
            actor=people["am"], order=shipped, kind="repair", description="x"
        )
    assert not shipped.aftersales_tickets.exists()


def test_reassigning_moves_the_running_clock(people, accepted, make_user):
    _order, ticket = accepted
    other = make_user("aftersales", username="as2")
    services.ticket_assign(actor=people["as"], ticket=ticket, owner=other)
    assert SlaClock.objects.for_target(ticket).open().get().owner == other
    with pytest.raises(AftersalesError):
        services.ticket_assign(actor=people["as"], ticket=ticket, owner=people["am"])


def test_the_visit_is_logged_once(people, accepted):
    order, _ticket = accepted
    _visit(people, order)
    with pytest.raises(AftersalesError):
        _visit(people, order)
