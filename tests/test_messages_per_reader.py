"""Every message the system writes is read in the reader's language (docs/decisions/
0011-language-neutral-messages.md): notifications, deadline notes, timeline entries and
e-mails are stored as a message key with parameters, not as text in the language of
whoever caused them.

One realistic order — submitted, sent back for information, reviewed, approved by the
manager and the director, stock confirmed late, negotiated, followed up, checked, shipped,
delivered, complained about — is driven by people working in Chinese. Then each of them
reads the portal in English (no CJK character except the names, addresses and product
names of the data) and in Chinese (Chinese), and their e-mails come in the language they
chose, not the actor's.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from aftersales import services as aftersales_services
from core.models import Notification, SlaClock, UserPreference
from core.people import person_name
from core.services import notifications_deliver, sla_clocks_scan
from fulfillment import services as fulfillment
from fulfillment.models import ProgressEntry
from fulfillment.tests.conftest import make_order, put_stock
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import orders as order_services
from orders.tests.conftest import give_licence
from tests.factories import ProductFactory

# CJK ideographs, CJK punctuation and full-width forms (a full-width colon is Chinese too).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _section(html: str, marker: str) -> str:
    """The HTML from ``marker`` to the end of the list that follows it."""
    start = html.index(marker)
    return html[start : html.index("</ul>", start)]


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def cjk_outside(text: str, data: list[str]) -> list[str]:
    """The CJK characters of ``text`` once the data's own names are taken out, with
    what surrounds each (to read in a failure)."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return [text[max(0, m.start() - 40) : m.end() + 40] for m in CJK.finditer(text)]


@pytest.fixture
def people(make_user):
    return {
        "assistant": make_user("sales_assistant", username="assistant_li"),
        "reviewer": make_user("sales_assistant", username="assistant_chen"),
        "manager": make_user("sales_manager", username="manager_wang"),
        "director": make_user("sales_director", username="director_zhao"),
        "keeper": make_user("warehouse", username="keeper_sun"),
        "shipper": make_user("logistics", username="shipper_zhou"),
        "account_manager": make_user("account_manager", username="am_wu"),
        "aftersales": make_user("aftersales", username="service_zheng"),
    }


@pytest.fixture
def world(people):
    """The order's whole life, every step taken by someone working in Chinese."""
    from customer_portal.models import CustomerPortalSettings
    from fulfillment.models import AllocationRule, Warehouse

    p = people
    # The customer's online confirmation is another walk: production starts without it here.
    CustomerPortalSettings.objects.update_or_create(pk=1, defaults={"confirmation_required": False})
    warehouse = Warehouse.objects.create(code="BJ", name="北京仓", city="北京", manager=p["keeper"])
    AllocationRule.objects.create(
        region="north", warehouse=warehouse, priority=10, account_manager=p["account_manager"]
    )
    product = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    # Reserving 10 of 12 leaves 2, below the safety stock of 5: a purchase alert.
    put_stock(warehouse, product, 12, safety=5)
    order = make_order(p["assistant"], product, 10, status=OrderStatus.DRAFT)
    order.customer.credit_limit = Decimal("1000000")
    order.customer.save()
    give_licence(order.customer, p["assistant"])
    today = timezone.localdate()
    with translation.override("zh-hans"):
        order = order_services.order_submit(actor=p["assistant"], order=order)
        order = order_services.order_request_info(
            actor=p["reviewer"], order=order, reason="Which floor is the delivery for?"
        )
        order_services.order_log_contact(
            actor=p["assistant"],
            order=order,
            channel="phone",
            person="Mr Li",
            result="third floor, loading dock B",
        )
        order = order_services.order_resubmit(actor=p["assistant"], order=order)
        order = order_services.order_pass_review(actor=p["reviewer"], order=order)
        # 50,000 is above the director's threshold: the manager, then the director.
        order = order_services.order_approve(actor=p["manager"], order=order)
        assert order.status == OrderStatus.PENDING_DIRECTOR
        order = order_services.order_director_approve(actor=p["director"], order=order)
        assert order.status == OrderStatus.CONFIRMED
        line = order.lines.get()
        fulfillment.fulfillment_confirm_stock(
            actor=p["keeper"],
            order=order,
            line_statuses={line.pk: "in_stock"},
            deliverable_date=order.requested_delivery_date + timedelta(days=3),
        )
        # A month later nothing has moved: every running deadline is missed and escalated.
        sla_clocks_scan(now=timezone.now() + timedelta(days=30))
        fulfillment.fulfillment_record_answer(
            actor=p["assistant"], order=order, answer="insists", note="needs it for a launch"
        )
        fulfillment.progress_entry_add(
            actor=p["keeper"],
            order=order,
            entry=ProgressEntry(
                stage="packing",
                owner=p["keeper"],
                planned_end=order.requested_delivery_date + timedelta(days=2),
                note="crates ordered",
            ),
        )
        fulfillment.preparation_save(
            actor=p["keeper"],
            order=order,
            form_data={"packing": "wooden crate", "package_count": 1, "qc_result": "passed"},
        )
        fulfillment.fulfillment_mark_ready(actor=p["keeper"], order=order)
        fulfillment.shipment_create(
            actor=p["shipper"],
            order=order,
            quantities={line.pk: Decimal("10")},
            carrier="SF Express",
            method="express",
            tracking_number="SF1001",
            eta=today + timedelta(days=4),
        )
        fulfillment.fulfillment_record_delivery(actor=p["shipper"], order=order)
        aftersales_services.ticket_open_complaint(
            actor=p["aftersales"],
            order=Order.objects.get(pk=order.pk),
            kind="repair",
            description="fan is noisy",
            owner=p["aftersales"],
        )
    order.refresh_from_db()
    # What the data itself names: a name, an address, a product stays as it was entered.
    data = [
        order.customer.name,
        order.contact_name,
        order.delivery_address,
        product.name,
        product.unit,
        product.spec,
        warehouse.name,
        warehouse.city,
        *(person_name(user) for user in people.values()),
        *(f"{user.last_name}{user.first_name}" for user in people.values()),
        dict(settings.LANGUAGES)["zh-hans"],  # the language switch names itself
    ]
    return {"order": order, "data": data}


