"""The order list: status tabs with counts, filters, search, sort, pages, masked totals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core.models import SlaClock
from orders.models import Order, OrderKind, OrderLine, OrderStatus, SourceChannel, Urgency
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = reverse("orders:list")


def _numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [order.number for order in response.context["orders"]]


def _tab_counts(response) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {tab["code"] or "all": tab["count"] for tab in response.context["tabs"]}


@pytest.fixture
def viewer(role_client):  # type: ignore[no-untyped-def]
    return role_client("sales_manager")


def _bulk_orders(count: int, *, owner, customer=None, status=OrderStatus.PENDING_REVIEW) -> None:  # type: ignore[no-untyped-def]
    """``count`` orders with one line each, in three queries (bulk_create, not factories)."""
    customer = customer or CustomerFactory()
    product = ProductFactory()
    today = timezone.localdate()
    orders = Order.objects.bulk_create(
        Order(
            number=f"209912-{n:04d}",
            status=status,
            customer=customer,
            owner=owner,
            created_by=owner,
            contact_name="王经理",
            order_date=today,
            total_amount=Decimal("1000.00"),
        )
        for n in range(1, count + 1)
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product, quantity=1, unit_price=Decimal("1000.00"))
        for order in orders
    )


class TestAccess:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(URL)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    @pytest.mark.parametrize("role", ["sales_assistant", "warehouse", "logistics", "legal"])
    def test_every_role_may_see_the_list(self, role_client, role):
        assert role_client(role).get(URL).status_code == 200

    def test_assistants_get_a_new_order_button(self, role_client):
        html = role_client("sales_assistant").get(URL).content.decode()
        assert reverse("orders:create") in html

    def test_warehouse_gets_no_new_order_button(self, role_client):
        html = role_client("warehouse").get(URL).content.decode()
        assert reverse("orders:create") not in html


class TestTabs:
    def test_tabs_count_the_orders_of_each_status(self, viewer):
        for status, n in (
            (OrderStatus.DRAFT, 2),
            (OrderStatus.PENDING_REVIEW, 3),
            (OrderStatus.NEEDS_INFO, 1),
        ):
            OrderFactory.create_batch(n, status=status)
        counts = _tab_counts(viewer.get(URL))
        assert counts["all"] == 6
        assert counts[OrderStatus.DRAFT] == 2
        assert counts[OrderStatus.PENDING_REVIEW] == 3
        assert counts[OrderStatus.NEEDS_INFO] == 1
        assert counts[OrderStatus.PENDING_APPROVAL] == 0
        assert counts[OrderStatus.REJECTED] == 0

    def test_a_tab_lists_only_its_status(self, viewer):
        OrderFactory(status=OrderStatus.DRAFT, number=None)
        OrderFactory(status=OrderStatus.NEEDS_INFO, number="202611-007")
        response = viewer.get(URL, {"status": OrderStatus.NEEDS_INFO})
        assert _numbers(response) == ["202611-007"]
        assert response.context["page_obj"].paginator.count == 1

    def test_tab_counts_follow_the_filters(self, viewer):
        mine = CustomerFactory(name="华东电气集团")
        OrderFactory(customer=mine, status=OrderStatus.PENDING_REVIEW)
        OrderFactory(status=OrderStatus.PENDING_REVIEW)
        OrderFactory(status=OrderStatus.DRAFT)
        counts = _tab_counts(viewer.get(URL, {"customer": mine.pk}))
        assert counts["all"] == 1
        assert counts[OrderStatus.PENDING_REVIEW] == 1
        assert counts[OrderStatus.DRAFT] == 0

    def test_an_unknown_status_shows_all_orders(self, viewer):
        OrderFactory.create_batch(2)
        assert len(viewer.get(URL, {"status": "bogus"}).context["orders"]) == 2


class TestCounterTable:
    """The unfiltered tabs read the trigger-kept counters instead of counting every order."""

    def test_the_unfiltered_list_does_not_count_the_orders_table(self, viewer):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        OrderFactory.create_batch(3, status=OrderStatus.DRAFT)
        with CaptureQueriesContext(connection) as ctx:
            counts = _tab_counts(viewer.get(URL))
        assert (counts["all"], counts[OrderStatus.DRAFT]) == (3, 3)
        grouped = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
        assert grouped and all("orders_orderstatuscount" in sql for sql in grouped)

    def test_a_new_order_and_a_status_change_show_at_once(self, viewer, make_user):
        from orders.services import orders as services

        assistant = make_user("sales_assistant")
        OrderFactory.create_batch(2, status=OrderStatus.PENDING_REVIEW)
        assert _tab_counts(viewer.get(URL))["all"] == 2
        order = OrderFactory(status=OrderStatus.DRAFT, owner=assistant, created_by=assistant)
        OrderLineFactory(order=order)
        counts = _tab_counts(viewer.get(URL))
        assert (counts["all"], counts[OrderStatus.DRAFT]) == (3, 1)
        services.order_submit(actor=assistant, order=order)
        counts = _tab_counts(viewer.get(URL))
        assert (counts[OrderStatus.DRAFT], counts[OrderStatus.PENDING_REVIEW]) == (0, 3)


def _searchable_orders() -> dict[str, Order]:
    """Two orders to search: by number, customer, contact and product name or code."""
    lathe = ProductFactory(name="数控车床", code="CK-6140")
    pump = ProductFactory(name="离心泵", code="PX-200")
    a = OrderFactory(
        number="202611-001",
        customer=CustomerFactory(name="上海远航机械"),
        contact_name="王建国",
    )
    b = OrderFactory(
        number="202611-002", customer=CustomerFactory(name="广州华南泵业"), contact_name="陈丽"
    )
    OrderLineFactory(order=a, product=lathe)
    OrderLineFactory(order=a, product=lathe, spec="加长型")
    OrderLineFactory(order=b, product=pump)
    return {"a": a, "b": b}


# Terms and the orders of _searchable_orders() they find, newest first.
SEARCH_CASES = [
    ("202611-002", ["202611-002"]),
    ("远航", ["202611-001"]),
    ("陈丽", ["202611-002"]),
    ("离心泵", ["202611-002"]),
    ("ck-6140", ["202611-001"]),
    ("202611", ["202611-002", "202611-001"]),
]


class TestSearch:
    @pytest.fixture
    def orders(self) -> dict[str, Order]:
        return _searchable_orders()

    @pytest.mark.parametrize(("q", "expected"), [*SEARCH_CASES, ("无此订单", [])])
    def test_one_box_searches_number_customer_contact_and_product(
        self, viewer, orders, q, expected
    ):
        assert _numbers(viewer.get(URL, {"q": q})) == expected

    def test_the_search_is_one_union_of_indexed_lookups(self, viewer, orders):
        """No OR across joined tables: each part can use its own trigram index."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            viewer.get(URL, {"q": "远航"})
        # The page of rows (the broadness probe before it is a UNION ALL with its own LIMIT).
        rows = [
            q["sql"]
            for q in ctx.captured_queries
            if "LIMIT" in q["sql"] and "UNION" in q["sql"] and "UNION ALL" not in q["sql"]
        ]
        assert len(rows) == 1
        assert " OR " not in rows[0].split("UNION")[0]

    def test_an_order_with_two_matching_lines_is_listed_once(self, viewer, orders):
        response = viewer.get(URL, {"q": "数控车床"})
        assert _numbers(response) == ["202611-001"]
        assert _tab_counts(response)["all"] == 1


