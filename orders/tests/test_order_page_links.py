"""The order page: the link back to its quotation, hints that end with the step they
belong to, and the steps a draft offers (discarded at once, never "request cancellation")."""

from __future__ import annotations

import pytest

from orders.models import OrderStatus, QuotationStatus
from orders.services import quotations as qs
from tests.factories import OrderFactory, make_quotation

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {
        "li": make_user("sales_assistant", username="p_li"),
        "boss": make_user("sales_manager", username="p_boss"),
        "zhao": make_user("sales_director", username="p_zhao"),
    }


def test_an_order_links_back_to_the_quotation_it_came_from(people, client):
    quotation = make_quotation(owner=people["li"], prices=("1000",), quantities=(2,))
    qs.quotation_submit(actor=people["li"], quotation=quotation)
    qs.quotation_approve(actor=people["boss"], quotation=quotation)
    qs.quotation_accept(actor=people["li"], quotation=quotation)
    order = qs.quotation_convert(actor=people["li"], quotation=quotation)

    client.force_login(people["li"])
    page = client.get(f"/orders/{order.pk}/").content.decode()
    back = page.split('data-testid="order-quotation"')[1].split("</dd>")[0]
    assert f'href="/orders/quotations/{quotation.pk}/"' in back and quotation.number in back
    # ... and the quotation still links forward to the order.
    page = client.get(f"/orders/quotations/{quotation.pk}/").content.decode()
    assert f'href="/orders/{order.pk}/"' in page.split('data-testid="quotation-order"')[1][:200]


def test_an_order_entered_by_hand_names_no_quotation(people, client):
    order = OrderFactory(owner=people["li"], created_by=people["li"])
    client.force_login(people["li"])
    assert (
        'data-testid="order-quotation"' not in client.get(f"/orders/{order.pk}/").content.decode()
    )


def test_the_director_hint_disappears_after_the_final_approval(people, client):
    quotation = make_quotation(
        owner=people["li"], prices=("6000", "3000", "2000"), quantities=(1, 1, 1)
    )
    qs.quotation_submit(actor=people["li"], quotation=quotation)
    quotation = qs.quotation_approve(actor=people["boss"], quotation=quotation)
    assert quotation.status == QuotationStatus.PENDING_DIRECTOR
    client.force_login(people["zhao"])
    url = f"/orders/quotations/{quotation.pk}/"
    assert 'data-testid="director-reasons"' in client.get(url).content.decode()

    quotation = qs.quotation_approve(actor=people["zhao"], quotation=quotation)
    assert quotation.status == QuotationStatus.APPROVED
    assert 'data-testid="director-reasons"' not in client.get(url).content.decode()


def test_the_order_page_drops_the_director_hint_once_confirmed(people, client):
    order = OrderFactory(status="confirmed", number="202611-321", total_amount=10**7)
    client.force_login(people["zhao"])
    assert (
        'data-testid="director-reasons"' not in client.get(f"/orders/{order.pk}/").content.decode()
    )


def test_a_draft_is_discarded_not_asked_to_be_cancelled(people, client):
    draft = OrderFactory(owner=people["li"], created_by=people["li"])
    client.force_login(people["li"])
    page = client.get(f"/orders/{draft.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-action="cancel_request"' not in page
    assert 'data-action="discard"' in page

    # A hand-made request for a cancellation of the draft is refused, nothing changes.
    response = client.post(f"/orders/{draft.pk}/cancel-request/", {"reason": "不要了"})
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.cancel_requested_at is None and draft.status == OrderStatus.DRAFT

    response = client.post(f"/orders/{draft.pk}/discard/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    draft.refresh_from_db()
    assert draft.status == OrderStatus.CANCELLED
    assert "The draft was discarded" in response.content.decode()
    assert draft.events.filter(to_status="cancelled", action="discard").exists()


def test_only_the_maker_discards_a_draft_and_only_a_draft(people, make_user, client):
    draft = OrderFactory(owner=people["li"], created_by=people["li"])
    client.force_login(make_user("sales_assistant", username="p_other"))
    assert client.post(f"/orders/{draft.pk}/discard/").status_code == 403
    client.force_login(people["li"])
    submitted = OrderFactory(
        owner=people["li"], created_by=people["li"], status="pending_review", number="202611-777"
    )
    assert client.post(f"/orders/{submitted.pk}/discard/").status_code == 409
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert (draft.status, submitted.status) == (OrderStatus.DRAFT, OrderStatus.PENDING_REVIEW)
    # A submitted order is still cancelled through a request the manager decides.
    page = client.get(f"/orders/{submitted.pk}/").content.decode()
    assert 'data-action="cancel_request"' in page and 'data-action="discard"' not in page
