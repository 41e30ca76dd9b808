# ruff: noqa: F811  (the fixtures are imported from receipt_fixtures by name)
"""The electronic delivery receipt: the signed PDF holds up, and signing it is the acceptance.

Acceptance (issue «The customer's side», item 4): the receipt PDF opens with Chinese text
and the signature image, its digital signature validates with pyHanko's validator, and
changing one byte makes validation fail.
"""

from __future__ import annotations

import subprocess
import tempfile

import pytest

from aftersales.models import (
    Acceptance,
    AftersalesTicket,
    ElectronicReceipt,
    IssuePhoto,
)
from core import pdfsign
from core.errors import DomainError, Forbidden, Invalid, WrongState
from core.models import SlaClock, SlaKind
from customer_portal.actions.receipts import ReceiptLine, receipt_sign
from customer_portal.tests.receipt_fixtures import (  # noqa: F401  (fixtures)
    CUSTOMER_IP,
    blank_signature_data_url,
    delivered,
    link_actor,
    make_delivered_order,
    sign_receipt,
    signature_data_url,
    signing_cert,
    staff,
)
from orders.models import OrderEvent
from tests.pdf import ARTIFACTS, pdf_text, pdf_to_png

pytestmark = pytest.mark.django_db


def _images(pdf: bytes) -> list[str]:
    """``pdfimages -list`` rows: one per image in the PDF."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        out = subprocess.run(  # noqa: S603
            ["pdfimages", "-list", file.name],  # noqa: S607
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
    return [row for row in out.splitlines()[2:] if row.strip()]


def _receipt_pdf(order) -> bytes:
    acceptance = Acceptance.objects.get(order=order)
    with acceptance.receipt.open("rb") as file:
        return file.read()


def test_receipt_pdf_has_chinese_text_the_signature_image_and_a_valid_company_signature(
    delivered, signing_cert
):
    receipt = sign_receipt(delivered, link_actor(delivered))
    pdf = _receipt_pdf(delivered)

    text = pdf_text(pdf)
    for words in (
        "华东精密制造有限公司",
        "工业服务器A型",
        "散热风扇组件",
        "王收货",
        "外箱压坏",
        "张江路",
    ):
        assert words in text, words
    assert delivered.number in text
    assert CUSTOMER_IP in text
    # The finger signature and the photo's thumbnail are images in the document.
    assert len(_images(pdf)) >= 2
    pdf_to_png(pdf, ARTIFACTS / "receipt" / "signed-receipt.png")

    check = pdfsign.validate_pdf(pdf)
    assert check.valid, check.problem
    assert check.intact and check.trusted and check.covers_whole_file
    assert "示例科技有限公司" in check.signer
    # Its SHA-256 is kept with the order.
    assert receipt.pdf_sha256 == pdfsign.sha256_hex(pdf)
    assert receipt.certificate_fingerprint == pdfsign.certificate_summary()["fingerprint"]


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_changing_one_byte_of_the_receipt_breaks_its_signature(delivered, signing_cert, where):
    sign_receipt(delivered, link_actor(delivered), damaged_photo=False)
    pdf = bytearray(_receipt_pdf(delivered))
    position = int(len(pdf) * where)
    pdf[position] = (pdf[position] + 1) % 256

    check = pdfsign.validate_pdf(bytes(pdf))
    assert not check.valid
    assert pdfsign.sha256_hex(bytes(pdf)) != ElectronicReceipt.objects.get().pdf_sha256


def test_a_receipt_signed_by_another_certificate_is_not_trusted(delivered, signing_cert, tmp_path):
    sign_receipt(delivered, link_actor(delivered), damaged_photo=False)
    other_cert, other_key = tmp_path / "other.pem", tmp_path / "other-key.pem"
    pdfsign.make_self_signed(other_cert, other_key, common_name="冒充的公司")

    check = pdfsign.validate_pdf(_receipt_pdf(delivered), trust_roots=[other_cert])
    assert not check.valid
    assert check.intact and not check.trusted


def test_signing_the_receipt_records_the_acceptance_as_the_account_manager_would(
    delivered, signing_cert, staff
):
    actor = link_actor(delivered)
    sign_receipt(delivered, actor)
    delivered.refresh_from_db()

    assert delivered.status == "accepted"
    acceptance = Acceptance.objects.get(order=delivered)
    assert acceptance.signer == "王收货"
    assert acceptance.recorded_by is None  # the customer, not a member of the staff
    assert acceptance.receipt_name.endswith(".pdf")
    results = {line.order_line.product.name: line.result for line in acceptance.lines.all()}
    assert results == {"工业服务器A型": "accepted", "散热风扇组件": "exceptions"}
    issue = acceptance.issues.get()
    assert issue.issue_type == "damaged_packaging"
    assert IssuePhoto.objects.filter(issue=issue).count() == 1
    # The issue opened an after-sales ticket with the 24-hour response clock, owned by
    # after-sales, and the follow-up clock of the account manager started.
    ticket = AftersalesTicket.objects.get(order=delivered)
    assert ticket.source == "acceptance" and ticket.issue == issue
    assert ticket.owner == staff["as"] and ticket.opened_by is None
    response = SlaClock.objects.open().for_target(ticket).get(kind=SlaKind.AFTERSALES_RESPONSE)
    assert response.owner == staff["as"]
    assert (
        SlaClock.objects.open()
        .for_target(delivered)
        .filter(kind=SlaKind.FOLLOWUP_VISIT, owner=staff["am"])
        .exists()
    )
    # The timeline names the contact, the IP address and the browser of every step.
    events = list(OrderEvent.objects.filter(order=delivered).order_by("created_at", "id"))
    customer_rows = [e for e in events if e.payload.get("customer")]
    assert {e.action for e in customer_rows} >= {
        "accept",
        "acceptance_issue",
        "ticket_opened",
        "customer_receipt_sign",
    }
    for event in customer_rows:
        assert event.actor is None
        assert event.payload["customer"]["contact"] == "王收货"
        assert event.payload["customer"]["ip"] == CUSTOMER_IP
    signed = next(e for e in customer_rows if e.action == "customer_receipt_sign")
    assert signed.payload["receipt_sha256"] == ElectronicReceipt.objects.get().pdf_sha256


def test_a_link_of_another_order_cannot_sign_this_receipt(delivered, signing_cert, staff):
    other = make_delivered_order(staff, number="202611-202")
    with pytest.raises(Forbidden):
        sign_receipt(delivered, link_actor(other))
    delivered.refresh_from_db()
    assert delivered.status == "delivered"
    assert not Acceptance.objects.exists() and not ElectronicReceipt.objects.exists()


def test_a_revoked_link_cannot_sign(delivered, signing_cert):
    from django.utils import timezone

    actor = link_actor(delivered)
    actor.link.__class__.objects.filter(pk=actor.link.pk).update(revoked_at=timezone.now())
    with pytest.raises(Forbidden):
        sign_receipt(delivered, actor)
    assert not Acceptance.objects.exists()


def test_a_staff_user_cannot_pass_as_the_customer(delivered, signing_cert, staff):
    from core.actions import perform

    with pytest.raises(Forbidden):
        perform("customer.receipt_sign", actor=staff["am"], obj=delivered, lines=[], pdf=b"")


def test_the_receipt_needs_a_drawn_signature_a_name_and_every_line(delivered, signing_cert):
    actor = link_actor(delivered)
    server, fan = delivered.test_lines
    everything = [ReceiptLine(order_line=server, ok=True), ReceiptLine(order_line=fan, ok=True)]
    with pytest.raises(Invalid) as blank:
        receipt_sign(
            actor=actor,
            order=delivered,
            signer="王收货",
            signature_data_url=blank_signature_data_url(),
            lines=everything,
        )
    assert "signature" in blank.value.fields
    with pytest.raises(Invalid) as forged:
        receipt_sign(
            actor=actor,
            order=delivered,
            signer="王收货",
            signature_data_url="data:image/png;base64,TVqQAAMAAAAEAAAA",
            lines=everything,
        )
    assert "signature" in forged.value.fields
    with pytest.raises(Invalid) as nameless:
        receipt_sign(
            actor=actor,
            order=delivered,
            signer="  ",
            signature_data_url=signature_data_url(),
            lines=everything,
        )
    assert "signer" in nameless.value.fields
    with pytest.raises(Invalid) as missing:
        receipt_sign(
            actor=actor,
            order=delivered,
            signer="王收货",
            signature_data_url=signature_data_url(),
            lines=everything[:1],
        )
    assert "lines" in missing.value.fields
    with pytest.raises(Invalid) as undescribed:
        receipt_sign(
            actor=actor,
            order=delivered,
            signer="王收货",
            signature_data_url=signature_data_url(),
            lines=[everything[0], ReceiptLine(order_line=fan, ok=False, issue_type="quality")],
        )
    assert f"line-{fan.pk}" in undescribed.value.fields
    assert not Acceptance.objects.exists()


def test_only_a_delivered_order_is_signed_for_and_only_once(delivered, signing_cert):
    actor = link_actor(delivered)
    sign_receipt(delivered, actor, damaged_photo=False)
    with pytest.raises(WrongState):
        sign_receipt(delivered, actor, damaged_photo=False)
    assert ElectronicReceipt.objects.count() == 1


def test_without_a_certificate_nothing_is_signed_and_nothing_recorded(
    delivered, settings, tmp_path
):
    settings.PDF_SIGNING_CERT = tmp_path / "missing.pem"
    settings.PDF_SIGNING_KEY = tmp_path / "missing-key.pem"
    with pytest.raises(DomainError):
        sign_receipt(delivered, link_actor(delivered), damaged_photo=False)
    delivered.refresh_from_db()
    assert delivered.status == "delivered" and not Acceptance.objects.exists()


def test_make_signing_cert_writes_a_pair_once(settings, tmp_path):
    from django.core.management import call_command

    settings.PDF_SIGNING_CERT = tmp_path / "var" / "cert.pem"
    settings.PDF_SIGNING_KEY = tmp_path / "var" / "key.pem"
    call_command("make_signing_cert")
    first = settings.PDF_SIGNING_CERT.read_bytes()
    assert b"BEGIN CERTIFICATE" in first
    assert (settings.PDF_SIGNING_KEY.stat().st_mode & 0o777) == 0o600
    call_command("make_signing_cert")  # present: kept
    assert settings.PDF_SIGNING_CERT.read_bytes() == first
    call_command("make_signing_cert", "--force")
    assert settings.PDF_SIGNING_CERT.read_bytes() != first