class TestBroadSearch:
    """A term matching more than SEARCH_COUNT_LIMIT orders: newest first, no tab counts."""

    @pytest.fixture
    def limit(self, monkeypatch):  # type: ignore[no-untyped-def]
        from orders import selectors

        def set_limit(value: int) -> None:
            monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", value)

        return set_limit

    @pytest.mark.parametrize(("q", "expected"), [*SEARCH_CASES, ("数控车床", ["202611-001"])])
    def test_the_broad_shape_finds_the_same_orders(self, viewer, limit, q, expected):
        _searchable_orders()
        limit(1)  # every term that matches anything counts as broad
        response = viewer.get(URL, {"q": q})
        assert response.context["broad_search"]
        assert _numbers(response) == expected

    def test_no_counts_a_notice_and_previous_next_pages(self, viewer, limit):
        _bulk_orders(30, owner=viewer.user, customer=CustomerFactory(name="北京华宇机电"))
        OrderFactory(number="202611-999", customer=CustomerFactory(name="上海远航"))
        limit(25)
        first = viewer.get(URL, {"q": "北京"})
        html = first.content.decode()
        assert first.context["broad_search"]
        assert all(tab["count"] is None for tab in first.context["tabs"])
        assert 'data-testid="broad-search"' in html and "data-count" not in html
        assert len(first.context["orders"]) == 20 and "page=2" in html
        second = viewer.get(URL, {"q": "北京", "page": 2})
        assert len(second.context["orders"]) == 10
        assert "page=3" not in second.content.decode()
        assert "202611-999" not in _numbers(first) + _numbers(second)

    def test_a_narrow_term_keeps_its_counts(self, viewer, limit):
        _bulk_orders(3, owner=viewer.user, customer=CustomerFactory(name="北京华宇机电"))
        limit(25)
        response = viewer.get(URL, {"q": "北京"})
        assert not response.context["broad_search"]
        assert _tab_counts(response)["all"] == 3


