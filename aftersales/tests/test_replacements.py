"""A replacement is a real shipment (docs/workflow.md §8 H): it names what is replaced and
how many, logistics ships it, the customer's receipt is confirmed, it can be cancelled
with a reason — and its ticket is resolved only when none is still on its way; an order
with a replacement on its way is not archived."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from aftersales import services
from aftersales.exceptions import AftersalesError, ReplacementUnderway
from aftersales.models import LineResult, ReplacementStatus, TicketStatus
from core.actions import perform
from core.errors import Forbidden, WrongState
from core.work import work_for
from orders.models import OrderEvent, OrderStatus
from tests.factories import OrderFactory, OrderLineFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(people, delivered_order, receipt_upload):
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
                description="一个外箱破损",
            ),
            services.LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
        ],
    )
    return delivered_order.aftersales_tickets.get()


def _respond(people, ticket, line, quantity=Decimal("1"), item="外箱"):
    services.ticket_respond(
        actor=people["as"],
        ticket=ticket,
        text="安排换货",
        kind="replacement",
        replacement_line=line,
        replacement_quantity=quantity,
        replacement_item=item,
    )
    return ticket.replacements.get(status=ReplacementStatus.PLANNED)


def _ship(people, replacement, tracking="SF100"):
    return services.replacement_ship(
        actor=people["wl"],
        replacement=replacement,
        carrier="顺丰速运",
        tracking_number=tracking,
        eta=timezone.localdate() + timedelta(days=2),
    )


def test_a_replacement_names_the_line_and_how_many_not_the_whole_line(people, ticket):
    server = ticket.issue.line.order_line
    with pytest.raises(ValidationError) as refused:
        services.ticket_respond(actor=people["as"], ticket=ticket, text="换货", kind="replacement")
    assert "replacement_line" in refused.value.message_dict
    assert not ticket.replacements.exists()
    with pytest.raises(ValidationError):  # more than the line holds
        _respond(people, ticket, server, quantity=Decimal("11"))
    other = OrderLineFactory(order=OrderFactory())
    with pytest.raises(ValidationError):  # a line of another order
        _respond(people, ticket, other)
    replacement = _respond(people, ticket, server)
    assert (replacement.order_line, replacement.quantity, replacement.item) == (
        server,
        Decimal("1"),
        "外箱",
    )
    # A later progress note does not plan another one.
    services.ticket_respond(actor=people["as"], ticket=ticket, text="已通知物流")
    assert ticket.replacements.count() == 1
    # Logistics is told there is something to ship.
    assert people["wl"].notifications.filter(title__contains=ticket.number).exists()


def test_the_respond_form_offers_one_piece_of_the_issue_line(client, people, ticket):
    client.force_login(people["as"])
    page = client.get(reverse("aftersales:ticket", args=[ticket.pk])).content.decode()
    assert 'name="replacement_quantity" value="1"' in page
    server = ticket.issue.line.order_line
    assert f'<option value="{server.pk}" selected>' in page
    # Answering 换货 without naming the line is refused with the form again (400).
    response = client.post(
        reverse("aftersales:ticket_respond", args=[ticket.pk]),
        {"text": "换货", "kind": "replacement", "replacement_quantity": "1"},
    )
    assert response.status_code == 400
    assert not ticket.replacements.exists()
    # Once named, a later response is a progress note: it cannot plan another by accident.
    _respond(people, ticket, server)
    page = client.get(reverse("aftersales:ticket", args=[ticket.pk])).content.decode()
    assert 'name="replacement_line"' not in page
    assert 'data-testid="replacement-plan-form"' in page  # more goes on its own form
    client.post(
        reverse("aftersales:ticket_respond", args=[ticket.pk]),
        {"text": "已发顺丰", "kind": "replacement", "replacement_line": str(server.pk)},
    )
    assert ticket.replacements.count() == 1


def test_logistics_ships_the_account_manager_confirms_then_the_ticket_resolves(
    client, people, ticket
):
    order = ticket.order
    replacement = _respond(people, ticket, ticket.issue.line.order_line)
    # After-sales does not ship (logistics does): 403, nothing changed.
    client.force_login(people["as"])
    ship_url = reverse("aftersales:replacement_ship", args=[replacement.pk])
    eta = (timezone.localdate() + timedelta(days=2)).isoformat()
    body = {"carrier": "顺丰速运", "tracking_number": "SF100", "eta": eta}
    assert client.post(ship_url, body).status_code == 403
    # Logistics finds it on its list and its "my work" page, and ships it.
    client.force_login(people["wl"])
    listing = client.get(reverse("aftersales:replacements")).content.decode()
    assert ticket.number in listing and "外箱" in listing
    work = {row["key"]: row for row in work_for(people["wl"])}
    assert work["aftersales_replacements_to_ship"]["count"] == 1
    assert client.post(ship_url, body).status_code == 302
    replacement.refresh_from_db()
    assert replacement.status == ReplacementStatus.SHIPPED
    assert replacement.shipped_by == people["wl"] and replacement.tracking_number == "SF100"
    # Resolving while it is on its way is refused with the reason; the page says so.
    client.force_login(people["as"])
    resolve_url = reverse("aftersales:ticket_resolve", args=[ticket.pk])
    response = client.post(resolve_url, {"resolution": "已换货"})
    assert response.status_code == 409
    assert "外箱" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    page = client.get(reverse("aftersales:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="resolve-waiting"' in page and 'data-testid="resolve-form"' not in page
    # Logistics cannot confirm the receipt; the account manager does, on the customer's word.
    client.force_login(people["wl"])
    arrive_url = reverse("aftersales:replacement_arrive", args=[replacement.pk])
    arrive = {"received_on": timezone.localdate().isoformat(), "received_by": "李先生"}
    assert client.post(arrive_url, arrive).status_code == 403
    work = {row["key"]: row for row in work_for(people["am"])}
    assert work["aftersales_replacements_to_confirm"]["count"] == 1
    client.force_login(people["am"])
    assert client.post(arrive_url, arrive).status_code == 302
    replacement.refresh_from_db()
    assert replacement.status == ReplacementStatus.ARRIVED
    assert replacement.received_by == "李先生" and replacement.confirmed_by == people["am"]
    # Shipping it again is refused (409).
    client.force_login(people["wl"])
    assert client.post(ship_url, body).status_code == 409
    # Now the ticket resolves and, with the visit, the order completes.
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="已补发外箱")
    services.visit_log(
        actor=people["am"], order=order, method="phone", person="李先生", satisfaction=5
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    actions = list(
        OrderEvent.objects.filter(order=order).order_by("pk").values_list("action", flat=True)
    )
    for step in ("replacement_planned", "replacement_shipped", "replacement_arrived"):
        assert step in actions


def test_a_replacement_is_cancelled_with_a_reason_then_the_ticket_resolves(people, ticket):
    replacement = _respond(people, ticket, ticket.issue.line.order_line)
    _ship(people, replacement)
    with pytest.raises(AftersalesError):
        services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="x")
    with pytest.raises(ValidationError):
        services.replacement_cancel(actor=people["as"], replacement=replacement, reason=" ")
    with pytest.raises(Forbidden):  # logistics does not cancel
        services.replacement_cancel(actor=people["wl"], replacement=replacement, reason="x")
    services.replacement_cancel(
        actor=people["as"], replacement=replacement, reason="快递丢件，重新安排"
    )
    with pytest.raises(WrongState):  # a cancelled replacement does not arrive
        services.replacement_arrive(
            actor=people["am"],
            replacement=replacement,
            received_on=timezone.localdate(),
            received_by="李先生",
        )
    replacement.refresh_from_db()
    assert replacement.status == ReplacementStatus.CANCELLED
    assert replacement.cancel_reason == "快递丢件，重新安排"
    # Plan a new one (a second response names it again), which also has to arrive.
    again = _respond(people, ticket, ticket.issue.line.order_line)
    assert again.pk != replacement.pk
    services.replacement_cancel(actor=people["as"], replacement=again, reason="客户不再需要")
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="客户不再需要换货")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED


def test_an_order_with_a_replacement_on_its_way_is_not_archived(people, delivered_order):
    """A complaint on a completed order does not reopen it; its replacement keeps it out
    of the archive (read-only) until it arrived or is cancelled."""
    order = OrderFactory(status="completed", customer__account_manager=people["am"])
    line = OrderLineFactory(order=order, quantity=Decimal("5"))
    ticket = services.ticket_open_complaint(
        actor=people["am"], order=order, kind="replacement", description="风扇异响"
    )
    replacement = _respond(people, ticket, line, item="")
    admin = UserFactory(username="admin", roles=["data_admin"])
    with pytest.raises(ReplacementUnderway):
        perform("order.archive", actor=admin, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    _ship(people, replacement)
    with pytest.raises(WrongState):  # the month close skips it as carried over
        perform("order.archive", actor=admin, obj=order)
    services.replacement_arrive(
        actor=people["as"],
        replacement=replacement,
        received_on=timezone.localdate(),
        received_by="王工",
    )
    perform("order.archive", actor=admin, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.ARCHIVED


def test_receipt_dates_are_checked(people, ticket):
    replacement = _ship(people, _respond(people, ticket, ticket.issue.line.order_line))
    for day in (timezone.localdate() + timedelta(days=1), timezone.localdate() - timedelta(days=3)):
        with pytest.raises(ValidationError):
            services.replacement_arrive(
                actor=people["am"], replacement=replacement, received_on=day, received_by="李"
            )
    replacement.refresh_from_db()
    assert replacement.status == ReplacementStatus.SHIPPED
