"""Borrowing a confidential document in Chromium: refused, requested, approved by the
department head, the sales head and the general manager, then opened."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from archive.models import Document
from customers.models import QualificationDocument
from tests.e2e.conftest import zh
from tests.factories import PASSWORD, CustomerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, PASSWORD)


def approve(page, live_server, login, username, borrowing_pk):
    switch_user(page, login, username)
    page.goto(f"{live_server.url}/archive/borrowings/{borrowing_pk}/")
    page.fill("#id_comment", "同意")
    page.click('[data-action="approve"]')


def test_borrowing_a_confidential_document_needs_three_approvals(
    page, live_server, login, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    li = UserFactory(username="li", last_name="王", first_name="丽", roles=["sales_assistant"])
    UserFactory(username="boss", roles=["sales_manager"])
    UserFactory(username="zhao", roles=["sales_director"])
    UserFactory(username="gm", roles=["general_manager"])
    doc = QualificationDocument(
        customer=CustomerFactory(name="华南电子有限公司"),
        kind="credit_report",
        original_name="征信报告.pdf",
        content_type="application/pdf",
        size=20,
        uploaded_by=li,
    )
    doc.file.save("r.pdf", ContentFile(b"%PDF-1.4 credit report"), save=True)
    document = Document.objects.get(object_id=doc.pk)

    login("li", PASSWORD)
    response = page.request.get(f"{live_server.url}/archive/documents/{document.pk}/")
    assert response.status == 403
    page.goto(f"{live_server.url}/archive/")
    page.locator(f'tr[data-document="{document.pk}"] a', has_text=zh("Borrow")).click()
    page.fill("#id_purpose", "年度信用复核")
    page.fill("#id_due_date", (timezone.localdate() + timedelta(days=5)).isoformat())
    page.click('[data-action="request"]')
    expect(page.get_by_test_id("borrowing-status")).to_have_text(
        zh("Waiting for the department head")
    )
    borrowing_pk = int(page.url.rstrip("/").rsplit("/", 1)[1])

    approve(page, live_server, login, "boss", borrowing_pk)
    expect(page.get_by_test_id("borrowing-status")).to_have_text(zh("Waiting for the sales head"))
    approve(page, live_server, login, "zhao", borrowing_pk)
    expect(page.get_by_test_id("borrowing-status")).to_have_text(
        zh("Waiting for the general manager")
    )
    approve(page, live_server, login, "gm", borrowing_pk)
    expect(page.get_by_test_id("borrowing-status")).to_have_text(zh("On loan"))
    screenshot("borrowing-approved")

    switch_user(page, login, "li")
    page.goto(f"{live_server.url}/archive/borrowings/{borrowing_pk}/")
    response = page.request.get(f"{live_server.url}/archive/documents/{document.pk}/")
    assert response.status == 200 and response.body().startswith(b"%PDF")