class TestFilters:
    def test_it_filters_by_owner(self, viewer, make_user):
        owner = make_user("sales_assistant")
        OrderFactory(owner=owner, number="202611-011")
        OrderFactory(number="202611-012")
        assert _numbers(viewer.get(URL, {"owner": owner.pk})) == ["202611-011"]

    def test_it_filters_by_source_channel(self, viewer):
        OrderFactory(source_channel=SourceChannel.TRADE_SHOW, number="202611-021")
        OrderFactory(source_channel=SourceChannel.PHONE, number="202611-022")
        assert _numbers(viewer.get(URL, {"source_channel": "trade_show"})) == ["202611-021"]

    def test_it_filters_by_order_date_range(self, viewer):
        for day, number in ((1, "202611-031"), (10, "202611-032"), (20, "202611-033")):
            OrderFactory(
                order_date=date(2026, 11, day),
                requested_delivery_date=date(2026, 12, 30),
                number=number,
            )
        response = viewer.get(URL, {"date_from": "2026-11-05", "date_to": "2026-11-20"})
        assert sorted(_numbers(response)) == ["202611-032", "202611-033"]

    def test_overdue_shows_only_orders_with_an_open_clock_past_due(self, viewer, make_user):
        late, met, not_yet, _without_clock = (
            OrderFactory(number=f"202611-04{n}") for n in range(4)
        )
        owner = make_user("sales_assistant")
        order_type = ContentType.objects.get_for_model(Order)
        now = timezone.now()

        def clock(order: Order, due_in: timedelta, **extra) -> None:  # type: ignore[no-untyped-def]
            SlaClock.objects.create(
                content_type=order_type,
                object_id=order.pk,
                kind="clarification",
                owner=owner,
                started_at=now - timedelta(days=1),
                due_at=now + due_in,
                **extra,
            )

        clock(late, -timedelta(hours=1))
        clock(met, -timedelta(hours=1), met_at=now - timedelta(hours=2))
        clock(not_yet, timedelta(hours=1))
        response = viewer.get(URL, {"overdue": "on"})
        assert _numbers(response) == ["202611-040"]
        assert b"data-overdue" in response.content
        # Unfiltered, the late order is flagged in its row and the others are not.
        rows = {o.number: o.is_overdue for o in viewer.get(URL).context["orders"]}
        assert rows == {
            "202611-040": True,
            "202611-041": False,
            "202611-042": False,
            "202611-043": False,
        }


