"""Contracts: draft → supervisor review → legal review → signed (scan) → in force → end,
each step by its role with comments; no signing before legal review (403); amendments."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contracts import services as cs
from contracts.models import AmendmentStatus, Contract, ContractStatus
from core.errors import Forbidden, WrongState
from core.models import Notification
from tests.factories import CustomerFactory

SCAN = b"%PDF-1.4 signed contract scan"


@pytest.fixture
def people(make_user):
    return {
        "li": make_user("sales_assistant", username="c_li"),
        "boss": make_user("sales_manager", username="c_boss"),
        "law": make_user("legal", username="c_law"),
    }


def draft(people):
    today = timezone.localdate()
    return cs.contract_create(
        actor=people["li"],
        customer=CustomerFactory(),
        title="年度采购合同",
        amount="120000",
        start_date=today,
        end_date=today + timedelta(days=365),
    )


def scan():
    return SimpleUploadedFile("signed.pdf", SCAN, content_type="application/pdf")


def test_the_whole_flow_each_step_by_its_role_with_comments(people):
    c = draft(people)
    assert c.number.startswith(f"HT-{timezone.localdate().year}-")
    cs.contract_submit(actor=people["li"], contract=c)
    with pytest.raises(WrongState):  # legal cannot skip the supervisor
        cs.contract_legal_approve(actor=people["law"], contract=c)
    cs.contract_supervisor_approve(actor=people["boss"], contract=c, comment="条款符合政策")
    cs.contract_send_back(actor=people["law"], contract=c, comment="违约责任条款需修改")
    c.refresh_from_db()
    assert c.status == ContractStatus.DRAFT
    cs.contract_submit(actor=people["li"], contract=c)
    cs.contract_supervisor_approve(actor=people["boss"], contract=c)
    cs.contract_legal_approve(actor=people["law"], contract=c, comment="法务审核通过")
    c = cs.contract_sign(
        actor=people["li"], contract=c, scan=scan(), signed_on=timezone.localdate()
    )
    assert c.status == ContractStatus.SIGNED and c.signed_scan.read() == SCAN
    c = cs.contract_put_in_force(actor=people["boss"], contract=c)
    c = cs.contract_expire(actor=people["boss"], contract=c)
    assert c.status == ContractStatus.EXPIRED
    comments = list(c.events.exclude(comment="").values_list("action", "comment"))
    assert ("legal_approve", "法务审核通过") in comments and (
        "send_back",
        "违约责任条款需修改",
    ) in comments


def test_a_hand_made_post_signing_before_legal_review_gets_403(people, client):
    c = draft(people)
    cs.contract_submit(actor=people["li"], contract=c)
    cs.contract_supervisor_approve(actor=people["boss"], contract=c)  # waiting for legal
    client.force_login(people["li"])
    response = client.post(
        f"/contracts/{c.pk}/sign/", {"scan": scan(), "signed_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.status == ContractStatus.LEGAL_REVIEW and not c.signed_scan
    # A draft cannot be signed either, nor can a non-legal user give the legal review.
    assert client.post(f"/contracts/{c.pk}/legal_approve/").status_code == 403


def test_four_eyes_the_drafter_never_reviews(make_user):
    both = make_user("sales_assistant", "sales_manager", username="c_both")
    c = cs.contract_create(
        actor=both,
        customer=CustomerFactory(),
        title="合同",
        amount="1",
        start_date=timezone.localdate(),
        end_date=timezone.localdate(),
    )
    cs.contract_submit(actor=both, contract=c)
    with pytest.raises(Forbidden):
        cs.contract_supervisor_approve(actor=both, contract=c)


def test_amendments_go_through_the_same_approvals(people):
    c = draft(people)
    cs.contract_submit(actor=people["li"], contract=c)
    cs.contract_supervisor_approve(actor=people["boss"], contract=c)
    cs.contract_legal_approve(actor=people["law"], contract=c)
    cs.contract_sign(actor=people["li"], contract=c, scan=scan(), signed_on=timezone.localdate())
    a = cs.contract_amendment_create(
        actor=people["li"], contract=c, description="交货期改为60天", reason="客户要求"
    )
    assert str(a).endswith("-B1")
    with pytest.raises(WrongState):
        cs.contract_amendment_decide(actor=people["law"], amendment=a, action="legal_approve")
    a = cs.contract_amendment_decide(actor=people["boss"], amendment=a, action="supervisor_approve")
    a = cs.contract_amendment_decide(
        actor=people["law"], amendment=a, action="legal_approve", comment="同意"
    )
    assert a.status == AmendmentStatus.APPROVED


def test_expiry_reminders_are_sent_once(people):
    c = draft(people)
    Contract.objects.filter(pk=c.pk).update(
        status=ContractStatus.IN_FORCE, end_date=timezone.localdate() + timedelta(days=10)
    )
    assert cs.contracts_remind_expiring() == 1
    assert cs.contracts_remind_expiring() == 0
    assert (
        Notification.objects.filter(recipient=people["li"], title__contains=c.number).count() == 1
    )
    assert Notification.objects.filter(recipient=people["boss"], title__contains=c.number).exists()


def test_contract_pages(people, client, django_assert_max_num_queries):
    contracts = [draft(people) for _ in range(3)]
    client.force_login(people["boss"])
    with django_assert_max_num_queries(12):
        assert client.get("/contracts/").status_code == 200
    page = client.get(f"/contracts/{contracts[0].pk}/").content.decode()
    assert contracts[0].number in page
    client.force_login(people["li"])
    response = client.post(
        "/contracts/new/",
        {
            "customer": contracts[0].customer_id,
            "title": "新合同",
            "amount": "5000",
            "start_date": "2026-12-01",
            "end_date": "2027-11-30",
        },
    )
    assert response.status_code == 302 and Contract.objects.filter(title="新合同").exists()


def test_four_eyes_whoever_edited_the_draft_never_reviews_it(people, make_user, client):
    helper = make_user("sales_assistant", "sales_manager", username="c_helper")
    c = draft(people)
    client.force_login(helper)  # a colleague fixes the draft on its page
    assert client.get(f"/contracts/{c.pk}/edit/").status_code == 200
    response = client.post(
        f"/contracts/{c.pk}/edit/",
        {
            "customer": c.customer_id,
            "title": "年度采购合同（修订）",
            "amount": "120000",
            "start_date": c.start_date.isoformat(),
            "end_date": c.end_date.isoformat(),
            "terms": "60天账期",
        },
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.title == "年度采购合同（修订）"
    assert c.events.filter(action="edit", actor=helper).exists()
    cs.contract_submit(actor=people["li"], contract=c)
    assert client.get(f"/contracts/{c.pk}/edit/").status_code == 409  # no longer a draft
    with pytest.raises(Forbidden):
        cs.contract_supervisor_approve(actor=helper, contract=c)
    page = client.get(f"/contracts/{c.pk}/").content.decode()
    assert 'data-action="supervisor_approve"' not in page
    response = client.post(f"/contracts/{c.pk}/send_back/", {"comment": "再改"})
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.status == ContractStatus.SUPERVISOR_REVIEW
    cs.contract_supervisor_approve(actor=people["boss"], contract=c)  # another manager may


def test_four_eyes_on_amendments_the_requester_and_the_drafter_never_approve(people, make_user):
    both = make_user("sales_assistant", "sales_manager", username="c_both2")
    c = draft(people)
    cs.contract_submit(actor=people["li"], contract=c)
    cs.contract_supervisor_approve(actor=people["boss"], contract=c)
    cs.contract_legal_approve(actor=people["law"], contract=c)
    cs.contract_sign(actor=people["li"], contract=c, scan=scan(), signed_on=timezone.localdate())
    mine = cs.contract_amendment_create(actor=both, contract=c, description="单价调整", reason="x")
    with pytest.raises(Forbidden):  # the requester
        cs.contract_amendment_decide(actor=both, amendment=mine, action="supervisor_approve")
    people["li"].groups.add(*both.groups.all())  # the drafter, now a manager as well
    theirs = cs.contract_amendment_create(
        actor=make_user("sales_assistant"), contract=c, description="交货地点变更", reason="y"
    )
    with pytest.raises(Forbidden):
        cs.contract_amendment_decide(
            actor=people["li"], amendment=theirs, action="supervisor_approve"
        )
    cs.contract_amendment_decide(actor=people["boss"], amendment=mine, action="supervisor_approve")


def test_a_step_without_its_comment_is_refused_with_400(people, client):
    c = draft(people)
    cs.contract_submit(actor=people["li"], contract=c)
    client.force_login(people["boss"])
    response = client.post(f"/contracts/{c.pk}/send_back/", {"comment": ""})
    assert response.status_code == 400
    assert str(cs.MSG_COMMENT_REQUIRED) in response.content.decode()
    c.refresh_from_db()
    assert c.status == ContractStatus.SUPERVISOR_REVIEW
