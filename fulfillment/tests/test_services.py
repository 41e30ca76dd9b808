"""Fulfillment services: allocation, stock confirmation, negotiation, progress, QC,
partial shipments, cancellation, purchase alerts and the delivery deadlines."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.utils import timezone

from core.actions import perform
from core.errors import Forbidden, Invalid, WrongState
from core.models import Notification, OutboxMessage, SlaClock, SlaKind
from core.outbox import outbox_deliver
from core.services import sla_clocks_scan
from fulfillment import services
from fulfillment.exceptions import FulfillmentError, NotEnoughStock
from fulfillment.models import (
    FulfillmentLine,
    OrderFulfillment,
    ProgressEntry,
    PurchaseAlert,
    StockMovement,
)
from fulfillment.tests.conftest import ledger_matches, make_order, put_stock
from orders.models import OrderEvent, OrderStatus
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def confirm(order, keeper, status="in_stock", days=10):
    return services.fulfillment_confirm_stock(
        actor=keeper,
        order=order,
        line_statuses={line.pk: status for line in order.lines.all()},
        deliverable_date=TODAY() + timedelta(days=days),
    )


def prepare(order, keeper):
    services.preparation_save(
        actor=keeper,
        order=order,
        form_data={
            "packing": "木箱",
            "package_count": 2,
            "qc_result": "passed",
            "qc_report": "合格",
        },
    )
    return services.fulfillment_mark_ready(actor=keeper, order=order)


def ship(order, shipper, quantity, eta_days=3):
    line = order.lines.get()
    return services.shipment_create(
        actor=shipper,
        order=order,
        quantities={line.pk: Decimal(quantity)},
        carrier="顺丰速运",
        method="express",
        tracking_number=f"SF{quantity}",
        eta=TODAY() + timedelta(days=eta_days),
    )


class TestAllocation:
    def test_the_final_approval_allocates_by_region_and_reserves_stock(
        self, assistant, manager, make_user, beijing, shanghai, server_a
    ):
        """50,000 CNY: the manager's approval sends it to the director (no stock yet);
        the director's confirms it and reserves the stock in the same transaction."""
        director = make_user("sales_director", username="director")
        level = put_stock(beijing, server_a, 20)
        order = make_order(assistant, server_a, 10, status="pending_approval")
        perform("order.approve", actor=manager, obj=order)
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING_DIRECTOR
        assert not OrderFulfillment.objects.filter(order=order).exists()
        perform("order.director_approve", actor=director, obj=order)
        order.refresh_from_db()
        assert order.status == OrderStatus.CONFIRMED
        fulfillment = OrderFulfillment.objects.get(order=order)
        assert OrderEvent.objects.filter(order=order, action="allocate").count() == 1
        assert fulfillment.warehouse == beijing
        assert fulfillment.lines.get().reserved == Decimal("10")
        level.refresh_from_db()
        assert level.available == Decimal("10")
        assert ledger_matches(level)

    def test_region_without_rule_falls_back_to_the_any_region_rule(
        self, assistant, beijing, shanghai, server_a
    ):
        order = make_order(assistant, server_a, 1, region="south")
        fulfillment = services.fulfillment_allocate(order=order)
        assert fulfillment.warehouse == shanghai

    def test_allocation_is_idempotent(self, assistant, beijing, server_a):
        put_stock(beijing, server_a, 5)
        order = make_order(assistant, server_a, 2)
        first = services.fulfillment_allocate(order=order)
        second = services.fulfillment_allocate(order=order)
        assert first.pk == second.pk
        assert StockMovement.objects.filter(kind="reservation").count() == 1

    def test_short_stock_leaves_the_line_unreserved(self, assistant, beijing, server_a):
        put_stock(beijing, server_a, 3)
        order = make_order(assistant, server_a, 10)
        fulfillment = services.fulfillment_allocate(order=order)
        assert fulfillment.lines.get().reserved == 0

    def test_warehouse_can_change_the_warehouse(
        self, assistant, keeper, beijing, shanghai, server_a
    ):
        bj = put_stock(beijing, server_a, 5)
        sh = put_stock(shanghai, server_a, 5)
        order = make_order(assistant, server_a, 2)
        services.fulfillment_allocate(order=order)
        services.fulfillment_change_warehouse(actor=keeper, order=order, warehouse=shanghai)
        bj.refresh_from_db()
        sh.refresh_from_db()
        assert (bj.reserved, sh.reserved) == (0, 2)
        assert ledger_matches(bj) and ledger_matches(sh)


