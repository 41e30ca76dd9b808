"""The order's named account manager (chosen at confirmation, followed by the customer-facing
steps), one warehouse notice per event, one preparation check-in per working day, stage
owners from the warehouse only, and the agreed delivery date where logistics works."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actions import perform
from core.calendar import BusinessCalendar
from core.errors import Invalid
from core.models import Notification, SlaClock, SlaKind
from fulfillment import selectors, services
from fulfillment.forms import ProgressEntryForm
from fulfillment.models import AccountManagerSource, AllocationRule, OrderFulfillment, ProgressEntry
from fulfillment.tests.conftest import make_order, put_stock
from orders.models import OrderEvent, OrderKind, OrderStatus

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def am_wang(make_user):
    return make_user("account_manager", username="am_wang", last_name="王", first_name="经理")


@pytest.fixture
def am_zhao(make_user):
    return make_user("account_manager", username="am_zhao", last_name="赵", first_name="经理")


def approve(order, manager):
    perform("order.approve", actor=manager, obj=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    return OrderFulfillment.objects.filter(order=order).first()


def ship_all(order, keeper, shipper, eta_days=3):
    line = order.lines.get()
    services.fulfillment_confirm_stock(
        actor=keeper,
        order=order,
        line_statuses={line.pk: "in_stock"},
        deliverable_date=TODAY() + timedelta(days=5),
    )
    services.preparation_save(
        actor=keeper,
        order=order,
        form_data={"packing": "木箱", "package_count": 1, "qc_result": "passed"},
    )
    services.fulfillment_mark_ready(actor=keeper, order=order)
    return services.shipment_create(
        actor=shipper,
        order=order,
        quantities={line.pk: line.quantity},
        carrier="顺丰速运",
        method="express",
        tracking_number="SF1",
        eta=TODAY() + timedelta(days=eta_days),
    )


class TestAccountManagerAtConfirmation:
    def test_the_customers_own_account_manager_comes_first(
        self, assistant, manager, am_wang, am_zhao, beijing, server_a
    ):
        AllocationRule.objects.filter(warehouse=beijing).update(account_manager=am_zhao)
        order = make_order(
            assistant, server_a, 1, status="pending_approval", customer__account_manager=am_wang
        )
        fulfillment = approve(order, manager)
        assert fulfillment.account_manager == am_wang
        assert fulfillment.account_manager_source == AccountManagerSource.CUSTOMER

    def test_without_one_the_allocation_rule_names_them_and_the_order_says_so(
        self, client, assistant, manager, keeper, am_wang, am_zhao, beijing, server_a
    ):
        rule = AllocationRule.objects.get(warehouse=beijing)
        AllocationRule.objects.filter(pk=rule.pk).update(account_manager=am_zhao)
        order = make_order(assistant, server_a, 1, status="pending_approval")
        fulfillment = approve(order, manager)
        assert fulfillment.account_manager == am_zhao
        assert fulfillment.account_manager_source == AccountManagerSource.RULE
        assert fulfillment.rule == rule
        # The order's timeline and the fulfillment page name the person and the rule.
        note = OrderEvent.objects.get(order=order, action="allocate").note
        assert "赵经理" in note and str(rule) in note
        client.force_login(keeper)
        page = client.get(reverse("fulfillment:order", args=[order.pk])).content.decode()
        shown = page.split('data-testid="account-manager">', 1)[1].split("</dd>", 1)[0]
        assert "赵经理" in shown and str(rule) in shown

    def test_then_the_configured_default_then_the_first_account_manager(
        self, settings, assistant, manager, am_wang, am_zhao, beijing, server_a
    ):
        settings.DEFAULT_ACCOUNT_MANAGER = "am_zhao"
        first = approve(make_order(assistant, server_a, 1, status="pending_approval"), manager)
        assert (first.account_manager, first.account_manager_source) == (
            am_zhao,
            AccountManagerSource.DEFAULT,
        )
        settings.DEFAULT_ACCOUNT_MANAGER = ""
        second = approve(make_order(assistant, server_a, 1, status="pending_approval"), manager)
        assert (second.account_manager, second.account_manager_source) == (
            am_wang,
            AccountManagerSource.DEFAULT,
        )

    def test_the_delivery_notice_goes_to_the_account_manager_not_the_sales_owner(
        self, assistant, manager, keeper, shipper, am_wang, beijing, server_a
    ):
        put_stock(beijing, server_a, 5)
        order = make_order(assistant, server_a, 1, status="pending_approval")
        approve(order, manager)
        shipment = ship_all(order, keeper, shipper)
        notice = SlaClock.objects.for_target(shipment).get(kind=SlaKind.DELIVERY_NOTICE)
        assert notice.owner == am_wang
        risk = SlaClock.objects.for_target(order).get(kind=SlaKind.DELIVERY_RISK)
        assert risk.owner == am_wang
        assert selectors.order_account_manager(order) == am_wang

    def test_the_choice_is_kept_when_the_customer_gets_another_account_manager_later(
        self, assistant, manager, am_wang, am_zhao, beijing, server_a
    ):
        order = make_order(
            assistant, server_a, 1, status="pending_approval", customer__account_manager=am_wang
        )
        approve(order, manager)
        order.customer.account_manager = am_zhao
        order.customer.save(update_fields=["account_manager"])
        assert selectors.order_account_manager(order) == am_wang


class TestOneNoticePerEvent:
    def test_the_warehouse_hears_of_a_confirmation_once(
        self, assistant, manager, keeper, make_user, beijing, server_a
    ):
        other_keeper = make_user("warehouse", username="keeper2")
        order = make_order(assistant, server_a, 1, status="pending_approval")
        approve(order, manager)
        # The warehouse's manager (the responsible person) is told once; nobody twice.
        told = Notification.objects.filter(recipient=keeper)
        assert told.count() == 1 and str(order) in told.get().title
        assert not Notification.objects.filter(recipient=other_keeper).exists()

    def test_without_a_responsible_person_every_warehouse_user_hears_once(
        self, assistant, manager, make_user, server_a
    ):
        keepers = [make_user("warehouse", username=f"wh{i}") for i in range(2)]
        order = make_order(assistant, server_a, 1, status="pending_approval")
        approve(order, manager)
        for keeper in keepers:
            assert Notification.objects.filter(recipient=keeper).count() == 1

    def test_a_service_order_asks_the_warehouse_to_schedule_it_once(
        self, assistant, manager, keeper, server_a
    ):
        order = make_order(assistant, server_a, 1, status="pending_approval", kind="service")
        assert order.kind == OrderKind.SERVICE
        approve(order, manager)
        told = Notification.objects.filter(recipient=keeper)
        assert told.count() == 1 and str(order) in told.get().title

    def test_a_cancellation_tells_the_warehouse_to_stop_once(
        self, assistant, manager, keeper, beijing, server_a
    ):
        order = make_order(assistant, server_a, 1, status="pending_approval")
        approve(order, manager)
        Notification.objects.all().delete()
        perform("order.cancel_request", actor=assistant, obj=order, note="客户取消")
        perform("order.cancel_approve", actor=manager, obj=order)
        assert Notification.objects.filter(recipient=keeper).count() == 1

    def test_a_cancellation_before_confirmation_does_not_reach_the_warehouse(
        self, assistant, manager, keeper, server_a
    ):
        order = make_order(assistant, server_a, 1, status="pending_approval")
        perform("order.cancel_request", actor=assistant, obj=order, note="客户取消")
        perform("order.cancel_approve", actor=manager, obj=order)
        assert not Notification.objects.filter(recipient=keeper).exists()


class TestPreparationCheckIn:
    def test_entries_on_one_day_meet_one_check_in_and_the_next_waits_for_tomorrow(
        self, assistant, keeper, beijing, server_a
    ):
        put_stock(beijing, server_a, 5)
        order = make_order(assistant, server_a, 1)
        services.fulfillment_confirm_stock(
            actor=keeper,
            order=order,
            line_statuses={order.lines.get().pk: "in_stock"},
            deliverable_date=TODAY() + timedelta(days=5),
        )
        for stage in ("picking", "packing", "qc"):
            services.progress_entry_add(
                actor=keeper,
                order=order,
                entry=ProgressEntry(stage=stage, owner=keeper, planned_end=TODAY()),
            )
        clocks = SlaClock.objects.for_target(order).filter(kind=SlaKind.PREPARATION_CHECKIN)
        assert clocks.count() == 2  # today's (met) and the next working day's
        assert clocks.filter(met_at__isnull=False).count() == 1
        waiting = clocks.open().get()
        calendar = BusinessCalendar()
        next_day = calendar.next_working_day(timezone.localtime(timezone.now(), calendar.tz).date())
        assert waiting.started_at == datetime.combine(
            next_day, calendar.day_start, tzinfo=calendar.tz
        )
        assert waiting.due_at == calendar.add_working_days(waiting.started_at, 1)


class TestStageOwner:
    def test_the_owner_list_offers_the_warehouse_people_only(self, keeper, make_user):
        legal = make_user("legal", username="fawu")
        gm = make_user("general_manager", username="zongjingli")
        admin = make_user("data_admin", username="shuju")
        offered = set(ProgressEntryForm().fields["owner"].queryset)
        assert keeper in offered
        assert not offered & {legal, gm, admin}

    def test_a_hand_made_owner_outside_the_warehouse_is_refused(
        self, client, assistant, keeper, make_user, beijing, server_a
    ):
        legal = make_user("legal", username="fawu")
        order = make_order(assistant, server_a, 1)
        services.fulfillment_allocate(order=order)
        client.force_login(keeper)
        response = client.post(
            reverse("fulfillment:add_progress", args=[order.pk]),
            {"stage": "picking", "owner": legal.pk, "planned_end": TODAY().isoformat()},
        )
        assert response.status_code == 400
        assert not ProgressEntry.objects.exists()
        with pytest.raises(Invalid):
            services.progress_entry_add(
                actor=keeper,
                order=order,
                entry=ProgressEntry(stage="picking", owner=legal, planned_end=TODAY()),
            )
        assert not ProgressEntry.objects.exists()


class TestAgreedDateForLogistics:
    def test_logistics_sees_the_date_the_customer_agreed_to(
        self, client, assistant, keeper, shipper, beijing, server_a
    ):
        put_stock(beijing, server_a, 5)
        requested = TODAY() + timedelta(days=3)
        agreed = TODAY() + timedelta(days=12)
        order = make_order(
            assistant, server_a, 1, number="202611-777", requested_delivery_date=requested
        )
        services.fulfillment_allocate(order=order)
        services.fulfillment_confirm_stock(
            actor=keeper,
            order=order,
            line_statuses={order.lines.get().pk: "in_stock"},
            deliverable_date=agreed,
        )
        services.fulfillment_record_answer(actor=assistant, order=order, answer="accepted")
        services.preparation_save(
            actor=keeper,
            order=order,
            form_data={"packing": "木箱", "package_count": 1, "qc_result": "passed"},
        )
        services.fulfillment_mark_ready(actor=keeper, order=order)

        client.force_login(shipper)
        page = client.get(reverse("fulfillment:logistics")).content.decode()
        row = page.split('data-order="202611-777"', 1)[1].split("</tr>", 1)[0]
        cell = row.split('data-testid="delivery-date">', 1)[1].split("</td>", 1)[0]
        assert agreed.isoformat() in cell.split('data-testid="agreed-date">', 1)[1][:12]

        page = client.get(reverse("fulfillment:order", args=[order.pk])).content.decode()
        form = page.split('data-testid="ship-form"', 1)[1].split("</form>", 1)[0]
        said = form.split('data-testid="ship-delivery-date">', 1)[1].split("</p>", 1)[0]
        assert agreed.isoformat() in said.split('data-testid="agreed-date">', 1)[1][:12]
        assert f'value="{agreed.isoformat()}"' in form  # the ETA starts at the agreed date

    def test_without_a_new_date_the_requested_date_is_shown(
        self, client, assistant, shipper, beijing, server_a
    ):
        requested = TODAY() + timedelta(days=3)
        make_order(
            assistant,
            server_a,
            Decimal("1"),
            number="202611-778",
            status="ready_to_ship",
            requested_delivery_date=requested,
        )
        client.force_login(shipper)
        page = client.get(reverse("fulfillment:logistics")).content.decode()
        row = page.split('data-order="202611-778"', 1)[1].split("</tr>", 1)[0]
        assert requested.isoformat() in row and "agreed-date" not in row