class TestSort:
    @pytest.fixture
    def orders(self) -> None:
        for number, total, delivery in (
            ("202611-002", "500.00", date(2026, 12, 20)),
            ("202611-001", "9000.00", None),
            ("202611-003", "70.00", date(2026, 12, 1)),
        ):
            OrderFactory(
                number=number,
                total_amount=Decimal(total),
                order_date=date(2026, 11, 1),
                requested_delivery_date=delivery,
            )

    def test_default_is_newest_first(self, viewer, orders):
        assert _numbers(viewer.get(URL)) == ["202611-003", "202611-001", "202611-002"]

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("number", ["202611-001", "202611-002", "202611-003"]),
            ("-number", ["202611-003", "202611-002", "202611-001"]),
            ("total", ["202611-003", "202611-002", "202611-001"]),
            ("-total", ["202611-001", "202611-002", "202611-003"]),
            # Orders without a requested date go last either way.
            ("delivery", ["202611-003", "202611-002", "202611-001"]),
            ("-delivery", ["202611-002", "202611-003", "202611-001"]),
        ],
    )
    def test_it_sorts_by_a_whitelisted_column(self, viewer, orders, sort, expected):
        assert _numbers(viewer.get(URL, {"sort": sort})) == expected

    def test_an_unknown_sort_falls_back_to_newest_first(self, viewer, orders):
        response = viewer.get(URL, {"sort": "customer__credit_limit"})
        assert _numbers(response) == ["202611-003", "202611-001", "202611-002"]


class TestRows:
    def test_a_draft_without_number_shows_draft(self, viewer):
        OrderFactory(number=None, status=OrderStatus.DRAFT)
        html = viewer.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<span class="text-muted fst-italic">Draft</span>' in html

    def test_service_orders_and_urgency_are_flagged(self, viewer):
        OrderFactory(kind=OrderKind.SERVICE, urgency=Urgency.CRITICAL)
        html = viewer.get(URL).content.decode()
        assert "data-service-flag" in html
        assert 'class="badge text-bg-danger"' in html

    def test_managers_see_totals(self, viewer):
        OrderFactory(total_amount=Decimal("35802.00"))
        assert "¥35,802.00" in viewer.get(URL).content.decode()

    def test_warehouse_sees_masked_totals(self, role_client):
        OrderFactory(total_amount=Decimal("35802.00"))
        html = role_client("warehouse").get(URL).content.decode()
        assert "35,802.00" not in html
        assert '<td class="text-end text-nowrap" data-total><span class="masked"' in html


class TestPagesAndEmptyStates:
    def test_it_shows_twenty_orders_a_page(self, viewer, make_user):
        _bulk_orders(45, owner=make_user("sales_assistant"))
        first, last = viewer.get(URL), viewer.get(URL, {"page": 3})
        assert len(first.context["orders"]) == 20
        assert len(last.context["orders"]) == 5
        assert first.context["page_obj"].paginator.num_pages == 3

    def test_an_empty_portal_invites_the_first_order(self, role_client):
        html = role_client("sales_assistant").get(URL).content.decode()
        assert 'class="empty-state"' in html
        assert reverse("orders:create") in html

    def test_filters_that_match_nothing_say_so(self, viewer):
        OrderFactory()
        response = viewer.get(URL, {"q": "无此订单"})
        assert response.context["filtered"]
        assert b'class="empty-state"' in response.content


class TestQueryCount:
    @pytest.mark.parametrize("count", [5, 500])
    def test_the_number_of_queries_does_not_grow_with_the_orders(
        self, viewer, make_user, django_assert_max_num_queries, count
    ):
        owner = make_user("sales_assistant")
        _bulk_orders(count, owner=owner)
        # Some of the 500 are overdue, so the flag is drawn in rows.
        SlaClock.objects.bulk_create(
            SlaClock(
                content_type=ContentType.objects.get_for_model(Order),
                object_id=pk,
                kind="clarification",
                owner=owner,
                started_at=timezone.now() - timedelta(days=2),
                due_at=timezone.now() - timedelta(days=1),
            )
            for pk in Order.objects.values_list("pk", flat=True)[:3]
        )
        with django_assert_max_num_queries(QUERY_BUDGET):
            response = viewer.get(URL, {"q": "209912", "sort": "-total"})
        assert len(response.context["orders"]) == min(count, 20)


# Session, user, 2 × permissions, roles, unread bell, customer and owner choices of
# the filter form, the grouped tab counts and the page of rows = 10 — the same for
# 5 orders or 500; +1 for the content type of Order when its cache is still cold; +3 for
# the badges of the apps above (the customer-page settings and the customer's answers on
# late deliveries, the delivery-risk scores), each one query for the whole page.
QUERY_BUDGET = 14
