"""Fulfillment pages: permissions (403 on hand-made POSTs), work pages, documents."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actions import allowed
from fulfillment import services
from fulfillment.tests.conftest import make_order, put_stock
from orders.models import Order, OrderEvent, OrderKind, OrderStatus
from tests.pdf import pdf_font_families, pdf_text, pdf_to_png

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def shipped_order(assistant, keeper, shipper, beijing, server_a):
    put_stock(beijing, server_a, 20)
    order = make_order(
        assistant, server_a, 10, number="202611-001", special_requirements="需定制logo"
    )
    services.fulfillment_allocate(order=order)
    services.fulfillment_confirm_stock(
        actor=keeper,
        order=order,
        line_statuses={order.lines.get().pk: "in_stock"},
        deliverable_date=timezone.localdate() + timedelta(days=5),
    )
    from fulfillment.models import ProgressEntry

    services.progress_entry_add(
        actor=keeper,
        order=order,
        entry=ProgressEntry(
            stage="packing", owner=keeper, planned_end=timezone.localdate(), note="已完成包装"
        ),
    )
    services.preparation_save(
        actor=keeper,
        order=order,
        form_data={
            "packing": "木箱加固",
            "package_count": 3,
            "qc_result": "passed",
            "qc_report": "外观、通电测试合格",
        },
    )
    services.fulfillment_mark_ready(actor=keeper, order=order)
    services.shipment_create(
        actor=shipper,
        order=order,
        quantities={order.lines.get().pk: Decimal("6")},
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1234567890",
        eta=timezone.localdate() + timedelta(days=2),
    )
    return order


def test_sales_assistant_cannot_confirm_stock_or_ship_by_hand_made_post(
    client, assistant, keeper, beijing, server_a
):
    put_stock(beijing, server_a, 10)
    order = make_order(assistant, server_a, 1)
    client.force_login(assistant)
    line = order.lines.get()
    response = client.post(
        reverse("fulfillment:confirm_stock", args=[order.pk]),
        {f"line_{line.pk}": "in_stock", "deliverable_date": "2030-01-01"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("fulfillment:ship", args=[order.pk]),
        {
            f"qty_{line.pk}": "1",
            "carrier": "x",
            "method": "express",
            "tracking_number": "1",
            "eta": "2030-01-01",
        },
    )
    assert response.status_code == 403
    response = client.post(reverse("fulfillment:mark_ready", args=[order.pk]))
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_warehouse_cannot_approve_orders(client, keeper, assistant, server_a):
    order = make_order(assistant, server_a, 1, status="pending_approval")
    assert not allowed("order.approve", keeper, order)
    client.force_login(keeper)
    url = reverse("orders:approve", args=[order.pk])
    assert client.post(url, {"note": ""}).status_code == 403
    order.refresh_from_db()
    assert order.status == "pending_approval"


def test_warehouse_confirms_stock_through_the_page(client, assistant, keeper, beijing, server_a):
    put_stock(beijing, server_a, 10)
    order = make_order(assistant, server_a, 3)
    services.fulfillment_allocate(order=order)
    client.force_login(keeper)
    page = client.get(reverse("fulfillment:order", args=[order.pk]))
    assert page.status_code == 200
    assert "confirm-stock" in page.content.decode()
    line = order.lines.get()
    response = client.post(
        reverse("fulfillment:confirm_stock", args=[order.pk]),
        {
            f"line_{line.pk}": "in_stock",
            "deliverable_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PREPARING


def test_refused_confirmation_shows_the_reason_with_409_and_changes_nothing(
    client, assistant, keeper, beijing, server_a
):
    level = put_stock(beijing, server_a, 1)
    order = make_order(assistant, server_a, 3)
    client.force_login(keeper)
    line = order.lines.get()
    response = client.post(
        reverse("fulfillment:confirm_stock", args=[order.pk]),
        {f"line_{line.pk}": "in_stock", "deliverable_date": "2030-01-01"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "服务器A型" in html
    assert reverse("fulfillment:order", args=[order.pk]) in html  # the way back
    order.refresh_from_db()
    level.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and level.reserved == 0


def test_an_invalid_form_is_refused_with_400(client, assistant, keeper, beijing, server_a):
    order = make_order(assistant, server_a, 3)
    client.force_login(keeper)
    response = client.post(reverse("fulfillment:confirm_stock", args=[order.pk]), {})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


@pytest.mark.parametrize("status", ["pending_approval", "archived"])
def test_warehouse_writes_nothing_on_an_order_not_approved_or_archived(
    client, assistant, keeper, beijing, server_a, status
):
    """Warehouse and logistics change only approved orders; an archived one is read-only."""
    order = make_order(assistant, server_a, 1, status="completed")
    # The order's rows are written first: an archived order takes no new line.
    Order.objects.filter(pk=order.pk).update(status=status)
    client.force_login(keeper)
    page = client.get(reverse("fulfillment:order", args=[order.pk]))
    assert 'data-testid="progress-form"' not in page.content.decode()
    response = client.post(
        reverse("fulfillment:add_progress", args=[order.pk]),
        {"stage": "picking", "owner": keeper.pk, "planned_end": "2030-01-01"},
    )
    assert response.status_code == 409
    assert not order.progress_entries.exists()
    assert not OrderEvent.objects.filter(order=order).exists()


def test_warehouse_schedules_a_service_order_instead_of_confirming_stock(
    client, assistant, keeper, server_a
):
    order = make_order(assistant, server_a, 1, kind=OrderKind.SERVICE)
    client.force_login(keeper)
    html = client.get(reverse("fulfillment:order", args=[order.pk])).content.decode()
    assert 'data-testid="schedule-service"' in html
    assert 'data-testid="confirm-stock"' not in html
    line = order.lines.get()
    response = client.post(
        reverse("fulfillment:confirm_stock", args=[order.pk]),
        {f"line_{line.pk}": "in_stock", "deliverable_date": "2030-01-01"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("fulfillment:schedule_service", args=[order.pk]), {"note": "周三上门安装"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SERVICE_SCHEDULED
    event = OrderEvent.objects.get(order=order, action="schedule_service")
    assert (event.from_status, event.to_status, event.note) == (
        "confirmed",
        "service_scheduled",
        "周三上门安装",
    )


@pytest.mark.parametrize(
    "name,role", [("fulfillment:warehouse", "keeper"), ("fulfillment:logistics", "shipper")]
)
def test_work_pages_use_a_constant_number_of_queries(
    client,
    request,
    name,
    role,
    assistant,
    keeper,
    shipper,
    beijing,
    server_a,
    django_assert_max_num_queries,
):
    put_stock(beijing, server_a, 100)
    for status in ("confirmed", "preparing", "ready_to_ship", "shipped"):
        for _ in range(3):
            order = make_order(assistant, server_a, 1, status=status)
            if status == "confirmed":
                services.fulfillment_allocate(order=order)
    client.force_login(request.getfixturevalue(role))
    with django_assert_max_num_queries(25):
        response = client.get(reverse(name))
    assert response.status_code == 200


def test_work_page_sections_show_the_earliest_fifty_and_link_to_the_rest(
    client, keeper, assistant, server_a, monkeypatch
):
    """A section lists the orders due first; the rest are one click away, counted."""
    from fulfillment import selectors

    monkeypatch.setattr(selectors, "SECTION_SIZE", 3)
    today = timezone.localdate()
    for days in (9, 2, 7, 1, 5):
        make_order(
            assistant,
            server_a,
            1,
            status="confirmed",
            requested_delivery_date=today + timedelta(days=days),
        )
    client.force_login(keeper)
    response = client.get(reverse("fulfillment:warehouse"))
    section = response.context["to_confirm"]
    assert section.total == 5
    assert [o.requested_delivery_date - today for o in section.rows] == [
        timedelta(days=1),
        timedelta(days=2),
        timedelta(days=5),
    ]
    html = response.content.decode()
    assert html.count('data-testid="to-confirm-row"') == 3
    assert 'data-testid="section-more"' in html
    assert f"{reverse('orders:list')}?status=confirmed" in html


def test_warehouse_page_is_not_for_sales_assistants(client, assistant):
    client.force_login(assistant)
    assert client.get(reverse("fulfillment:warehouse")).status_code == 403
    assert client.get(reverse("fulfillment:logistics")).status_code == 403


def test_stock_page_and_order_page_render(
    client, shipped_order, keeper, django_assert_max_num_queries
):
    client.force_login(keeper)
    assert client.get(reverse("fulfillment:stock")).status_code == 200
    with django_assert_max_num_queries(30):
        response = client.get(reverse("fulfillment:order", args=[shipped_order.pk]))
    assert response.status_code == 200
    assert "SF1234567890" in response.content.decode()


def test_preparation_form_page_and_pdf(client, shipped_order, keeper):
    client.force_login(keeper)
    page = client.get(reverse("fulfillment:preparation_form", args=[shipped_order.pk]))
    assert page.status_code == 200
    response = client.get(reverse("fulfillment:preparation_form_pdf", args=[shipped_order.pk]))
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    text = pdf_text(pdf)
    # The title in Chinese once the translations are compiled, in English until then.
    assert "发货准备单" in text or "Shipment preparation form" in text
    for expected in ("202611-001", "服务器A型", "木箱加固", "合格", shipped_order.customer.name):
        assert expected in text, expected
    assert pdf_font_families(pdf) == {"notosanscjksc"}
    pdf_to_png(pdf, ARTIFACTS / "fulfillment-preparation-form.png")


def test_delivery_note_page_and_pdf(client, shipped_order, shipper):
    client.force_login(shipper)
    shipment = shipped_order.shipments.get()
    assert client.get(reverse("fulfillment:delivery_note", args=[shipment.pk])).status_code == 200
    response = client.get(reverse("fulfillment:delivery_note_pdf", args=[shipment.pk]))
    pdf = response.content
    text = pdf_text(pdf)
    assert "发货单" in text or "Delivery note" in text
    for expected in ("202611-001-1", "顺丰速运", "SF1234567890", "服务器A型", "北京仓"):
        assert expected in text, expected
    assert pdf_font_families(pdf) == {"notosanscjksc"}
    pdf_to_png(pdf, ARTIFACTS / "fulfillment-delivery-note.png")
