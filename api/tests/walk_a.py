"""Walk A (the acceptance walks, "A large order, start to finish") from confirmation to
completion, through the apps' services — the same actions the pages run.

10 × 服务器A型 (S-001) at 5,000.00 CNY = 50,000.00 CNY, "deposit 30 %, balance on
delivery", to be produced; shipped in one shipment; accepted with one damaged carton,
which after-sales replaces (one carton); the follow-up visit completes the order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aftersales import services as aftersales
from aftersales.models import LineResult
from customer_portal.models import CustomerPortalSettings
from fulfillment import services as fulfillment
from fulfillment.models import AllocationRule, ProgressEntry, Warehouse
from orders.models import Order
from orders.services.orders import order_recalculate_total
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, UserFactory


def people() -> dict[str, Any]:
    return {
        "li": UserFactory(username="li", roles=["sales_assistant"]),
        "keeper": UserFactory(username="keeper", roles=["warehouse"]),
        "shipper": UserFactory(username="shipper", roles=["logistics"]),
        "am": UserFactory(username="sun", roles=["account_manager"]),
        "as": UserFactory(username="wu", roles=["aftersales"]),
        "boss": UserFactory(username="boss", roles=["sales_manager"]),
        "admin": UserFactory(username="zheng", roles=["data_admin"]),
    }


def confirmed_order(team: dict[str, Any]) -> Order:
    """The walk's order as the director's approval leaves it: confirmed and allocated."""
    # The walk is not about the customer's online confirmation: production does not wait.
    CustomerPortalSettings.objects.update_or_create(pk=1, defaults={"confirmation_required": False})
    warehouse = Warehouse.objects.create(
        code="BJ", name="北京仓", city="北京", manager=team["keeper"]
    )
    AllocationRule.objects.create(region="", warehouse=warehouse, priority=10)
    today = timezone.localdate()
    order = OrderFactory(
        status="confirmed",
        number=f"{today:%Y%m}-001",
        owner=team["li"],
        created_by=team["li"],
        customer__name="新客户科技有限公司",
        customer__account_manager=team["am"],
        contact_name="李先生",
        payment_terms="deposit_30",
        requested_delivery_date=today + timedelta(days=15),
        special_requirements="定制logo",
    )
    server = ProductFactory(
        code="S-001", name="服务器A型", spec="S-001", list_price=Decimal("5000")
    )
    OrderLineFactory(
        order=order, product=server, quantity=Decimal("10"), unit_price=Decimal("5000")
    )
    order_recalculate_total(order=order)
    fulfillment.fulfillment_allocate(order=order)
    order.refresh_from_db()
    return order


def produce_and_ship(
    order: Order, team: dict[str, Any], *, before_ship: Callable[[], None] | None = None
) -> None:
    keeper, today = team["keeper"], timezone.localdate()
    line = order.lines.get()
    fulfillment.fulfillment_confirm_stock(
        actor=keeper,
        order=order,
        line_statuses={line.pk: "to_produce"},
        deliverable_date=today + timedelta(days=20),
    )
    fulfillment.progress_entry_add(
        actor=keeper,
        order=order,
        entry=ProgressEntry(
            stage="production", owner=keeper, planned_end=today + timedelta(days=5)
        ),
    )
    fulfillment.preparation_save(
        actor=keeper,
        order=order,
        form_data={
            "packing": "木箱",
            "package_count": 10,
            "qc_result": "passed",
            "qc_report": "合格",
        },
    )
    fulfillment.fulfillment_mark_ready(actor=keeper, order=order)
    if before_ship is not None:
        before_ship()
    fulfillment.shipment_create(
        actor=team["shipper"],
        order=order,
        quantities={line.pk: Decimal("10")},
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1000",
        eta=today + timedelta(days=2),
    )
    fulfillment.fulfillment_record_delivery(actor=team["shipper"], order=order)


def accept_replace_complete(order: Order, team: dict[str, Any], receipt: Any) -> None:
    """Acceptance with one damaged carton → ticket → one carton replaced → resolved, rated 4
    → follow-up visit with 5: the order completes (and its statement is issued)."""
    today = timezone.localdate()
    line = order.lines.get()
    aftersales.acceptance_record(
        actor=team["am"],
        order=order,
        signer="李先生",
        signed_on=today,
        receipt=receipt,
        lines=[
            aftersales.LineInput(
                line.pk,
                LineResult.EXCEPTIONS,
                Decimal("10"),
                issue_type="damaged_packaging",
                description="一个外箱破损",
            )
        ],
    )
    ticket = order.aftersales_tickets.get()
    aftersales.ticket_respond(
        actor=team["as"],
        ticket=ticket,
        text="安排换货",
        kind="replacement",
        replacement_line=line,
        replacement_quantity=Decimal("1"),
        replacement_item="外箱",
    )
    replacement = ticket.replacements.get(status="planned")
    aftersales.replacement_ship(
        actor=team["shipper"],
        replacement=replacement,
        carrier="顺丰速运",
        tracking_number="SF2000",
        eta=today + timedelta(days=2),
    )
    aftersales.replacement_arrive(
        actor=team["am"], replacement=replacement, received_on=today, received_by="李先生"
    )
    aftersales.ticket_resolve(actor=team["as"], ticket=ticket, resolution="已更换外箱")
    aftersales.ticket_rate(actor=team["am"], ticket=ticket, rating=4, comment="处理及时")
    aftersales.visit_log(
        actor=team["am"], order=order, method="phone", person="李先生", satisfaction=5
    )
    order.refresh_from_db()
