"""The after-sales pages: acceptance form with uploads, permissions, work lists' query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation

from aftersales import services
from aftersales.exceptions import BLOCK_NO_VISIT
from aftersales.models import AftersalesTicket, IssuePhoto, LineResult
from aftersales.tests.conftest import carton_jpeg
from core.uploads import MSG_MISMATCH, MSG_TOO_LARGE
from orders.models import OrderStatus
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def _zh(message, **params) -> str:
    """The message as the (Chinese) page shows it."""
    with translation.override("zh-hans"):
        return str(message) % params if params else str(message)


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _post_acceptance(client, order, photo, receipt):
    server, fan = order.test_lines
    return client.post(
        reverse("aftersales:record_acceptance", args=[order.pk]),
        {
            "signer": "李先生",
            "signed_on": timezone.localdate().isoformat(),
            "receipt": receipt,
            f"result_{server.pk}": "exceptions",
            f"qty_{server.pk}": "10",
            f"issue_type_{server.pk}": "damaged_packaging",
            f"issue_{server.pk}": "外箱破损",
            f"photos_{server.pk}": [photo],
            f"result_{fan.pk}": "accepted",
            f"qty_{fan.pk}": "4",
        },
    )


def test_account_manager_records_acceptance_with_a_photo(
    client, people, delivered_order, receipt_upload, photo_upload
):
    client.force_login(people["am"])
    response = _post_acceptance(client, delivered_order, photo_upload(), receipt_upload())
    assert response.status_code == 302
    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.ACCEPTED
    photo = IssuePhoto.objects.get()
    page = client.get(reverse("aftersales:order", args=[delivered_order.pk]))
    assert reverse("aftersales:photo_thumb", args=[photo.pk]) in page.content.decode()
    thumb = client.get(reverse("aftersales:photo_thumb", args=[photo.pk]))
    assert thumb.status_code == 200 and b"".join(thumb.streaming_content)[:3] == b"\xff\xd8\xff"
    receipt = client.get(reverse("aftersales:receipt", args=[delivered_order.pk]))
    assert receipt.status_code == 200


def test_a_renamed_executable_is_refused_with_a_clear_message(
    client, people, delivered_order, receipt_upload
):
    client.force_login(people["am"])
    fake = SimpleUploadedFile("damage.jpg", EXE, content_type="image/jpeg")
    response = _post_acceptance(client, delivered_order, fake, receipt_upload())
    assert response.status_code == 400
    text = response.content.decode()
    assert _zh(MSG_MISMATCH, kind="JPEG", ext=".jpg") in text
    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.DELIVERED
    assert not IssuePhoto.objects.exists()


def test_a_photo_over_the_size_limit_is_refused_with_a_clear_message(
    client, people, delivered_order, receipt_upload, settings
):
    client.force_login(people["am"])
    big = carton_jpeg() + b"\x00" * (settings.UPLOAD_MAX_BYTES + 1)
    response = _post_acceptance(
        client,
        delivered_order,
        SimpleUploadedFile("big.jpg", big, content_type="image/jpeg"),
        receipt_upload(),
    )
    assert response.status_code == 400
    with translation.override("zh-hans"):
        expected = str(MSG_TOO_LARGE) % {
            "size": filesizeformat(len(big)),
            "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
        }
    assert expected in response.content.decode()
    assert not IssuePhoto.objects.exists()


def test_a_renamed_executable_as_receipt_is_refused(client, people, delivered_order, photo_upload):
    client.force_login(people["am"])
    fake = SimpleUploadedFile("receipt.pdf", EXE, content_type="application/pdf")
    response = _post_acceptance(client, delivered_order, photo_upload(), fake)
    assert response.status_code == 400
    assert _zh(MSG_MISMATCH, kind="PDF", ext=".pdf") in response.content.decode()


def test_other_roles_cannot_post_acceptance(client, people, delivered_order):
    client.force_login(people["as"])
    response = client.post(reverse("aftersales:record_acceptance", args=[delivered_order.pk]), {})
    assert response.status_code == 403


def test_account_manager_cannot_resolve_tickets(client, people, delivered_order):
    ticket = services.ticket_open_complaint(
        actor=people["am"], order=delivered_order, kind="repair", description="异响"
    )
    client.force_login(people["am"])
    response = client.post(
        reverse("aftersales:ticket_resolve", args=[ticket.pk]), {"resolution": "x"}
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.is_open


def test_pages_render_for_their_roles(client, people, delivered_order):
    ticket = services.ticket_open_complaint(
        actor=people["am"], order=delivered_order, kind="repair", description="异响"
    )
    client.force_login(people["am"])
    for name, args in [
        ("aftersales:account_work", []),
        ("aftersales:order", [delivered_order.pk]),
        ("aftersales:ticket", [ticket.pk]),
        ("aftersales:ticket_record", [ticket.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    client.force_login(people["as"])
    assert client.get(reverse("aftersales:tickets")).status_code == 200
    assert client.get(reverse("aftersales:account_work")).status_code == 403
    page = client.get(reverse("aftersales:ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="respond-form"' in page


def _orders(people, count, status):
    orders = []
    for n in range(count):
        order = OrderFactory(
            status=status, number=f"202405-1{n:02d}", customer__account_manager=people["am"]
        )
        OrderLineFactory(order=order, quantity=Decimal("1"))
        orders.append(order)
    return orders


def _work_page_queries(client, people, django_assert_max_num_queries, count):
    for order in _orders(people, count, "delivered"):
        services.ticket_open_complaint(
            actor=people["am"], order=order, kind="repair", description="异响"
        )
    client.force_login(people["am"])
    with django_assert_max_num_queries(25):
        assert client.get(reverse("aftersales:account_work")).status_code == 200
    client.force_login(people["as"])
    with django_assert_max_num_queries(25):
        assert client.get(reverse("aftersales:tickets")).status_code == 200


@pytest.mark.parametrize("count", [1, 6])
def test_work_pages_run_a_constant_number_of_queries(
    client, people, django_assert_max_num_queries, count
):
    _work_page_queries(client, people, django_assert_max_num_queries, count)


def test_ticket_list_is_one_query(people, delivered_order, django_assert_num_queries):
    from aftersales.selectors import followups_due, tickets_by_clock

    for _n in range(3):
        services.ticket_open_complaint(
            actor=people["am"], order=delivered_order, kind="repair", description="异响"
        )
    with django_assert_num_queries(1):
        rows = list(tickets_by_clock())
    assert len(rows) == 3 and all(row.response_due for row in rows)
    with django_assert_num_queries(1):
        list(followups_due())


def test_followups_due_lists_overdue_first(people, make_user):
    from aftersales.selectors import followups_due
    from core.services import sla_clock_start

    later, overdue = _orders(people, 2, "accepted")
    now = timezone.now()
    sla_clock_start(target=later, kind="followup_visit", owner=people["am"], working_days=3)
    sla_clock_start(
        target=overdue,
        kind="followup_visit",
        owner=people["am"],
        due_at=now - timedelta(hours=1),
        started_at=now - timedelta(days=5),
    )
    assert [o.pk for o in followups_due()] == [overdue.pk, later.pk]


def test_order_page_shows_what_blocks_completion(client, people, delivered_order, receipt_upload):
    server, fan = delivered_order.test_lines
    services.acceptance_record(
        actor=people["am"],
        order=delivered_order,
        signer="李先生",
        signed_on=timezone.localdate(),
        receipt=receipt_upload(),
        lines=[
            services.LineInput(
                server.pk, LineResult.REJECTED, Decimal("2"), issue_type="quality", description="坏"
            ),
            services.LineInput(fan.pk, LineResult.ACCEPTED, Decimal("4")),
        ],
    )
    ticket = AftersalesTicket.objects.get()
    client.force_login(people["am"])
    page = client.get(reverse("aftersales:order", args=[delivered_order.pk])).content.decode()
    assert 'data-testid="completion-blockers"' in page
    assert ticket.number in page and _zh(BLOCK_NO_VISIT) in page
