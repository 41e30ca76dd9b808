"""Words a user reads, in both languages: each thing named for what it is, a label's colon
in the reader's language, system-written notes without Chinese literals in English mode,
and the admin's login-protection pages translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from aftersales.models import AftersalesTicket, FollowUpVisit
from core.actions import perform
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_a_phone_follow_up_prints_as_a_phone_call(role_client):
    client = role_client("account_manager")
    order = OrderFactory(status="completed", owner=client.user)
    FollowUpVisit.objects.create(
        order=order, method="phone", person="李四", satisfaction=5, visited_by=client.user
    )
    page = client.get(f"/aftersales/orders/{order.pk}/visit-form/").content.decode()
    assert "上门拜访" not in page
    assert "<h2>回访</h2>" in page and "<td>电话</td>" in page


def test_the_communication_log_is_not_called_a_customer_contact(role_client):
    client = role_client("sales_assistant")
    order = OrderFactory(status="pending_review", owner=client.user, created_by=client.user)
    with translation.override("en"):
        perform(
            "order.log_contact",
            actor=client.user,
            obj=order,
            channel="phone",
            person="Li Si",
            result="Address confirmed",
        )
    event = order.events.get(kind="contact")
    # Read in English (whoever wrote it): no Chinese punctuation in the note.
    with translation.override("en"):
        assert event.note_text == "Phone · Li Si: Address confirmed"
    page = client.get(f"/orders/{order.pk}/").content.decode()
    entry = page.split('data-event-kind="contact"')[1].split("</li>")[0]
    assert "客户沟通" in entry and "客户联系人" not in entry
    with translation.override("zh-hans"):
        from orders.models import CustomerContactLog

        assert str(CustomerContactLog._meta.verbose_name) == "沟通记录"


def test_the_action_panel_and_the_approval_note_say_what_they_are(role_client):
    client = role_client("sales_manager")
    order = OrderFactory(status="pending_approval", number="202611-009")
    page = client.get(f"/orders/{order.pk}/").content.decode()
    panel = page.split('data-testid="actions"')[1]
    assert "可执行操作" in panel.split("</div>")[0] and "下一步计划" not in panel
    approve = panel.split(f'action="/orders/{order.pk}/approve/"')[1].split("</form>")[0]
    assert "审批意见" in approve and "审核意见" not in approve


def test_the_customer_timeline_is_not_called_order_timeline(role_client):
    client = role_client("sales_manager")
    order = OrderFactory(status="confirmed")
    page = client.get(f"/customers/{order.customer_id}/").content.decode()
    title = page.split('data-testid="customer-timeline"')[1].split("</div>")[0]
    assert "客户动态" in title and "订单动态" not in title


def test_a_label_colon_follows_the_language(role_client):
    client = role_client("aftersales")
    order = OrderFactory(status="accepted")
    ticket = AftersalesTicket.objects.create(
        number="SH-W-1",
        order=order,
        source="complaint",
        kind="repair",
        description="x",
        owner=client.user,
        opened_by=client.user,
        status="resolved",
        resolution="Repaired",
        rating=4,
    )
    zh = client.get(f"/aftersales/tickets/{ticket.pk}/").content.decode()
    en = client.get(f"/aftersales/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "客户评分：<strong" in zh and "客户评分:" not in zh
    assert "Customer rating: <strong" in en


def test_no_template_hard_codes_a_colon_or_brackets_of_one_language():
    """A label's colon is ``{% colon %}`` ("：" in Chinese, ": " in English); a bracket
    around interface text is a translated "(%(text)s)" — never a literal of one language."""
    offenders = []
    for path in ROOT.glob("*/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        for pattern in (r"(%\}|\}\}|</strong>)[：:] ", r"(%\}|\}\})：", r"（\{[{%]", r"[}%]\}）"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not offenders, offenders


def test_the_admin_names_the_login_protection_in_chinese(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert "登录保护" in index and "登录尝试" in index and "登录日志" in index
    attempts = admin_client.get("/admin/axes/accessattempt/").content.decode()
    assert "尝试时间" in attempts and "Attempt Time" not in attempts  # a list filter
    assert "Model name" not in index


def test_english_pages_leave_no_chinese_in_the_report_figures(role_client):
    client = role_client("sales_manager")
    page = client.get("/reports/monthly/", {"month": "2026-04"}, HTTP_ACCEPT_LANGUAGE="en")
    kpis = page.content.decode().split('data-section="kpis"')[1].split("</table>")[0]
    assert not CJK.search(kpis), kpis
