"""Document register, confidentiality, borrowing and disposal (docs/workflow.md §7)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from archive import document_services as ds
from archive.models import Borrowing, BorrowingStatus, Document, DocumentAccessLog
from core.errors import Forbidden
from core.models import SlaClock, SlaKind
from core.outbox import outbox_deliver
from customers.models import QualificationDocument
from tests.factories import CustomerFactory

REPORT = b"%PDF-1.4 credit report"


@pytest.fixture
def people(make_user):
    return {
        "li": make_user("sales_assistant", username="d_li"),
        "boss": make_user("sales_manager", username="d_boss"),
        "zhao": make_user("sales_director", username="d_zhao"),
        "gm": make_user("general_manager", username="d_gm"),
        "admin": make_user("data_admin", username="d_admin"),
    }


@pytest.fixture
def credit_report(people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    customer = CustomerFactory()
    doc = QualificationDocument(
        customer=customer,
        kind="credit_report",
        original_name="征信报告.pdf",
        content_type="application/pdf",
        size=len(REPORT),
        uploaded_by=people["li"],
    )
    doc.file.save("report.pdf", ContentFile(REPORT), save=True)
    return doc


def register_row(obj):
    return Document.objects.get(object_id=obj.pk, content_type__model=obj._meta.model_name)


def approve_all(people, borrowing):
    for who in ("boss", "zhao", "gm"):
        borrowing = ds.borrowing_decide(actor=people[who], borrowing=borrowing, approve=True)
    return borrowing


def test_uploads_are_registered_with_category_confidentiality_and_disposal_date(credit_report):
    document = register_row(credit_report)
    assert (document.category, document.confidentiality) == ("credit_file", "confidential")
    assert document.retention_years == 5
    assert document.disposal_date == document.document_date.replace(
        year=document.document_date.year + 5
    )


def test_without_the_right_a_confidential_document_is_403_even_with_its_url(
    people, credit_report, client
):
    document = register_row(credit_report)
    client.force_login(people["li"])
    assert client.get(f"/archive/documents/{document.pk}/").status_code == 403
    url = f"/customers/{credit_report.customer_id}/documents/{credit_report.pk}/"
    assert client.get(url).status_code == 403  # the customers app's own URL too
    client.force_login(people["boss"])  # a business head may
    response = client.get(f"/archive/documents/{document.pk}/?download=1")
    assert response.status_code == 200 and b"".join(response.streaming_content) == REPORT
    log = list(
        DocumentAccessLog.objects.order_by("id").values_list("user__username", "action", "granted")
    )
    assert log == [
        ("d_li", "view", False),
        ("d_li", "view", False),
        ("d_boss", "download", True),
    ]


def test_an_approved_borrowing_opens_the_document_until_the_due_date_only(
    people, credit_report, client
):
    document = register_row(credit_report)
    due = timezone.localdate() + timedelta(days=3)
    borrowing = ds.borrowing_create(
        actor=people["li"], documents=[document], purpose="核对客户信用", due_date=due
    )
    assert borrowing.needs_general_manager
    client.force_login(people["li"])
    borrowing = ds.borrowing_decide(actor=people["boss"], borrowing=borrowing, approve=True)
    borrowing = ds.borrowing_decide(actor=people["zhao"], borrowing=borrowing, approve=True)
    assert borrowing.status == BorrowingStatus.PENDING_GM
    assert client.get(f"/archive/documents/{document.pk}/").status_code == 403
    borrowing = ds.borrowing_decide(actor=people["gm"], borrowing=borrowing, approve=True)
    assert borrowing.status == BorrowingStatus.ON_LOAN
    assert client.get(f"/archive/documents/{document.pk}/").status_code == 200
    clock = SlaClock.objects.get(kind=SlaKind.DOCUMENT_RETURN, object_id=borrowing.pk)
    assert clock.owner == people["li"] and timezone.localtime(clock.due_at).date() == due
    # The day after the due date the same URL is refused again.
    with mock.patch("django.utils.timezone.localdate", return_value=due + timedelta(days=1)):
        assert client.get(f"/archive/documents/{document.pk}/").status_code == 403
    ds.borrowing_return(actor=people["li"], borrowing=borrowing)
    assert client.get(f"/archive/documents/{document.pk}/").status_code == 403
    clock.refresh_from_db()
    assert clock.met_at is not None
    granted = DocumentAccessLog.objects.filter(granted=True, borrowing=borrowing).count()
    assert granted == 1


def test_borrowing_approvals_are_by_role_and_four_eyes(people, credit_report):
    document = register_row(credit_report)
    borrowing = ds.borrowing_create(
        actor=people["boss"],
        documents=[document],
        purpose="x",
        due_date=timezone.localdate(),
    )
    with pytest.raises(Forbidden):  # nobody approves their own request
        ds.borrowing_decide(actor=people["boss"], borrowing=borrowing, approve=True)
    with pytest.raises(Forbidden):  # the director is not the department head
        ds.borrowing_decide(actor=people["zhao"], borrowing=borrowing, approve=True)
    with pytest.raises(Forbidden):  # nor rejects it
        ds.borrowing_decide(actor=people["boss"], borrowing=borrowing, approve=False, comment="x")
    theirs = ds.borrowing_create(
        actor=people["li"], documents=[document], purpose="x", due_date=timezone.localdate()
    )
    with pytest.raises(ds.ArchiveError):  # a rejection needs its reason
        ds.borrowing_decide(actor=people["boss"], borrowing=theirs, approve=False)


@pytest.mark.parametrize(
    ("borrower", "approvers_before"),
    [("boss", ()), ("zhao", ("boss",)), ("gm", ("boss", "zhao"))],
)
def test_four_eyes_the_borrower_never_approves_their_own_borrowing(
    people, credit_report, client, borrower, approvers_before
):
    """At each step — department head, sales head, general manager — the one who asked for
    the documents (and chose them) is refused, by the service and by a hand-made POST."""
    borrowing = ds.borrowing_create(
        actor=people[borrower],
        documents=[register_row(credit_report)],
        purpose="复核",
        due_date=timezone.localdate(),
    )
    for who in approvers_before:
        borrowing = ds.borrowing_decide(actor=people[who], borrowing=borrowing, approve=True)
    waiting = borrowing.status
    with pytest.raises(Forbidden):
        ds.borrowing_decide(actor=people[borrower], borrowing=borrowing, approve=True)
    client.force_login(people[borrower])
    page = client.get(f"/archive/borrowings/{borrowing.pk}/").content.decode()
    assert 'data-action="approve"' not in page
    response = client.post(f"/archive/borrowings/{borrowing.pk}/approve/", {"comment": "同意"})
    assert response.status_code == 403
    response = client.post(f"/archive/borrowings/{borrowing.pk}/reject/", {"comment": "不借了"})
    assert response.status_code == 403
    borrowing.refresh_from_db()
    assert borrowing.status == waiting
    assert not borrowing.steps.filter(actor=people[borrower]).exclude(action="request").exists()


def test_a_rejection_without_a_comment_is_refused_with_400(people, credit_report, client):
    borrowing = ds.borrowing_create(
        actor=people["li"],
        documents=[register_row(credit_report)],
        purpose="x",
        due_date=timezone.localdate(),
    )
    client.force_login(people["boss"])
    response = client.post(f"/archive/borrowings/{borrowing.pk}/reject/", {"comment": ""})
    assert response.status_code == 400
    assert str(ds.MSG_COMMENT_REQUIRED) in response.content.decode()
    assert Borrowing.objects.get(pk=borrowing.pk).status == BorrowingStatus.PENDING_DEPARTMENT


def test_a_normal_document_skips_the_general_manager(people, credit_report):
    Document.objects.filter(object_id=credit_report.pk).update(confidentiality="normal")
    document = register_row(credit_report)
    borrowing = ds.borrowing_create(
        actor=people["li"], documents=[document], purpose="x", due_date=timezone.localdate()
    )
    borrowing = ds.borrowing_decide(actor=people["boss"], borrowing=borrowing, approve=True)
    borrowing = ds.borrowing_decide(actor=people["zhao"], borrowing=borrowing, approve=True)
    assert borrowing.status == BorrowingStatus.ON_LOAN


def test_disposal_list_and_confirmation_for_the_data_admin(people, credit_report, client, tmp_path):
    document = register_row(credit_report)
    Document.objects.filter(pk=document.pk).update(
        disposal_date=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(people["li"])
    assert client.get("/archive/disposal/").status_code == 403
    client.force_login(people["admin"])
    page = client.get("/archive/disposal/").content.decode()
    assert f'data-document="{document.pk}"' in page
    response = client.post(f"/archive/disposal/{document.pk}/", {"note": "碎纸机销毁"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.disposed_by == people["admin"] and document.disposal_note == "碎纸机销毁"
    assert (tmp_path / credit_report.file.name).exists()  # until the outbox delivers
    outbox_deliver()
    assert not (tmp_path / credit_report.file.name).exists()
    # Disposed already: a second confirmation is refused with the reason (409).
    response = client.post(f"/archive/disposal/{document.pk}/", {"note": "again"})
    assert response.status_code == 409 and str(ds.MSG_DISPOSED) in response.content.decode()
    assert f'data-document="{document.pk}"' not in client.get("/archive/disposal/").content.decode()
    client.force_login(people["gm"])  # a disposed document opens for nobody
    assert client.get(f"/archive/documents/{document.pk}/").status_code == 403


def test_register_and_borrowing_pages(people, credit_report, client, django_assert_max_num_queries):
    document = register_row(credit_report)
    for _ in range(3):
        ds.borrowing_create(
            actor=people["li"], documents=[document], purpose="x", due_date=timezone.localdate()
        )
    client.force_login(people["boss"])
    with django_assert_max_num_queries(16):
        assert client.get("/archive/").status_code == 200
    with django_assert_max_num_queries(14):
        page = client.get("/archive/borrowings/").content.decode()
    assert page.count("data-borrowing=") == 3
    b = Borrowing.objects.first()
    assert client.get(f"/archive/borrowings/{b.pk}/").status_code == 200
    client.force_login(people["li"])
    response = client.post(
        "/archive/borrowings/new/",
        {
            "documents": [document.pk],
            "purpose": "对账",
            "due_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    customer_page = client.get(f"/customers/{credit_report.customer_id}/").content.decode()
    assert 'data-testid="panel-archive_documents"' in customer_page


def test_my_work_counts_quotations_and_borrowings_waiting_for_me(people, credit_report):
    from core.work import work_for
    from orders.services import quotations as qs
    from tests.factories import make_quotation

    q = make_quotation(owner=people["li"], prices=("100",), quantities=(1,))
    qs.quotation_submit(actor=people["li"], quotation=q)
    ds.borrowing_create(
        actor=people["li"],
        documents=[register_row(credit_report)],
        purpose="x",
        due_date=timezone.localdate(),
    )
    rows = {row["key"]: row["count"] for row in work_for(people["boss"])}
    assert rows["documents_to_approve"] == 2
    assert {row["key"]: row["count"] for row in work_for(people["gm"])}["documents_to_approve"] == 0


def test_a_signed_contract_scan_is_registered_as_confidential_for_ten_years(
    people, make_user, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from contracts import services as cs

    settings.MEDIA_ROOT = str(tmp_path)
    law = make_user("legal", username="d_law")
    today = timezone.localdate()
    c = cs.contract_create(
        actor=people["li"],
        customer=CustomerFactory(),
        title="年度采购合同",
        amount="120000",
        start_date=today,
        end_date=today + timedelta(days=365),
    )
    cs.contract_submit(actor=people["li"], contract=c)
    cs.contract_supervisor_approve(actor=people["boss"], contract=c)
    cs.contract_legal_approve(actor=law, contract=c)
    scan = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    c = cs.contract_sign(actor=people["li"], contract=c, scan=scan, signed_on=today)
    document = Document.objects.get(object_id=c.pk, category="contract")
    assert document.is_confidential and document.retention_years == 10
    assert document.disposal_date.year == c.end_date.year + 10


def test_a_downloaded_quotation_pdf_is_kept_in_the_register(people, client, monkeypatch):
    from weasyprint import HTML

    from tests.factories import make_quotation

    monkeypatch.setattr(HTML, "write_pdf", lambda self, *args, **kwargs: b"%PDF-1.7 quotation")
    q = make_quotation(owner=people["li"])
    client.force_login(people["li"])
    assert client.get(f"/orders/quotations/{q.pk}/quotation.pdf").status_code == 200
    assert Document.objects.filter(
        origin="generated", object_id=q.pk, category="quotation"
    ).exists()