class TestStockConfirmation:
    def test_in_stock_confirmation_reserves_and_starts_preparation(
        self, assistant, keeper, beijing, server_a
    ):
        level = put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 4)
        fulfillment = confirm(order, keeper)
        order.refresh_from_db()
        assert order.status == OrderStatus.PREPARING
        assert fulfillment.stock_status == "in_stock"
        assert not fulfillment.needs_negotiation
        level.refresh_from_db()
        assert level.reserved == 4
        assert (
            SlaClock.objects.open()
            .for_target(order)
            .filter(kind=SlaKind.PREPARATION_CHECKIN)
            .exists()
        )

    def test_not_enough_stock_is_refused_with_a_message_and_nothing_changes(
        self, assistant, keeper, beijing, server_a
    ):
        level = put_stock(beijing, server_a, 3)
        order = make_order(assistant, server_a, 4)
        with pytest.raises(NotEnoughStock) as exc:
            confirm(order, keeper)
        assert "3" in str(exc.value.message) and "4" in str(exc.value.message)
        order.refresh_from_db()
        assert order.status == OrderStatus.CONFIRMED
        level.refresh_from_db()
        assert level.reserved == 0

    def test_later_deliverable_date_flags_negotiation_and_tells_the_owner(
        self, assistant, keeper, beijing, server_a
    ):
        order = make_order(assistant, server_a, 10)  # requested in 14 days
        fulfillment = confirm(order, keeper, status="to_produce", days=30)
        assert fulfillment.needs_negotiation
        assert Notification.objects.filter(recipient=assistant, title__contains=str(order)).exists()

    def test_customer_accepts_later_date_which_becomes_the_promised_date(
        self, assistant, keeper, manager, beijing, server_a
    ):
        order = make_order(assistant, server_a, 10)
        services.fulfillment_allocate(order=order)
        fulfillment = confirm(order, keeper, status="to_produce", days=30)
        services.fulfillment_record_answer(
            actor=assistant, order=order, answer="accepted", note="李先生同意"
        )
        fulfillment.refresh_from_db()
        assert fulfillment.promised_date == fulfillment.deliverable_date
        clock = SlaClock.objects.open().for_target(order).get(kind=SlaKind.DELIVERY_RISK)
        assert timezone.localtime(clock.due_at).date() == fulfillment.deliverable_date

    def test_only_the_owner_or_a_manager_records_the_answer(
        self, assistant, keeper, make_user, beijing, server_a
    ):
        order = make_order(assistant, server_a, 10)
        confirm(order, keeper, status="to_produce", days=30)
        with pytest.raises(Forbidden):
            services.fulfillment_record_answer(actor=keeper, order=order, answer="accepted")

    def test_sales_assistant_cannot_confirm_stock(self, assistant, beijing, server_a):
        put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 1)
        with pytest.raises(Forbidden):
            confirm(order, assistant)
        assert StockMovement.objects.filter(kind="reservation").count() == 0

    def test_every_line_needs_a_status_and_a_date(self, assistant, keeper, beijing, server_a):
        order = make_order(assistant, server_a, 1)
        with pytest.raises(Invalid):
            services.fulfillment_confirm_stock(
                actor=keeper, order=order, line_statuses={}, deliverable_date=TODAY()
            )
        with pytest.raises(Invalid):
            services.fulfillment_confirm_stock(
                actor=keeper,
                order=order,
                line_statuses={order.lines.get().pk: "in_stock"},
                deliverable_date=None,
            )


class TestProgressAndQc:
    def test_progress_entry_meets_the_check_in_and_starts_the_next(
        self, assistant, keeper, beijing, server_a
    ):
        put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 2)
        confirm(order, keeper)
        first = SlaClock.objects.open().for_target(order).get(kind=SlaKind.PREPARATION_CHECKIN)
        services.progress_entry_add(
            actor=keeper,
            order=order,
            entry=ProgressEntry(
                stage="picking", owner=keeper, planned_end=TODAY() + timedelta(days=1)
            ),
        )
        first.refresh_from_db()
        assert first.met_at is not None
        assert (
            SlaClock.objects.open()
            .for_target(order)
            .filter(kind=SlaKind.PREPARATION_CHECKIN)
            .exists()
        )

    def test_stage_planned_after_the_promised_date_is_a_delay_risk_for_the_manager(
        self, assistant, keeper, manager, beijing, server_a
    ):
        order = make_order(assistant, server_a, 2)
        services.fulfillment_allocate(order=order)
        confirm(order, keeper, status="to_produce", days=10)
        entry = services.progress_entry_add(
            actor=keeper,
            order=order,
            entry=ProgressEntry(
                stage="production", owner=keeper, planned_end=TODAY() + timedelta(days=20)
            ),
        )
        entry.refresh_from_db()
        assert entry.risk_notified_at is not None
        assert Notification.objects.filter(
            recipient=manager, title__contains="production"
        ).exists() or (
            Notification.objects.filter(recipient=manager, title__contains=str(order)).exists()
        )

    def test_a_stage_running_late_is_reported_once_by_the_scan(
        self, assistant, keeper, manager, beijing, server_a
    ):
        order = make_order(assistant, server_a, 2)
        confirm(order, keeper, status="to_produce", days=10)
        ProgressEntry.objects.create(
            order=order, stage="production", owner=keeper, recorded_by=keeper, planned_end=TODAY()
        )
        assert services.progress_delays_scan(today=TODAY() + timedelta(days=1)) == 1
        assert services.progress_delays_scan(today=TODAY() + timedelta(days=2)) == 0
        assert Notification.objects.filter(recipient=manager).count() == 1

    def test_ready_needs_a_passed_qc(self, assistant, keeper, beijing, server_a):
        put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 2)
        confirm(order, keeper)
        with pytest.raises(FulfillmentError):
            services.fulfillment_mark_ready(actor=keeper, order=order)
        services.preparation_save(
            actor=keeper,
            order=order,
            form_data={"packing": "纸箱", "package_count": 1, "qc_result": "failed"},
        )
        with pytest.raises(FulfillmentError):
            services.fulfillment_mark_ready(actor=keeper, order=order)
        prepare(order, keeper)
        order.refresh_from_db()
        assert order.status == OrderStatus.READY_TO_SHIP
        assert order.shipment_preparation.qc_inspector == keeper


