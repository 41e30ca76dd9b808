"""core.pdfsign: a signed PDF validates; junk, an unsigned file or a changed one does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import pdfsign


@pytest.fixture
def cert(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    pdfsign.make_self_signed(cert, key, common_name="测试签章")
    settings.PDF_SIGNING_CERT, settings.PDF_SIGNING_KEY = cert, key
    settings.PDF_SIGNING_CHAIN = []
    return cert


UNSIGNED = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_a_signed_pdf_validates_and_says_who_signed(cert):
    from core.pdf import render_pdf

    signed = pdfsign.sign_pdf(render_pdf("pdf/base.html", {}), reason="测试", location="上海")
    check = pdfsign.validate_pdf(signed)
    assert check.valid and check.trusted and check.covers_whole_file
    assert "测试签章" in check.signer
    assert pdfsign.signing_configured()


@pytest.mark.parametrize("junk", [b"", b"not a pdf", UNSIGNED, b"%PDF-1.7\n" + b"\x00" * 100])
def test_junk_or_an_unsigned_file_is_not_valid_and_raises_nothing(cert, junk):
    check = pdfsign.validate_pdf(junk)
    assert not check.valid and check.problem


def test_without_the_files_nothing_is_configured(settings, tmp_path):
    settings.PDF_SIGNING_CERT = tmp_path / "none.pem"
    settings.PDF_SIGNING_KEY = tmp_path / "none-key.pem"
    assert not pdfsign.signing_configured()
