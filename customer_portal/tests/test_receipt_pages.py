# ruff: noqa: F811  (the fixtures are imported from receipt_fixtures by name)
"""The receipt, survey and request pages over HTTP: what a phone (or a script) can send."""

from __future__ import annotations

import pytest
from django.test import Client

from aftersales import services as aftersales_services
from aftersales.models import Acceptance, AftersalesTicket
from customer_portal.actions.requests import complaint_open
from customer_portal.tests.receipt_fixtures import (  # noqa: F401  (fixtures)
    carton_photo,
    delivered,
    link_actor,
    make_delivered_order,
    sign_receipt,
    signature_data_url,
    signing_cert,
    staff,
)

pytestmark = pytest.mark.django_db


def _base(actor) -> str:
    return f"/c/{actor.link.token()}/"


def test_the_receipt_form_lists_each_line_with_a_camera_input(delivered, signing_cert):
    actor = link_actor(delivered)
    page = Client().get(_base(actor) + "receipt/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="receipt-line"') == 2
    assert 'capture="environment"' in html
    assert "unit_price" not in html and "5000" not in html  # no prices on the receipt


def test_a_posted_receipt_signs_and_a_bad_one_says_why(delivered, signing_cert):
    actor = link_actor(delivered)
    client = Client()
    server, fan = delivered.test_lines
    bad = client.post(
        _base(actor) + "receipt/",
        {f"result-{server.pk}": "ok", f"result-{fan.pk}": "issue", "signer": "王收货"},
    )
    assert bad.status_code == 400
    assert not Acceptance.objects.exists()
    good = client.post(
        _base(actor) + "receipt/",
        {
            f"result-{server.pk}": "ok",
            f"result-{fan.pk}": "issue",
            f"issue_type-{fan.pk}": "damaged_packaging",
            f"note-{fan.pk}": "外箱压坏",
            f"photos-{fan.pk}": carton_photo(),
            "signer": "王收货",
            "signature": signature_data_url(),
        },
    )
    assert good.status_code == 302
    assert Acceptance.objects.get(order=delivered).issues.get().photos.count() == 1
    pdf = client.get(_base(actor) + "receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # Signed already: a second post is refused (409), nothing changes.
    again = client.post(_base(actor) + "receipt/", {"signer": "x"})
    assert again.status_code == 409


def test_junk_never_makes_a_500(delivered, signing_cert):
    actor = link_actor(delivered)
    client = Client()
    for path, data in (
        ("receipt/", {"signature": "data:image/png;base64,!!!", "signer": "a" * 500}),
        ("receipt/", {"result-999999": "issue", "photos-1": "x"}),
        ("survey/", {"score": "NaN"}),
        ("requests/", {"kind": "<script>", "description": "", "line": "abc"}),
        ("requests/", {"kind": "repair", "description": "x", "line": "999999"}),
    ):
        response = client.post(_base(actor) + path, data)
        assert response.status_code < 500, (path, response.status_code)


def test_another_orders_request_and_a_forged_token_answer_404(delivered, signing_cert, staff):
    actor = link_actor(delivered)
    sign_receipt(delivered, actor, damaged_photo=False)
    delivered.refresh_from_db()
    ticket = complaint_open(actor=actor, order=delivered, kind="repair", description="坏了")
    other = make_delivered_order(staff, number="202611-404")
    stranger = link_actor(other, name="外人")
    client = Client()
    assert client.get(_base(actor) + f"requests/{ticket.pk}/").status_code == 200
    assert client.get(_base(stranger) + f"requests/{ticket.pk}/").status_code == 404
    assert client.post(_base(stranger) + f"requests/{ticket.pk}/", {"rating": 1}).status_code == 404
    assert client.get(_base(stranger) + "receipt.pdf").status_code == 404
    forged = actor.link.token()[:-2] + "AA"
    assert client.get(f"/c/{forged}/receipt/").status_code == 404


def test_the_request_page_shows_progress_but_nothing_internal(delivered, signing_cert, staff):
    actor = link_actor(delivered)
    sign_receipt(delivered, actor, damaged_photo=False)
    delivered.refresh_from_db()
    ticket = complaint_open(actor=actor, order=delivered, kind="repair", description="坏了")
    aftersales_services.ticket_respond(actor=staff["as"], ticket=ticket, text="内部备注：先查库存")
    aftersales_services.ticket_resolve(actor=staff["as"], ticket=ticket, resolution="已上门维修")
    page = Client().get(_base(actor) + f"requests/{ticket.pk}/").content.decode()
    assert "已上门维修" in page
    assert "内部备注" not in page and "吴" not in page  # no internal notes, no staff names
    assert AftersalesTicket.objects.get(pk=ticket.pk).status == "resolved"