class TestShipments:
    def test_partial_shipments_six_then_four_then_five_more_is_refused(
        self, assistant, keeper, shipper, beijing, server_a
    ):
        level = put_stock(beijing, server_a, 12)
        order = make_order(assistant, server_a, 10)
        confirm(order, keeper)
        prepare(order, keeper)
        ship(order, shipper, 6)
        order.refresh_from_db()
        assert order.status == OrderStatus.READY_TO_SHIP
        with pytest.raises(FulfillmentError) as exc:
            ship(order, shipper, 5)
        assert exc.value.code == "too_much"
        ship(order, shipper, 4)
        order.refresh_from_db()
        assert order.status == OrderStatus.SHIPPED
        with pytest.raises(WrongState):  # shipped: nothing is left to ship
            ship(order, shipper, 5)
        fline = FulfillmentLine.objects.get(order_line__order=order)
        assert (fline.shipped, fline.reserved) == (10, 0)
        level.refresh_from_db()
        assert (level.on_hand, level.reserved) == (2, 0)
        assert ledger_matches(level)
        assert order.shipments.count() == 2

    def test_produced_goods_are_booked_in_when_ready(
        self, assistant, keeper, shipper, beijing, server_a
    ):
        order = make_order(assistant, server_a, 10)
        services.fulfillment_allocate(order=order)
        confirm(order, keeper, status="to_produce")
        prepare(order, keeper)
        ship(order, shipper, 10)
        level = beijing.stock.get(product=server_a)
        assert (level.on_hand, level.reserved) == (0, 0)
        assert ledger_matches(level)

    def test_warehouse_and_assistant_cannot_ship(self, assistant, keeper, beijing, server_a):
        put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 1)
        confirm(order, keeper)
        prepare(order, keeper)
        for user in (keeper, assistant):
            with pytest.raises(Forbidden):
                ship(order, user, 1)

    def test_full_shipment_meets_the_delivery_risk_clocks(
        self, assistant, keeper, shipper, manager, beijing, server_a
    ):
        put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 1)
        services.fulfillment_allocate(order=order)
        fulfillment = OrderFulfillment.objects.get(order=order)
        assert SlaClock.objects.open().for_target(order).filter(kind=SlaKind.DELIVERY_RISK).exists()
        assert (
            SlaClock.objects.open()
            .for_target(fulfillment)
            .filter(kind=SlaKind.DELIVERY_RISK)
            .exists()
        )
        confirm(order, keeper)
        prepare(order, keeper)
        ship(order, shipper, 1)
        assert not SlaClock.objects.open().filter(kind=SlaKind.DELIVERY_RISK).exists()