def _read_as(client, user, language):  # type: ignore[no-untyped-def]
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


def test_each_reader_reads_the_systems_messages_in_their_own_language(client, people, world):
    order, data = world["order"], world["data"]
    kinds = set(Notification.objects.values_list("title_msg__key", flat=True))
    # Most of the order's notices and deadlines appeared, each stored as a message.
    for key in (
        "Order %(number)s needs information",
        "Order %(number)s waits for your approval",
        "Order %(number)s is confirmed: please prepare it",
        "Confirm stock for order %(order)s",
        "Purchase alert: %(product)s in %(warehouse)s",
        "Negotiate the delivery date of order %(order)s",
        "Deadline missed: %(kind)s — %(object)s",
        "Escalated: %(kind)s — %(object)s",
        "Delay risk: customer insists on the date of order %(order)s",
        "Delay risk on order %(order)s: %(stage)s",
        "Order %(order)s is ready to ship",
        "After-sales ticket %(number)s: please respond within 24 hours",
    ):
        assert key in kinds, (key, kinds)
    assert not Notification.objects.filter(title_msg__isnull=True).exists()
    # A deadline's note is a message, unless a person wrote it (the reviewer's question).
    plain = SlaClock.objects.filter(note_msg__isnull=True).exclude(note="")
    assert list(plain.values_list("note", flat=True)) == ["Which floor is the delivery for?"]

    # Every notification links to what it is about.
    assert not Notification.objects.filter(url="").exists()

    for name, user in people.items():
        _read_as(client, user, "en")
        notifications = client.get(reverse("core:notifications"))
        assert notifications.status_code == 200
        text = _text(_main(notifications.content.decode()))
        assert not cjk_outside(text, data), (name, cjk_outside(text, data))
        work = client.get(reverse("core:my_work"))
        text = _text(_main(work.content.decode()))
        assert not cjk_outside(text, data), (name, cjk_outside(text, data))

    # The deadline text that mixed both languages: each part in the reader's.
    _read_as(client, people["manager"], "en")
    page = client.get(reverse("core:notifications")).content.decode()
    assert "Promised for" in page and "and not shipped yet." in page
    assert "It was due at" in page

    # The order page's timeline, in English, then in Chinese.
    _read_as(client, people["assistant"], "en")
    page = client.get(order.get_absolute_url()).content.decode()
    timeline = _text(_section(page, 'id="timeline"'))
    assert "Phone · Mr Li: third floor, loading dock B" in timeline
    assert "Allocated to" in timeline and "Stock: In stock; deliverable on" in timeline
    assert "QC: Passed" in timeline and "Shipment" in timeline
    assert not cjk_outside(timeline, data), cjk_outside(timeline, data)

    _read_as(client, people["assistant"], "zh-hans")
    page = client.get(order.get_absolute_url()).content.decode()
    timeline = _text(_section(page, 'id="timeline"'))
    assert "Allocated to" not in timeline and "QC: Passed" not in timeline
    with translation.override("zh-hans"):
        assert translation.gettext("QC: %(result)s") % {"result": "合格"} in timeline
    notifications = client.get(reverse("core:notifications")).content.decode()
    with translation.override("zh-hans"):
        confirmed = translation.gettext("Order %(number)s is confirmed: please prepare it")
    assert confirmed % {"number": order.number} in notifications
    assert "is confirmed: please prepare it" not in notifications

    # The stored text (the admin, the search) is the default language's, whoever read it.
    event = OrderEvent.objects.filter(order=order, action="allocate").get()
    assert event.note_msg["key"].startswith("Allocated to")
    assert CJK.search(event.note)


