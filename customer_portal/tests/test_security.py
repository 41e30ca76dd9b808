"""A customer link opens its order and nothing else (docs/decisions/0014-customer-links-and-sms.md).

* a link of order A never shows order B, another customer, or any internal page — every
  URL pattern of the resolver, asked with the customer's cookies, answers exactly what a
  stranger gets, and never the order's data;
* a revoked or expired link, a forged, truncated or id-swapped token answer 404; an address
  that keeps guessing is answered 429, valid links included;
* no customer page carries an internal note or a cost: marker strings are planted in every
  internal text field and looked for on every customer page, in every state that shows
  something different (confirmed, in production, shipped, at risk).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from core.actions import perform
from core.errors import Forbidden
from customer_portal.access import MISS_LIMIT, LinkActor
from customer_portal.models import CustomerLink
from customer_portal.services import link_revoke, link_send

pytestmark = pytest.mark.django_db

MARK = "INTERNAL-SECRET-"


@pytest.fixture(autouse=True)
def _clean_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _customer_routes() -> list[str]:
    """Every customer URL pattern (``<str:token>`` under the customer_portal namespace)."""
    names = []
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "customer_portal":
            for sub in pattern.url_patterns:
                if isinstance(sub, URLPattern) and "<str:token>" in str(sub.pattern):
                    names.append(sub.name)
    return names


def _all_routes(patterns: list[Any], prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            routes += _all_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            routes.append(prefix + str(pattern.pattern))
    return routes


def _fill(route: str, values: dict[str, str]) -> str | None:
    """A concrete path for ``route`` (Django route syntax; regex routes without groups)."""
    if route.startswith("^"):
        if "(" in route:
            return None
        route = route.lstrip("^").rstrip("$").replace("\\", "")

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return values.get(name, values["int"])
        if converter == "uuid":
            return "00000000-0000-0000-0000-000000000000"
        if converter == "path":
            return "x"
        return values.get(name, values["str"])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_token_is_a_signature_not_a_stored_secret(world):
    link = world.link
    token = link.token()
    assert re.fullmatch(r"[0-9a-z]+-[A-Za-z0-9_-]{24}", token)
    assert token not in str(CustomerLink.objects.filter(pk=link.pk).values().first())
    # A new link for the same order and contact has another token; both prove only themselves.
    second = link_send(actor=world.owner, order=world.order, contact=world.contact, new=True)
    assert second.token() != token
    assert world.client().get(second.get_absolute_url()).status_code == 200


def test_link_of_order_a_opens_only_order_a(world):
    client = world.client()
    page = client.get(world.url).content.decode()
    assert world.order.number in page
    assert world.other_order.number not in page
    assert world.other_order.customer.name not in page
    # Query strings and extra path parts do not reach another order.
    for url in (
        f"{world.url}?order={world.other_order.pk}",
        f"{world.url}?pk={world.other_order.pk}&number={world.other_order.number}",
        f"{world.url}{world.other_order.pk}/",
        f"{world.url}../{world.other_order.pk}/",
    ):
        response = client.get(url)
        assert world.other_order.number not in response.content.decode(), url
    # B's link id with A's signature, A's id with B's signature: nobody's link.
    other_contact = world.other_order.customer.contacts.create(name="赵", mobile="13700000000")
    link_b = link_send(actor=world.owner, order=world.other_order, contact=other_contact)
    id_a, mac_a = world.link.token().split("-", 1)
    id_b, mac_b = link_b.token().split("-", 1)
    for forged in (f"{id_b}-{mac_a}", f"{id_a}-{mac_b}"):
        assert client.get(f"/c/{forged}/").status_code == 404


def test_customer_step_refused_on_another_order(world):
    """The engine refuses a customer of order A on order B, whatever the page does."""
    actor = LinkActor(world.link, ip="203.0.113.7", user_agent="x")
    with pytest.raises(Forbidden):
        perform("customer.confirm", actor=actor, obj=world.other_order, typed_name="王经理")
    # A staff user is no customer: the customer steps refuse them too.
    with pytest.raises(Forbidden):
        perform("customer.confirm", actor=world.owner, obj=world.order, typed_name="王经理")
    # And the system (None) is no customer either.
    with pytest.raises(Forbidden):
        perform("customer.confirm", actor=None, obj=world.order, typed_name="王经理")


def test_revoked_and_expired_links_answer_404(world):
    client = world.client()
    assert client.get(world.url).status_code == 200
    link_revoke(actor=world.owner, link=world.link)
    for name in _customer_routes():
        response = client.get(f"/c/{world.link.token()}/" + _suffix(name))
        assert response.status_code in (404, 405), name
    assert world.order.number not in client.get(world.url).content.decode()

    fresh = link_send(actor=world.owner, order=world.order, contact=world.contact)
    assert client.get(fresh.get_absolute_url()).status_code == 200
    CustomerLink.objects.filter(pk=fresh.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(fresh.get_absolute_url())
    assert response.status_code == 404
    assert world.order.number not in response.content.decode()


def test_revoked_link_cannot_act_even_with_an_open_page(world):
    """Revoked a second after the page opened: the step re-reads the link under the lock."""
    actor = LinkActor(world.link, ip="203.0.113.7", user_agent="x")
    CustomerLink.objects.filter(pk=world.link.pk).update(revoked_at=timezone.now())
    with pytest.raises(Forbidden):
        perform("customer.confirm", actor=actor, obj=world.order, typed_name="王经理")


def test_forged_and_truncated_tokens_are_404_then_rate_limited(world):
    guesser = world.client(ip="198.51.100.9")
    token = world.link.token()
    bad = [
        token[:-1],  # truncated
        token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],  # one character changed
        token.split("-")[0],  # the id alone
        "1-" + "A" * 24,
        "zzzzzz-" + "A" * 24,
        "not-a-token",
        "%00",
        "a" * 300,
    ]
    for guess in bad[:MISS_LIMIT]:
        response = guesser.get(f"/c/{guess}/")
        assert response.status_code == 404, guess
        assert response["Cache-Control"] == "private, no-store"
    while True:  # up to the limit
        response = guesser.get("/c/1-" + "B" * 24 + "/")
        if response.status_code == 429:
            break
        assert response.status_code == 404
    # Limited now: even the right token answers 429 to this address …
    assert guesser.get(world.url).status_code == 429
    assert guesser.post(world.url + "confirm/", {"typed_name": "x"}).status_code == 429
    # … while the customer's own phone (another address) is not affected.
    assert world.client(ip="203.0.113.7").get(world.url).status_code == 200


def test_replayed_posts_are_limited_per_link(world, settings):
    from customer_portal import access

    client = world.client()
    original = access.POST_LIMIT
    access.POST_LIMIT = 3
    try:
        answers = [
            client.post(world.url + "change/", {"message": f"换颜色 {n}"}).status_code
            for n in range(5)
        ]
    finally:
        access.POST_LIMIT = original
    assert answers[:3] == [302, 302, 302]
    assert answers[3:] == [429, 429]


def _suffix(name: str, ids: dict[str, str] | None = None) -> str:
    """The part of the customer URL ``name`` after ``/c/<token>/``, its ids filled in
    (``ids`` by argument name; unknown ids are ids of nothing)."""
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "customer_portal":
            for sub in pattern.url_patterns:
                if isinstance(sub, URLPattern) and sub.name == name:
                    route = str(sub.pattern).split("<str:token>/", 1)[1]
                    return re.sub(
                        r"<(?:(\w+):)?(\w+)>",
                        lambda m: (ids or {}).get(m.group(2), "987654321"),
                        route,
                    )
    raise LookupError(name)


def test_customer_cookies_open_no_internal_url(world):
    """Every URL pattern of the resolver, with the ids of the customer's own order: with the
    cookies the customer's pages set, the answer is exactly a stranger's, and never the data."""
    customer = world.client()
    for url in (world.url, world.url + "?lang=en", world.url + "confirm/"):
        assert customer.get(url).status_code == 200
    assert customer.cookies  # csrftoken and the language choice
    stranger = Client(REMOTE_ADDR="192.0.2.55")
    values = {
        "int": str(world.order.pk),
        "pk": str(world.order.pk),
        "order_pk": str(world.order.pk),
        "customer_pk": str(world.customer.pk),
        "str": world.order.number,
        "token": "0-x",
    }
    checked = 0
    for route in _all_routes(get_resolver().url_patterns):
        if route.startswith(("c/<str:token>", "static/", "media/")):
            continue
        path = _fill(route, values)
        if path is None:
            continue
        mine = customer.get(path)
        theirs = stranger.get(path)
        assert mine.status_code == theirs.status_code, path
        assert mine.status_code != 500, path
        if mine.status_code == 200 and "html" in mine.get("Content-Type", ""):
            body = mine.content.decode(errors="replace")
            assert world.order.number not in body, path
            assert world.customer.name not in body, path
        checked += 1
    assert checked > 100  # the whole portal, not a sample


# --- no internal notes or costs on any customer page -------------------------------------------


def _plant_markers(world) -> list[str]:
    """Write a marker into every internal text field around the order; returns them."""
    from core.services import sla_clock_start
    from fulfillment.models import (
        OrderFulfillment,
        ProgressEntry,
        Shipment,
        ShipmentLine,
        ShipmentPreparation,
    )
    from orders.models import CustomerContactLog, Order, OrderChange, OrderEvent

    markers: list[str] = []

    def mark(name: str) -> str:
        value = f"{MARK}{name}"
        markers.append(value)
        return value

    order = world.order
    Order.objects.filter(pk=order.pk).update(
        review_note=mark("review"),
        director_reasons=mark("director"),
        credit_hold_reason=mark("credit"),
        return_reason=mark("return"),
        cancel_reason=mark("cancel"),
        payment_note=mark("payment-note"),
    )
    OrderEvent.objects.create(order=order, kind="note", note=mark("timeline"))
    CustomerContactLog.objects.create(
        order=order, channel="phone", person="王", result=mark("contact-log"), logged_by=world.owner
    )
    OrderChange.objects.create(
        order=order,
        status="declined",
        changes=[],
        payload={},
        reason=mark("change-reason"),
        requested_by=world.owner,
        decision_note=mark("change-decision"),
    )
    customer = world.customer
    customer.preferences = mark("preferences")
    customer.credit_limit = Decimal("98765.43")
    customer.save()
    markers.append("98,765.43")
    OrderFulfillment.objects.update_or_create(
        order=order,
        defaults={
            "stock_note": mark("stock-note"),
            "customer_answer_note": mark("answer-note"),
            "stop_reason": mark("stop"),
            "promised_date": timezone.localdate() + timedelta(days=2),
        },
    )
    ProgressEntry.objects.create(
        order=order,
        stage="production",
        owner=world.owner,
        recorded_by=world.owner,
        planned_end=timezone.localdate() + timedelta(days=1),
        note=mark("progress-note"),
        problem=mark("progress-problem"),
        solution=mark("progress-solution"),
        next_step=mark("progress-next"),
    )
    ShipmentPreparation.objects.create(
        order=order,
        packing=mark("packing"),
        qc_report=mark("qc"),
        prepared_by=world.owner,
    )
    shipment = Shipment.objects.create(
        order=order,
        sequence=1,
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1234567890",
        eta=timezone.localdate() + timedelta(days=1),
        note=mark("shipment-note"),
        shipped_by=world.owner,
    )
    line = order.lines.first()
    ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=Decimal("1"))
    sla_clock_start(
        target=order, kind="clarification", owner=world.owner, hours=4, note=mark("clock")
    )
    # Prices: hidden by default (the company setting) — unit prices and amounts are markers.
    for line in order.lines.all():
        markers.append(f"{line.unit_price:,.2f}")
    markers.append(f"{order.total_amount:,.2f}")
    return markers


@pytest.mark.parametrize("status", ["confirmed", "preparing", "shipped", "delivered"])
def test_no_internal_note_or_cost_on_any_customer_page(world, status):
    from customer_portal.models import DeliveryRiskOffer
    from orders.models import Order

    Order.objects.filter(pk=world.order.pk).update(status=status)
    markers = _plant_markers(world)
    DeliveryRiskOffer.objects.create(
        order=world.order,
        promised_date=timezone.localdate() + timedelta(days=2),
        new_date=timezone.localdate() + timedelta(days=5),
        coupon_amount=Decimal("200"),
        warranty_months=6,
    )
    client = world.client()
    pages = 0
    for name in _customer_routes():
        for lang in ("zh-hans", "en"):
            url = f"{world.url}{_suffix(name)}?lang={lang}"
            response = client.get(url)
            assert response.status_code in (200, 404, 405), (url, response.status_code)
            body = response.content.decode(errors="replace")
            if response.status_code == 200:
                pages += 1
                leaked = [m for m in markers if m in body]
                assert not leaked, (url, leaked)
                assert world.other_order.number not in body
    assert pages >= 4


def test_prices_only_when_the_company_shows_them(world):
    from customer_portal.models import CustomerPortalSettings

    line = world.order.lines.first()
    price = f"{line.unit_price:,.2f}"
    assert price not in world.client().get(world.url).content.decode()
    CustomerPortalSettings.objects.update_or_create(pk=1, defaults={"show_prices": True})
    assert price in world.client().get(world.url).content.decode()
