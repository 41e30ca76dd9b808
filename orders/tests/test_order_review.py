"""Preliminary review: needs-information with the 2-hour clock, qualification, four eyes."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.models import Notification, SlaClock, SlaKind
from orders.models import Order, OrderStatus
from orders.services.orders import order_submit
from orders.tests.conftest import give_licence

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def submitted(draft_order, assistant):
    return order_submit(actor=assistant, order=draft_order)


def post(client, user, order, step, **data):
    client.force_login(user)
    return client.post(f"/orders/{order.pk}/{step}/", data)


def test_reviewer_asks_for_information_and_the_clarification_clock_starts(
    client, reviewer, submitted, assistant, make_user
):
    manager = make_user("sales_manager")
    response = post(client, reviewer, submitted, "request-info", reason="交付日期不明确")
    submitted.refresh_from_db()
    assert response.status_code == 302
    assert submitted.status == OrderStatus.NEEDS_INFO
    clock = SlaClock.objects.for_target(submitted).get(kind=SlaKind.CLARIFICATION)
    assert clock.owner == assistant and clock.escalate_to == manager
    assert clock.met_at is None
    assert Notification.objects.filter(
        recipient=assistant, title__contains=submitted.number
    ).exists()
    page = client.get(f"/orders/{submitted.pk}/").content.decode()
    assert 'data-clock-kind="clarification"' in page and "交付日期不明确" in page


def test_clarification_clock_counts_two_working_hours(reviewer, submitted, monkeypatch):
    from orders.services import orders as services

    friday_evening = datetime(2026, 11, 20, 17, 30, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: friday_evening)
    services.order_request_info(actor=reviewer, order=submitted, reason="规格不清")
    clock = SlaClock.objects.get(kind=SlaKind.CLARIFICATION)
    assert clock.due_at.astimezone(SHANGHAI) == datetime(2026, 11, 23, 10, 30, tzinfo=SHANGHAI)


def test_request_info_and_reject_need_a_reason(client, reviewer, submitted):
    post(client, reviewer, submitted, "request-info", reason="  ")
    post(client, reviewer, submitted, "reject", reason="")
    submitted.refresh_from_db()
    assert submitted.status == OrderStatus.PENDING_REVIEW
    assert not SlaClock.objects.exists()


def test_logged_contact_meets_the_clock_and_then_the_creator_resubmits(
    client, reviewer, assistant, submitted
):
    post(client, reviewer, submitted, "request-info", reason="交付日期不明确")
    refused = post(client, assistant, submitted, "resubmit")
    submitted.refresh_from_db()
    assert refused.status_code == 409 and submitted.status == OrderStatus.NEEDS_INFO
    assert "请先记录与客户的沟通" in refused.content.decode()

    post(
        client,
        assistant,
        submitted,
        "log-contact",
        channel="phone",
        person="李先生",
        result="客户确认 12 月 8 日前交付",
    )
    clock = SlaClock.objects.get(kind=SlaKind.CLARIFICATION)
    assert clock.met_at is not None
    post(client, assistant, submitted, "resubmit")
    submitted.refresh_from_db()
    assert submitted.status == OrderStatus.PENDING_REVIEW
    contact = submitted.contacts.get()
    assert contact.person == "李先生" and contact.logged_by == assistant


def test_pass_review_is_refused_until_the_business_licence_is_on_file(client, reviewer, submitted):
    response = post(client, reviewer, submitted, "pass-review")
    submitted.refresh_from_db()
    assert submitted.status == OrderStatus.PENDING_REVIEW
    assert response.status_code == 409
    assert "请先在客户页面上传营业执照" in response.content.decode()

    give_licence(submitted.customer, reviewer)
    post(client, reviewer, submitted, "pass-review", note="资料齐全")
    submitted.refresh_from_db()
    assert submitted.status == OrderStatus.PENDING_APPROVAL
    assert submitted.reviewed_by == reviewer and submitted.review_note == "资料齐全"


def test_reject_is_final_and_tells_the_creator(client, reviewer, assistant, submitted):
    post(client, reviewer, submitted, "reject", reason="客户取消采购计划")
    submitted.refresh_from_db()
    assert submitted.status == OrderStatus.REJECTED
    assert Notification.objects.filter(recipient=assistant).exists()
    page = client.get(f"/orders/{submitted.pk}/").content.decode()
    assert 'data-action="pass_review"' not in page


def test_creator_sees_no_review_buttons_and_a_hand_made_post_is_refused(
    client, assistant, submitted
):
    give_licence(submitted.customer, assistant)
    client.force_login(assistant)
    page = client.get(f"/orders/{submitted.pk}/").content.decode()
    assert 'data-action="pass_review"' not in page
    assert 'data-testid="four-eyes"' in page
    for step in ("pass-review", "request-info", "reject"):
        response = client.post(f"/orders/{submitted.pk}/{step}/", {"reason": "x", "note": "x"})
        assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == OrderStatus.PENDING_REVIEW
    assert list(submitted.events.values_list("action", flat=True)) == ["submit"]


def test_the_creator_is_refused_even_when_also_a_manager(client, make_user, draft_order):
    creator = draft_order.created_by
    from django.contrib.auth.models import Group

    creator.groups.add(Group.objects.get(name="sales_manager"))
    order_submit(actor=creator, order=draft_order)
    give_licence(draft_order.customer, creator)
    assert post(client, creator, draft_order, "pass-review").status_code == 403


def test_warehouse_cannot_review(client, make_user, submitted):
    give_licence(submitted.customer, submitted.created_by)
    response = post(client, make_user("warehouse"), submitted, "pass-review")
    assert response.status_code == 403
    assert Order.objects.get(pk=submitted.pk).status == OrderStatus.PENDING_REVIEW


def test_steps_out_of_order_are_refused_with_a_message(client, reviewer, draft_order):
    response = post(client, reviewer, draft_order, "request-info", reason="x")
    draft_order.refresh_from_db()
    assert draft_order.status == OrderStatus.DRAFT
    assert response.status_code == 409
    assert "草稿" in response.context["message"]
    assert f'href="/orders/{draft_order.pk}/"' in response.content.decode()


def test_timeline_shows_every_step_with_who_and_note(client, reviewer, assistant, submitted):
    post(client, reviewer, submitted, "request-info", reason="交付日期不明确")
    post(
        client,
        assistant,
        submitted,
        "log-contact",
        channel="phone",
        person="李先生",
        result="已确认",
    )
    post(client, assistant, submitted, "resubmit")
    client.force_login(reviewer)
    page = client.get(f"/orders/{submitted.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    for text in ("待审核", "需补充", "交付日期不明确", "李先生", "已确认"):
        assert text in timeline
    assert list(submitted.events.values_list("action", flat=True)) == [
        "submit",
        "request_info",
        "log_contact",
        "resubmit",
    ]


def test_nobody_can_forge_a_status_through_the_edit_form(client, assistant, draft_order):
    client.force_login(assistant)
    client.post(f"/orders/{draft_order.pk}/edit/", {"status": "confirmed"})
    assert Order.objects.get(pk=draft_order.pk).status == OrderStatus.DRAFT


def test_order_detail_queries_do_not_grow_with_the_timeline(
    client, reviewer, assistant, submitted, django_assert_max_num_queries
):
    for _ in range(5):
        post(client, assistant, submitted, "log-contact", channel="phone", person="李", result="x")
    client.force_login(reviewer)
    # 33: the page forecasts the approval's credit check from the review on (the policy
    # and the receivables), asks the apps above for their badges (one query each) and
    # shows their panels: the customer link (links, contacts, messages, answers, offers,
    # settings), the delivery risk, the quotation it came from. None grows with the timeline.
    with django_assert_max_num_queries(33):
        assert client.get(f"/orders/{submitted.pk}/").status_code == 200


def test_my_work_lists_orders_waiting_for_my_review_but_not_my_own(
    client, reviewer, assistant, submitted
):
    client.force_login(reviewer)
    assert submitted.number in client.get("/my-work/").content.decode()
    client.force_login(assistant)
    assert submitted.number not in client.get("/my-work/").content.decode()
