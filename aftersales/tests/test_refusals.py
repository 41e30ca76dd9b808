"""Refused after-sales steps through the pages: the ticket's and the replacement's state
machines refuse an illegal move with 409, and an archived order refuses every write
(acceptance, visit, complaint, ticket steps) with 409 — nothing changes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from aftersales import services
from aftersales.models import (
    AcceptanceIssue,
    AftersalesTicket,
    FollowUpVisit,
    LineResult,
    ReplacementStatus,
    TicketResponse,
    TicketStatus,
)
from core.actions import allowed, perform
from core.errors import ReadOnly
from orders.models import OrderEvent, OrderStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _accept(people, order, receipt_upload, result=LineResult.EXCEPTIONS):
    server, fan = order.test_lines
    services.acceptance_record(
        actor=people["am"],
        order=order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt_upload(),
        lines=[
            services.LineInput(
                server.pk, result, Decimal("10"), issue_type="wrong_spec", description="型号不符"
            ),
            services.LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
        ],
    )
    order.refresh_from_db()
    return order.aftersales_tickets.first()


def _snapshot(order) -> tuple[int, ...]:
    return (
        OrderEvent.objects.filter(order=order).count(),
        AftersalesTicket.objects.filter(order=order).count(),
        TicketResponse.objects.filter(ticket__order=order).count(),
        FollowUpVisit.objects.filter(order=order).count(),
        AcceptanceIssue.objects.filter(acceptance__order=order).count(),
    )


def test_responding_to_a_resolved_ticket_is_refused_with_409(
    client, people, delivered_order, receipt_upload
):
    ticket = _accept(people, delivered_order, receipt_upload)
    services.ticket_resolve(actor=people["as"], ticket=ticket, resolution="已换货")
    before = _snapshot(delivered_order)
    client.force_login(people["as"])
    response = client.post(
        reverse("aftersales:ticket_respond", args=[ticket.pk]),
        {"text": "再联系一次", "kind": "repair"},
    )
    assert response.status_code == 409
    with translation.override("zh-hans"):
        state = str(TicketStatus.RESOLVED.label)
    assert state in response.content.decode()  # the refusal names the ticket's state
    response = client.post(
        reverse("aftersales:ticket_resolve", args=[ticket.pk]), {"resolution": "再次结案"}
    )
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.kind == "replacement"
    assert ticket.resolution == "已换货"
    assert _snapshot(delivered_order) == before
    # The page offers neither step any more.
    page = client.get(reverse("aftersales:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="respond-form"' not in page and 'data-testid="resolve-form"' not in page


def test_a_replacement_ships_once(client, people, delivered_order, receipt_upload):
    ticket = _accept(people, delivered_order, receipt_upload)
    services.ticket_respond(
        actor=people["as"],
        ticket=ticket,
        text="换货",
        kind="replacement",
        replacement_line=delivered_order.test_lines[0],
        replacement_quantity=Decimal("1"),
    )
    replacement = ticket.replacements.get()
    client.force_login(people["wl"])
    url = reverse("aftersales:replacement_ship", args=[replacement.pk])
    eta = (timezone.localdate() + timedelta(days=2)).isoformat()
    first = client.post(url, {"carrier": "顺丰速运", "tracking_number": "SF1", "eta": eta})
    assert first.status_code == 302
    again = client.post(url, {"carrier": "中通", "tracking_number": "ZT2", "eta": eta})
    assert again.status_code == 409
    replacement.refresh_from_db()
    assert replacement.status == ReplacementStatus.SHIPPED
    assert replacement.tracking_number == "SF1"


def test_an_invalid_ticket_form_shows_the_page_again_with_400(
    client, people, delivered_order, receipt_upload
):
    ticket = _accept(people, delivered_order, receipt_upload)
    client.force_login(people["as"])
    response = client.post(reverse("aftersales:ticket_resolve", args=[ticket.pk]), {})
    assert response.status_code == 400
    assert 'data-testid="resolve-form"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.is_open


@pytest.fixture
def archived(people, delivered_order, receipt_upload):
    """A completed order with a complaint opened afterwards, archived by the month close:
    one resolved ticket and one still open on a read-only order."""
    resolved = _accept(people, delivered_order, receipt_upload)
    services.ticket_resolve(actor=people["as"], ticket=resolved, resolution="已换货")
    services.visit_log(
        actor=people["am"], order=delivered_order, method="phone", person="李先生", satisfaction=5
    )
    complaint = services.ticket_open_complaint(
        actor=people["am"], order=delivered_order, kind="repair", description="异响"
    )
    admin = UserFactory(username="admin", roles=["data_admin"])
    perform("order.archive", actor=admin, obj=delivered_order)
    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.ARCHIVED
    return delivered_order, resolved, complaint


def test_an_archived_order_refuses_every_after_sales_write(
    client, people, archived, receipt_upload
):
    order, resolved, complaint = archived
    server, fan = order.test_lines
    before = _snapshot(order)
    client.force_login(people["am"])
    posts = [
        (
            reverse("aftersales:record_acceptance", args=[order.pk]),
            {
                "signer": "李先生",
                "signed_on": timezone.localdate().isoformat(),
                "receipt": receipt_upload(),
                f"result_{server.pk}": "accepted",
                f"qty_{server.pk}": "10",
                f"result_{fan.pk}": "accepted",
                f"qty_{fan.pk}": "4",
            },
        ),
        (
            reverse("aftersales:log_visit", args=[order.pk]),
            {
                "method": "phone",
                "visit_date": timezone.localdate().isoformat(),
                "person": "李先生",
                "satisfaction": "5",
            },
        ),
        (
            reverse("aftersales:open_complaint", args=[order.pk]),
            {"kind": "repair", "description": "又有异响"},
        ),
        (reverse("aftersales:ticket_rate", args=[resolved.pk]), {"rating": "5"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 409, url
    client.force_login(people["as"])
    posts = [
        (
            reverse("aftersales:ticket_respond", args=[complaint.pk]),
            {"text": "上门", "kind": "repair"},
        ),
        (reverse("aftersales:ticket_resolve", args=[complaint.pk]), {"resolution": "已修好"}),
        (reverse("aftersales:ticket_assign", args=[complaint.pk]), {"owner": people["as"].pk}),
        (
            reverse("aftersales:ticket_repair", args=[complaint.pk]),
            {
                "repair_date": timezone.localdate().isoformat(),
                "technician": "张工",
                "work_done": "更换风扇",
                "result": "正常",
            },
        ),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 409, url
    assert _snapshot(order) == before
    complaint.refresh_from_db()
    resolved.refresh_from_db()
    assert complaint.status == TicketStatus.OPEN and resolved.rating is None
    # The services refuse the same way, whoever calls them.
    with pytest.raises(ReadOnly):
        services.ticket_respond(actor=people["as"], ticket=complaint, text="x")
    # And the pages offer nothing to do.
    for name, obj in [
        ("aftersales.visit_log", order),
        ("aftersales.ticket_open", order),
        ("aftersales.ticket_respond", complaint),
        ("aftersales.ticket_rate", resolved),
    ]:
        assert not allowed(name, people["am"], obj) and not allowed(name, people["as"], obj)
    page = client.get(reverse("aftersales:ticket", args=[complaint.pk])).content.decode()
    assert 'data-testid="respond-form"' not in page


def test_the_acceptance_of_an_order_not_delivered_is_refused_with_409(
    client, people, delivered_order, receipt_upload
):
    _accept(people, delivered_order, receipt_upload, result=LineResult.ACCEPTED)
    server, fan = delivered_order.test_lines
    client.force_login(people["am"])
    before = _snapshot(delivered_order)
    response = client.post(
        reverse("aftersales:record_acceptance", args=[delivered_order.pk]),
        {
            "signer": "王女士",
            "signed_on": timezone.localdate().isoformat(),
            "receipt": receipt_upload(),
            f"result_{server.pk}": "accepted",
            f"qty_{server.pk}": "10",
            f"result_{fan.pk}": "accepted",
            f"qty_{fan.pk}": "4",
        },
    )
    # The page no longer offers the form (the order is accepted), so the post is the only way.
    assert response.status_code == 409
    assert _snapshot(delivered_order) == before
    assert delivered_order.acceptance.signer == "李先生"
