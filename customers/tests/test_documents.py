from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from core.outbox import outbox_deliver
from customers.models import QualificationDocument
from tests.factories import CustomerFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def upload(client, customer, name, content, kind="business_licence"):
    return client.post(
        f"/customers/{customer.pk}/documents/",
        {"kind": kind, "file": SimpleUploadedFile(name, content), "valid_until": ""},
        follow=True,
    )


def test_licence_upload_is_stored_privately_under_a_random_name(role_client, private_media):
    client = role_client("sales_assistant")
    customer = CustomerFactory()
    response = upload(client, customer, "营业执照.pdf", PDF_BYTES)
    document = QualificationDocument.objects.get()
    assert "文件已上传" in response.content.decode()
    assert document.original_name == "营业执照.pdf"
    assert document.content_type == "application/pdf"
    stored = Path(document.file.path)
    assert stored.is_relative_to(private_media)
    assert stored.name != "营业执照.pdf" and stored.suffix == ".pdf"
    assert "营业执照已存档" in client.get(f"/customers/{customer.pk}/").content.decode()


def test_renamed_executable_is_refused_and_nothing_is_stored(role_client, private_media):
    client = role_client("sales_assistant")
    customer = CustomerFactory()
    response = upload(client, customer, "licence.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    assert "可能是其他类型的文件改名而来" in response.content.decode()
    assert not QualificationDocument.objects.exists()
    assert not any(private_media.rglob("*.pdf")) if private_media.exists() else True


def test_disallowed_extension_is_refused(role_client):
    customer = CustomerFactory()
    response = upload(role_client("sales_assistant"), customer, "run.exe", PDF_BYTES)
    assert "仅接受 PDF、JPEG、PNG 格式的文件" in response.content.decode()
    assert not QualificationDocument.objects.exists()


def test_oversize_upload_is_refused(role_client, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    customer = CustomerFactory()
    response = upload(role_client("sales_assistant"), customer, "big.pdf", PDF_BYTES + b"0" * 2048)
    assert "超过上限" in response.content.decode()
    assert not QualificationDocument.objects.exists()


def test_path_traversal_name_never_reaches_the_file_system(role_client, private_media):
    customer = CustomerFactory()
    upload(role_client("sales_assistant"), customer, "../../../etc/passwd.pdf", PDF_BYTES)
    document = QualificationDocument.objects.get()
    assert document.original_name == "passwd.pdf"
    assert Path(document.file.path).resolve().is_relative_to(private_media.resolve())


def test_download_requires_a_role_that_may_see_the_customer(client, make_user):
    assistant = make_user("sales_assistant")
    client.force_login(assistant)
    customer = CustomerFactory()
    upload(client, customer, "licence.pdf", PDF_BYTES)
    document = QualificationDocument.objects.get()
    url = f"/customers/{customer.pk}/documents/{document.pk}/"

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["X-Content-Type-Options"] == "nosniff"

    client.force_login(make_user("warehouse"))
    assert client.get(url).status_code == 403
    client.force_login(make_user("account_manager"))  # not this customer's manager
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_media_root_is_not_served_by_any_url(client, make_user):
    client.force_login(make_user("sales_manager"))
    assert client.get(f"{settings.MEDIA_URL}qualifications/anything.pdf").status_code == 404


def test_assistant_cannot_delete_documents_but_manager_can(client, make_user):
    client.force_login(make_user("sales_assistant"))
    customer = CustomerFactory()
    upload(client, customer, "licence.pdf", PDF_BYTES)
    document = QualificationDocument.objects.get()
    url = f"/customers/{customer.pk}/documents/{document.pk}/delete/"
    assert client.post(url).status_code == 403
    client.force_login(make_user("sales_manager"))
    stored = document.file.storage, document.file.name
    assert client.post(url).status_code == 302
    assert not QualificationDocument.objects.exists()
    # The stored file goes through the outbox, after the commit.
    assert stored[0].exists(stored[1])
    outbox_deliver()
    assert not stored[0].exists(stored[1])
