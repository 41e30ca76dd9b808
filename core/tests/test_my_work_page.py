"""The "my work" page: my deadlines (overdue first, how late), my roles' work, links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.services import sla_clocks_scan
from core.work import register_work_source, unregister_work_source, work_for

pytestmark = pytest.mark.django_db

URL = reverse("core:my_work")


@pytest.fixture
def linked_groups(monkeypatch):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    monkeypatch.setattr(
        Group, "get_absolute_url", lambda self: f"/groups/{self.pk}/", raising=False
    )


@pytest.fixture
def fake_source():  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    register_work_source(
        ("sales_manager",),
        key="test_orders_to_approve",
        label="Orders waiting for my approval",
        source=lambda user: Group.objects.filter(name__startswith="待审批").order_by("name"),
        url="core:notifications",
        query="status=pending_approval",
        icon="check2-square",
    )
    register_work_source(
        ("warehouse",),
        key="test_stock_alerts",
        label="Low stock alerts",
        source=lambda user: 4,
    )
    yield
    unregister_work_source("test_orders_to_approve")
    unregister_work_source("test_stock_alerts")


def _rows(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('data-clock="')[1:]]


def test_overdue_clocks_come_first_most_late_first_then_due_soon(
    role_client, start_clock, linked_groups
):
    client = role_client("sales_assistant")
    owner = client.user
    now = timezone.now()
    later = start_clock(owner=owner, due_at=now + timedelta(days=2), started_at=now)
    soon = start_clock(owner=owner, due_at=now + timedelta(hours=1), started_at=now)
    late = start_clock(
        owner=owner, due_at=now - timedelta(hours=1), started_at=now - timedelta(days=1)
    )
    very_late = start_clock(
        owner=owner, due_at=now - timedelta(days=1), started_at=now - timedelta(days=2)
    )
    start_clock(due_at=now - timedelta(days=3), started_at=now - timedelta(days=4))  # not mine

    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(html) == [str(c.pk) for c in (very_late, late, soon, later)]
    assert "late" in html or "逾期" in html
    assert f'href="/groups/{very_late.object_id}/"' in html


def test_clock_escalated_to_me_shows_on_my_page(role_client, start_clock):
    client = role_client("sales_manager")
    now = timezone.now()
    clock = start_clock(
        due_at=now - timedelta(minutes=5),
        started_at=now - timedelta(hours=2),
        escalate_to=client.user,
    )
    assert _rows(client.get(URL).content.decode()) == []
    sla_clocks_scan()
    assert _rows(client.get(URL).content.decode()) == [str(clock.pk)]


def test_met_clocks_are_not_listed(role_client, start_clock):
    from core.services import sla_clock_meet

    client = role_client("sales_assistant")
    clock = start_clock(owner=client.user, working_hours=2)
    sla_clock_meet(target=clock.target, kind=clock.kind)
    assert _rows(client.get(URL).content.decode()) == []


def test_work_sources_show_for_the_roles_that_can_act(role_client, make_user, fake_source):
    from django.contrib.auth.models import Group

    for n in range(7):
        Group.objects.create(name=f"待审批 订单{n}")
    manager = make_user("sales_manager")
    # Only the fake sources of this test; the business apps register real ones too.
    rows = [r for r in work_for(manager) if r["key"].startswith("test_")]
    assert [(r["key"], r["count"]) for r in rows] == [("test_orders_to_approve", 7)]
    assert rows[0]["url"] == reverse("core:notifications") + "?status=pending_approval"
    assert len(rows[0]["objects"]) == 5
    assert rows[0]["more"] == 2

    warehouse_rows = work_for(make_user("warehouse"))
    assert [(r["key"], r["count"]) for r in warehouse_rows if r["key"].startswith("test_")] == [
        ("test_stock_alerts", 4)
    ]
    assert not [r for r in work_for(make_user("logistics")) if r["key"].startswith("test_")]

    client = role_client("sales_manager")
    html = client.get(URL).content.decode()
    assert 'data-work-source="test_orders_to_approve"' in html
    assert "待审批 订单0" in html
    assert 'data-work-source="test_stock_alerts"' not in html


def test_unknown_role_is_refused():
    with pytest.raises(ValueError):
        register_work_source(("nobody",), key="x", label="x", source=lambda user: 0)


def test_my_work_query_count_does_not_grow_with_rows(
    role_client, start_clock, make_target, fake_source, django_assert_max_num_queries
):
    client = role_client("sales_manager")
    now = timezone.now()
    for n in range(25):
        start_clock(
            owner=client.user,
            target=make_target(f"待审批 {n}"),
            due_at=now + timedelta(hours=n - 10),
            started_at=now - timedelta(days=1),
        )
    # Each registered work source costs a count (and a preview when it has rows); the
    # clocks themselves cost the same whether there are 25 or 2,500 (the first 50 + totals).
    # (+3 since the customer's side and insights added their work sources.)
    with django_assert_max_num_queries(20):
        response = client.get(URL)
    assert len(_rows(response.content.decode())) == 25


def test_a_long_list_of_deadlines_shows_the_most_urgent_and_the_total(
    role_client, start_clock, make_target, monkeypatch
):
    from core import views

    monkeypatch.setattr(views, "MY_WORK_CLOCKS", 3)
    client = role_client("sales_assistant")
    now = timezone.now()
    clocks = [
        start_clock(
            owner=client.user,
            target=make_target(f"订单 {n}"),
            due_at=now + timedelta(hours=2 * n - 3),
            started_at=now - timedelta(days=1),
        )
        for n in range(5)
    ]
    response = client.get(URL)
    html = response.content.decode()
    # Overdue first, most late first: clocks 0 and 1, then the soonest upcoming one.
    assert _rows(html) == [str(c.pk) for c in (clocks[0], clocks[1], clocks[2])]
    assert response.context["clocks_total"] == 5
    assert response.context["clocks_overdue"] == 2
    assert 'data-testid="clocks-more"' in html


def test_home_shows_the_counts(role_client, start_clock):
    client = role_client("sales_assistant")
    now = timezone.now()
    start_clock(
        owner=client.user, due_at=now - timedelta(hours=1), started_at=now - timedelta(days=1)
    )
    start_clock(owner=client.user, due_at=now + timedelta(hours=1), started_at=now)
    from core.services import notification_create

    notification_create(recipient=client.user, title="请查看")
    html = client.get("/").content.decode()
    summary = html.split('data-testid="work-summary"')[1].split(
        'data-testid="unread-notifications"'
    )
    assert '<span class="count d-block">2</span>' in summary[0]  # open
    assert 'text-danger">1</span>' in summary[0]  # overdue
    assert '<span class="count d-block">1</span>' in summary[1].split("</a>")[0]  # unread


def test_nav_links_to_my_work(role_client):
    html = role_client("warehouse").get("/").content.decode()
    assert f'href="{URL}"' in html