class TestDeliveryDeadlines:
    def test_delivery_risk_warns_account_manager_and_manager_48_hours_before_once(
        self, assistant, manager, beijing, server_a
    ):
        order = make_order(
            assistant, server_a, 1, requested_delivery_date=TODAY() + timedelta(days=5)
        )
        services.fulfillment_allocate(order=order)
        promised_end = timezone.make_aware(
            timezone.datetime.combine(TODAY() + timedelta(days=5), services.DELIVERY_RISK_TIME)
        )
        assert sla_clocks_scan(now=promised_end - timedelta(hours=49)).warned == 0
        result = sla_clocks_scan(now=promised_end - timedelta(hours=47))
        assert result.warned == 2
        assert sla_clocks_scan(now=promised_end - timedelta(hours=46)).warned == 0
        warned = set(
            Notification.objects.filter(verb="clock_warning").values_list(
                "recipient__username", flat=True
            )
        )
        assert warned == {assistant.username, manager.username}

    def test_delivery_notice_the_day_before_eta_to_account_manager_and_customer_once(
        self, assistant, keeper, shipper, make_user, beijing, server_a
    ):
        account_manager = make_user("account_manager", username="am")
        put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 2, contact_name="李先生")
        order.customer.account_manager = account_manager
        order.customer.save()
        ContactFactory(customer=order.customer, name="李先生", email="li@customer.example")
        confirm(order, keeper)
        prepare(order, keeper)
        shipment = ship(order, shipper, 2, eta_days=4)
        eta_morning = timezone.make_aware(
            timezone.datetime.combine(shipment.eta, services.DELIVERY_NOTICE_TIME)
        )
        mail.outbox.clear()
        sla_clocks_scan(now=eta_morning - timedelta(days=1, hours=1))
        assert services.delivery_notices_send() == 0
        sla_clocks_scan(now=eta_morning - timedelta(hours=23))
        assert services.delivery_notices_send() == 1
        assert services.delivery_notices_send() == 0
        # Decided in the scan's transaction, sent by the outbox after it.
        notice = OutboxMessage.objects.get(key=services.delivery_notice_key(shipment))
        assert notice.sent_at is None and mail.outbox == []
        assert outbox_deliver() == 1
        assert outbox_deliver() == 0
        notices = Notification.objects.filter(recipient=account_manager, verb="clock_warning")
        assert notices.count() == 1
        assert [m.to for m in mail.outbox if "li@customer.example" in m.to] == [
            ["li@customer.example"]
        ]
        notice.refresh_from_db()
        assert notice.sent_at is not None
        shipment.refresh_from_db()
        assert shipment.customer_notified_to == "li@customer.example"
        sla_clocks_scan(now=eta_morning + timedelta(hours=2))
        assert notices.count() == 1
        assert not Notification.objects.filter(verb="clock_breached").exists()


class TestCancellationAndAlerts:
    def test_cancellation_releases_the_reservation_and_stops_the_warehouse(
        self, assistant, keeper, manager, beijing, server_a
    ):
        level = put_stock(beijing, server_a, 10)
        order = make_order(assistant, server_a, 4)
        services.fulfillment_allocate(order=order)
        level.refresh_from_db()
        assert level.available == 6
        perform("order.cancel_request", actor=assistant, obj=order, note="客户取消")
        perform("order.cancel_approve", actor=manager, obj=order)
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        level.refresh_from_db()
        assert level.available == 10
        assert ledger_matches(level)
        fulfillment = OrderFulfillment.objects.get(order=order)
        assert fulfillment.is_stopped and fulfillment.stop_reason == "客户取消"
        # From fulfillment to the warehouse: "confirm stock", then "stop preparing".
        told = Notification.objects.filter(
            recipient=keeper,
            content_type=ContentType.objects.get_for_model(OrderFulfillment),
            object_id=fulfillment.pk,
        )
        assert told.count() == 2
        assert OrderEvent.objects.filter(order=order, action="preparation_stopped").exists()
        assert not SlaClock.objects.open().filter(kind=SlaKind.DELIVERY_RISK).exists()

    def test_purchase_alert_is_raised_and_notified_once(self, assistant, keeper, beijing, server_a):
        level = put_stock(beijing, server_a, 10, safety=5)
        for _ in range(3):
            services.fulfillment_allocate(order=make_order(assistant, server_a, 2))
        level.refresh_from_db()
        assert level.available == 4
        assert PurchaseAlert.objects.filter(stock=level, resolved_at__isnull=True).count() == 1
        alerts = Notification.objects.filter(recipient=keeper, title__contains="服务器A型")
        assert alerts.count() == 1
        services.stock_receive(
            actor=keeper,
            warehouse=beijing,
            product=server_a,
            quantity=Decimal("10"),
            reason="采购到货",
        )
        assert not PurchaseAlert.objects.filter(resolved_at__isnull=True).exists()

    def test_stock_never_goes_below_what_is_reserved(self, assistant, keeper, beijing, server_a):
        level = put_stock(beijing, server_a, 5)
        services.fulfillment_allocate(order=make_order(assistant, server_a, 4))
        level.refresh_from_db()
        with pytest.raises(NotEnoughStock):
            services.stock_adjust(
                actor=keeper, stock=level, on_hand_delta=Decimal("-2"), reason="盘亏"
            )
        services.stock_adjust(actor=keeper, stock=level, on_hand_delta=Decimal("-1"), reason="盘亏")
        assert ledger_matches(level)
