"""The order form says exactly what happened to the input: not saved, saved as a draft
that was not submitted (fields missing, or a possible duplicate), or submitted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus
from orders.tests.test_order_entry import entry_data
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def product():
    return ProductFactory(code="S-010", name="服务器A型", spec="S-001", list_price=Decimal("5000"))


@pytest.fixture
def entering(client, assistant):
    client.force_login(assistant)
    return client


def outcome(page: str) -> str:
    """The result banner at the top of the form."""
    assert 'data-testid="entry-outcome"' in page, "no result banner"
    return page.split('data-testid="entry-outcome"')[1].split("</div>\n  </div>")[0]


def test_submitting_without_payment_terms_says_the_draft_was_saved(entering, product):
    data = entry_data(CustomerFactory(), product, payment_terms="")
    page = entering.post("/orders/new/", data, **EN).content.decode()
    order = Order.objects.get()
    assert order.status == OrderStatus.DRAFT
    banner = outcome(page)
    assert 'data-outcome="draft_incomplete"' in banner
    assert "The draft was saved" in banner and "not submitted" in banner
    assert "nothing has been saved" not in page.lower() and "not saved" not in banner
    assert 'data-field-error="payment_terms"' in page
    # The form goes on with the saved draft: sending it again does not make a second order.
    assert f'action="/orders/{order.pk}/edit/"' in page


def test_a_possible_duplicate_says_the_draft_was_saved_and_asks_to_confirm(
    entering, assistant, product
):
    customer = CustomerFactory()
    earlier = OrderFactory(
        customer=customer,
        owner=assistant,
        created_by=assistant,
        number="202611-900",
        status=OrderStatus.PENDING_REVIEW,
    )
    OrderLineFactory(order=earlier, product=product)
    page = entering.post("/orders/new/", entry_data(customer, product), **EN).content.decode()
    banner = outcome(page)
    assert 'data-outcome="draft_duplicate"' in banner
    assert "The draft was saved" in banner and "202611-900" in banner
    assert "nothing has been saved" not in page.lower()
    assert Order.objects.exclude(pk=earlier.pk).get().status == OrderStatus.DRAFT


def test_invalid_input_says_nothing_was_saved(entering, product):
    data = entry_data(CustomerFactory(), product, **{"lines-0-quantity": "ten"})
    page = entering.post("/orders/new/", data, **EN).content.decode()
    banner = outcome(page)
    assert 'data-outcome="not_saved"' in banner and "was not saved" in banner
    assert "draft was saved" not in page
    assert not Order.objects.exists()


def test_invalid_changes_to_a_draft_say_the_changes_were_not_saved(entering, draft_order):
    line = draft_order.lines.get()
    data = entry_data(
        draft_order.customer,
        line.product,
        contact_phone="12345",
        **{"lines-INITIAL_FORMS": "1", "lines-0-id": line.pk},
    )
    page = entering.post(f"/orders/{draft_order.pk}/edit/", data, **EN).content.decode()
    assert "Your changes were not saved" in outcome(page)
    draft_order.refresh_from_db()
    assert draft_order.contact_phone != "12345"


def test_saving_a_draft_says_it_is_not_submitted_yet(entering, product):
    data = entry_data(CustomerFactory(), product, payment_terms="", action="draft")
    response = entering.post("/orders/new/", data, follow=True, **EN)
    page = response.content.decode()
    assert "The draft was saved; it has not been submitted for review yet." in page
    assert Order.objects.get().status == OrderStatus.DRAFT


def test_a_submitted_order_says_so_with_its_number(entering, product):
    response = entering.post(
        "/orders/new/", entry_data(CustomerFactory(), product), follow=True, **EN
    )
    order = Order.objects.get()
    assert f"Order {order.number} was submitted for review." in response.content.decode()
