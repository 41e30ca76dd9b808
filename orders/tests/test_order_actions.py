"""The order's steps as actions of the one engine: archived is read-only, four eyes with
owners and line editors, the credit hold, and the importer's recorded states."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Forbidden, ReadOnly, WrongState
from core.models import Notification
from customers.models import PaymentRecord
from orders.exceptions.orders import OrderError, OrderPermissionDenied
from orders.models import (
    CustomerContactLog,
    Order,
    OrderAttachment,
    OrderChange,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from orders.services import orders as services
from orders.spreadsheets import imports
from orders.tests.conftest import give_licence
from orders.tests.test_import_helpers import SHEET_HEADERS, catalog, sheet_row, xlsx_bytes
from orders.tests.test_order_entry import entry_data
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", username="manager_wang")


def _row_counts(order: Order) -> tuple[int, ...]:
    return (
        OrderEvent.objects.filter(order=order).count(),
        OrderAttachment.objects.filter(order=order).count(),
        CustomerContactLog.objects.filter(order=order).count(),
        OrderChange.objects.filter(order=order).count(),
    )


# --- archived is read-only ---------------------------------------------------------------


@pytest.fixture
def archived(assistant, make_user):
    """A completed order the month close archived (through ``order.archive``)."""
    order = OrderFactory(
        owner=assistant, created_by=assistant, status=OrderStatus.COMPLETED, number="202401-001"
    )
    OrderLineFactory(order=order, product=ProductFactory())
    archived = services.order_archive(actor=make_user("data_admin"), order=order, note="2024-01")
    assert archived.status == OrderStatus.ARCHIVED
    assert archived.events.get().action == "archive"
    return archived


def test_an_archived_order_refuses_attachments_contact_logs_and_changes(
    client, assistant, archived
):
    before = _row_counts(archived)
    client.force_login(assistant)
    responses = {
        "attach": client.post(
            f"/orders/{archived.pk}/attachments/",
            {"file": SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")},
        ),
        "contact": client.post(
            f"/orders/{archived.pk}/log-contact/",
            {"channel": "phone", "person": "李先生", "result": "客户确认"},
        ),
        "change": client.post(
            f"/orders/{archived.pk}/change/",
            {"reason": "改地址", "delivery_address": "北京市朝阳区"},
        ),
        "edit": client.get(f"/orders/{archived.pk}/edit/"),
        "cancel": client.post(f"/orders/{archived.pk}/cancel-request/", {"reason": "x"}),
    }
    assert {step: r.status_code for step, r in responses.items()} == dict.fromkeys(responses, 409)
    assert _row_counts(archived) == before
    assert Order.objects.get(pk=archived.pk).status == OrderStatus.ARCHIVED


def test_services_refuse_every_write_to_an_archived_order(assistant, archived):
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ReadOnly):
        services.order_attachment_add(actor=assistant, order=archived, upload=upload)
    with pytest.raises(ReadOnly):
        services.order_log_contact(
            actor=assistant, order=archived, channel="phone", person="李", result="x"
        )
    with pytest.raises(ReadOnly):
        services.order_change(
            actor=assistant,
            order=archived,
            payload={"order": {"delivery_address": "北京"}},
            reason="x",
        )
    assert _row_counts(archived) == (1, 0, 0, 0)


def test_the_archived_order_page_offers_no_step(client, assistant, archived):
    client.force_login(assistant)
    page = client.get(f"/orders/{archived.pk}/")
    assert not any(page.context["actions"].values())
    assert 'data-testid="actions"' not in page.content.decode()


# --- four eyes: creator, owner, line editor -------------------------------------------------------


def test_an_assistant_set_as_owner_does_not_review_the_order(
    client, make_user, assistant, draft_order
):
    owner = make_user("sales_assistant", username="assistant_owner")
    colleague = make_user("sales_assistant", username="assistant_colleague")
    Order.objects.filter(pk=draft_order.pk).update(owner=owner)
    services.order_submit(actor=assistant, order=draft_order)
    give_licence(draft_order.customer, assistant)

    client.force_login(owner)
    page = client.get(f"/orders/{draft_order.pk}/")
    assert not page.context["actions"]["review"]
    assert client.post(f"/orders/{draft_order.pk}/pass-review/").status_code == 403
    with pytest.raises(Forbidden):
        services.order_reject(actor=owner, order=draft_order, reason="x")
    assert Order.objects.get(pk=draft_order.pk).status == OrderStatus.PENDING_REVIEW

    services.order_pass_review(actor=colleague, order=draft_order)
    assert Order.objects.get(pk=draft_order.pk).status == OrderStatus.PENDING_APPROVAL


def test_a_manager_who_edited_the_lines_does_not_approve_them(client, make_user, assistant):
    """A manager who also enters orders owned the draft, added a line and handed it back."""
    editor = make_user("sales_assistant", "sales_manager", username="manager_editor")
    other_manager = make_user("sales_manager", username="manager_other")
    reviewer = make_user("sales_assistant", username="reviewer_zhou")
    product = ProductFactory(list_price=Decimal("100"))
    order = OrderFactory(owner=editor, created_by=assistant)
    OrderLineFactory(order=order, product=product, quantity=Decimal("1"))
    services.order_recalculate_total(order=order)

    client.force_login(editor)
    data = entry_data(order.customer, product, action="draft", owner=assistant.pk)
    data.update({"lines-0-quantity": "2", "lines-0-unit_price": "100", "payment_terms": "net_30"})
    assert client.post(f"/orders/{order.pk}/edit/", data).status_code == 302
    order.refresh_from_db()
    assert order.owner == assistant and order.lines.count() == 2

    services.order_submit(actor=assistant, order=order)
    give_licence(order.customer, reviewer)
    order = services.order_pass_review(actor=reviewer, order=order)
    order.customer.credit_limit = Decimal("1000000")
    order.customer.save()

    page = client.get(f"/orders/{order.pk}/")
    assert not page.context["actions"]["approve"]
    assert client.post(f"/orders/{order.pk}/approve/").status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_APPROVAL
    client.force_login(editor)
    assert order.number not in client.get("/orders/approvals/").content.decode()

    services.order_approve(actor=other_manager, order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


# --- the credit hold --------------------------------------------------------------------------


def test_a_failed_credit_check_keeps_the_hold_and_the_order_waits(client, assistant, manager):
    from datetime import timedelta

    from django.utils import timezone

    order = OrderFactory(
        owner=assistant,
        created_by=assistant,
        status=OrderStatus.PENDING_APPROVAL,
        number="202611-501",
    )
    OrderLineFactory(
        order=order,
        product=ProductFactory(list_price=Decimal("8000")),
        quantity=Decimal("1"),
        unit_price=Decimal("8000"),
    )
    services.order_recalculate_total(order=order)
    order.customer.credit_limit = Decimal("10000")
    order.customer.save()
    today = timezone.localdate()
    PaymentRecord.objects.create(
        customer=order.customer,
        invoice_number="INV-9",
        invoiced_amount=5000,
        invoice_date=today - timedelta(days=40),
        due_date=today - timedelta(days=10),
    )

    client.force_login(manager)
    response = client.post(f"/orders/{order.pk}/approve/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.credit_hold and order.status == OrderStatus.PENDING_APPROVAL
    assert order.approved_by is None and order.confirmed_at is None
    hold = order.events.get()
    assert (hold.kind, hold.action, hold.from_status, hold.to_status) == (
        OrderEventKind.NOTE,
        "credit_hold",
        "",
        "",
    )
    assert hold.actor == manager and hold.note == order.credit_hold_reason
    assert Notification.objects.filter(recipient=assistant, title__contains="202611-501").exists()
    assert not client.get(f"/orders/{order.pk}/").context["actions"]["approve"]

    # Approving again is refused with the hold's message until a manager releases it.
    response = client.post(f"/orders/{order.pk}/approve/")
    assert response.status_code == 409
    with pytest.raises(OrderError) as refused:
        services.order_approve(actor=manager, order=order)
    assert refused.value.code == "credit_hold"
    assert order.events.count() == 1


# --- the importer ---------------------------------------------------------------------------


@pytest.fixture
def data_admin(make_user):
    return make_user("data_admin", username="data_admin_lin")


def test_imported_orders_enter_their_recorded_state_through_the_transition(data_admin):
    catalog()
    headers = [*SHEET_HEADERS, "订单状态"]
    rows = [
        [*sheet_row("202405-001"), "已完成"],
        [*sheet_row("202405-002"), "已取消"],
        [*sheet_row("202405-003"), ""],
    ]
    imports.import_file(io.BytesIO(xlsx_bytes(rows, headers=headers)), "old.xlsx", actor=data_admin)
    got = {
        order.number: (
            order.status,
            list(order.events.values_list("kind", "action", "from_status", "to_status", "payload")),
        )
        for order in Order.objects.all()
    }
    assert got == {
        "202405-001": (
            "completed",
            [("imported", "import", "draft", "completed", {"status": "completed"})],
        ),
        "202405-002": (
            "cancelled",
            [("imported", "import", "draft", "cancelled", {"status": "cancelled"})],
        ),
        "202405-003": (
            "pending_review",
            [("imported", "import", "draft", "pending_review", {"status": "pending_review"})],
        ),
    }
    assert all(e.actor == data_admin and "old.xlsx" in e.note for e in OrderEvent.objects.all())


def test_only_an_importer_writes_imported_orders(make_user):
    catalog()
    assistant = make_user("sales_assistant")
    plan = imports.plan_import(
        imports.read_sheet(io.BytesIO(xlsx_bytes([sheet_row()])), "x.xlsx"), actor=assistant
    )
    assert plan.is_clean
    with pytest.raises(OrderPermissionDenied):
        imports.import_write(plan, actor=assistant, create_missing=False, source_name="x")
    assert not Order.objects.exists() and not OrderEvent.objects.exists()


def test_one_draft_enters_its_recorded_state_as_the_order_import_action(data_admin, assistant):
    order = OrderFactory(owner=assistant, created_by=assistant, number="202403-009")
    with pytest.raises(Forbidden):
        services.order_import_state(actor=assistant, order=order, status="completed")
    services.order_import_state(actor=data_admin, order=order, status="completed", note="旧系统")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    event = order.events.get()
    assert (event.kind, event.from_status, event.to_status, event.note) == (
        "imported",
        "draft",
        "completed",
        "旧系统",
    )
    # Only a draft enters a recorded state: an order with a life of its own does not.
    with pytest.raises(WrongState):
        services.order_import_state(actor=data_admin, order=order, status="cancelled")