def test_an_email_is_written_in_the_recipients_language_not_the_actors(client, people, world):
    """The keeper chose English, the manager never chose: both were told by people
    working in Chinese."""
    _read_as(client, people["keeper"], "zh-hans")
    client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    assert UserPreference.objects.get(user=people["keeper"]).language == "en"
    mail.outbox.clear()
    notifications_deliver(notification_ids=list(Notification.objects.values_list("pk", flat=True)))
    data = world["data"]

    to_keeper = [m for m in mail.outbox if m.to == [people["keeper"].email]]
    assert any(m.subject.startswith("Purchase alert: 服务器A型 S-001 in 北京仓") for m in to_keeper)
    assert any("Confirm stock for order" in m.subject for m in to_keeper)
    for message in to_keeper:
        text = f"{message.subject}\n{message.body}"
        assert not cjk_outside(text, data), cjk_outside(text, data)
        assert re.search(r"\n/\S+$", message.body), message.body  # the link to what it is about

    to_manager = [m for m in mail.outbox if m.to == [people["manager"].email]]
    assert to_manager
    for message in to_manager:
        assert CJK.search(message.subject.replace(world["order"].number, "")), message.subject

    # Switching back is remembered as well.
    client.post(reverse("core:set_language"), {"language": "zh-hans", "next": "/"})
    assert UserPreference.objects.get(user=people["keeper"]).language == "zh-hans"


def test_a_change_after_confirmation_is_read_in_the_readers_language(client, people):
    """The change's field labels (on the order page and in its timeline note) follow the
    reader, not the assistant who asked for the change in Chinese."""
    from customer_portal.models import CustomerPortalSettings

    CustomerPortalSettings.objects.update_or_create(pk=1, defaults={"confirmation_required": False})
    product = ProductFactory(name="服务器A型", list_price=Decimal("100"))
    order = make_order(people["assistant"], product, 1, status=OrderStatus.PENDING_APPROVAL)
    order.customer.credit_limit = Decimal("1000000")
    order.customer.save()
    new_date = (timezone.localdate() + timedelta(days=30)).isoformat()
    with translation.override("zh-hans"):
        order_services.order_approve(actor=people["manager"], order=order)
        order_services.order_change(
            actor=people["assistant"],
            order=order,
            reason="customer moved the launch",
            payload={"order": {"requested_delivery_date": new_date}},
        )
    label = str(Order._meta.get_field("requested_delivery_date").verbose_name._args[0])
    _read_as(client, people["assistant"], "en")
    page = client.get(order.get_absolute_url()).content.decode()
    changes = _text(_section(page, 'data-testid="changes"'))
    timeline = _text(_section(page, 'id="timeline"'))
    assert label in changes.lower() and new_date in changes
    assert "customer moved the launch" in timeline and label in timeline.lower()
    names = [f"{user.last_name}{user.first_name}" for user in people.values()]
    assert not cjk_outside(changes, names), changes
    _read_as(client, people["assistant"], "zh-hans")
    page = client.get(order.get_absolute_url()).content.decode()
    with translation.override("zh-hans"):
        chinese = str(Order._meta.get_field("requested_delivery_date").verbose_name)
    assert chinese in _text(_section(page, 'data-testid="changes"'))
    assert chinese in _text(_section(page, 'id="timeline"'))
