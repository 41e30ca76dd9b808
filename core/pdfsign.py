"""Digitally signed PDFs: sign a document with the company's certificate, check a signature.

A document that must hold up in a dispute (the customer's electronic delivery receipt,
docs/decisions/0013-signed-delivery-receipts.md) is rendered with WeasyPrint
(:mod:`core.pdf`) and then signed here with pyHanko: a PAdES signature over the whole
file, made with the company's private key and certificate. Any change to the file
afterwards — one byte — breaks the signature, and any PDF reader (or
:func:`validate_pdf`) shows it. The SHA-256 of the signed file is kept beside it so a copy
can also be matched by its hash alone.

The certificate and key are files named by settings (``PDF_SIGNING_CERT``,
``PDF_SIGNING_KEY``, optional ``PDF_SIGNING_KEY_PASSPHRASE`` and ``PDF_SIGNING_CHAIN``):
a real certificate in production, a self-signed one for the demo, made by
``manage.py make_signing_cert`` (``make run`` makes it when it is missing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

SIGNATURE_FIELD = "CompanySignature"
T = TypeVar("T")


def _outside_event_loop(function: Callable[[], T]) -> T:
    """Run ``function`` where no asyncio loop runs: pyHanko's synchronous API calls
    ``asyncio.run``, which refuses inside a running loop (an ASGI worker, a test driving
    a browser); there it runs in a worker thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


@dataclass(frozen=True)
class SignatureCheck:
    """What :func:`validate_pdf` found. ``valid`` is the bottom line: the signed bytes are
    unchanged, the signature is cryptographically sound, it covers the whole file and the
    certificate chains up to a trusted root."""

    valid: bool
    intact: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    signer: str = ""
    signed_at: dt.datetime | None = None
    problem: str = ""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the configured certificate -----------------------------------------------------------
def _setting_path(name: str) -> Path:
    value = getattr(settings, name, None)
    if not value:
        raise ImproperlyConfigured(f"{name} is not set")
    return Path(value)


def signing_paths() -> tuple[Path, Path]:
    """(certificate, private key) as the settings name them."""
    return _setting_path("PDF_SIGNING_CERT"), _setting_path("PDF_SIGNING_KEY")


def signing_configured() -> bool:
    """Whether the certificate and key files exist (a document can be signed)."""
    try:
        cert, key = signing_paths()
    except ImproperlyConfigured:
        return False
    return cert.is_file() and key.is_file()


def _chain_paths() -> list[Path]:
    chain = getattr(settings, "PDF_SIGNING_CHAIN", None) or []
    if isinstance(chain, (str, Path)):
        chain = [chain]
    return [Path(p) for p in chain if p]


def load_signer() -> Any:
    """The pyHanko signer made of the configured key and certificate (and chain)."""
    from pyhanko.sign import signers

    cert, key = signing_paths()
    if not (cert.is_file() and key.is_file()):
        raise ImproperlyConfigured(
            f"the signing certificate {cert} or key {key} is missing "
            "(manage.py make_signing_cert makes a self-signed pair for the demo)"
        )
    passphrase = getattr(settings, "PDF_SIGNING_KEY_PASSPHRASE", "") or None
    signer = signers.SimpleSigner.load(
        key_file=str(key),
        cert_file=str(cert),
        ca_chain_files=[str(p) for p in _chain_paths()] or None,
        key_passphrase=passphrase.encode() if passphrase else None,
    )
    if signer is None:  # pyHanko logs why and returns None
        raise ImproperlyConfigured(f"cannot load the signing key {key} / certificate {cert}")
    return signer


def certificate_summary(cert_path: Path | None = None) -> dict[str, str]:
    """Subject, issuer, validity and SHA-256 fingerprint of the signing certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    path = cert_path or signing_paths()[0]
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
    }


# --- signing ----------------------------------------------------------------------------
def sign_pdf(
    pdf: bytes,
    *,
    reason: str = "",
    location: str = "",
    contact: str = "",
    signer: Any = None,
) -> bytes:
    """``pdf`` with the company's signature over the whole file (an incremental update)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    signer = signer or load_signer()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        reason=reason or None,
        location=location or None,
        contact_info=contact or None,
        md_algorithm="sha256",
    )
    # A fixed reservation spares pyHanko a dummy signature to measure the size.
    out = _outside_event_loop(
        lambda: signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=16384)
    )
    return bytes(out.getvalue())


# --- checking ---------------------------------------------------------------------------
def _trust_roots(extra: list[Path] | None) -> list[Any]:
    from pyhanko.keys import load_cert_from_pemder

    paths = list(extra or [])
    if not paths:
        cert, _key = signing_paths()
        paths = [cert, *_chain_paths()]
    return [load_cert_from_pemder(str(p)) for p in paths if Path(p).is_file()]


def validate_pdf(pdf: bytes, *, trust_roots: list[Path] | None = None) -> SignatureCheck:
    """Check the (first) signature of ``pdf`` against the trusted roots (by default the
    configured certificate and its chain). Never raises: a file that is not a PDF, has
    no signature or was changed is reported as not valid, with the reason."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        if not signatures:
            return SignatureCheck(valid=False, problem="no signature")
        context = ValidationContext(trust_roots=_trust_roots(trust_roots))
        status = _outside_event_loop(lambda: validate_pdf_signature(signatures[0], context))
    except (SignatureValidationError, ValueError, KeyError, TypeError, OSError) as exc:
        return SignatureCheck(valid=False, problem=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a damaged file can fail anywhere in the PDF parser
        logger.info("pdf signature check failed: %s", exc)
        return SignatureCheck(valid=False, problem=f"{type(exc).__name__}: {exc}")
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    signer = ""
    if status.signing_cert is not None:
        signer = status.signing_cert.subject.human_friendly
    return SignatureCheck(
        valid=bool(status.bottom_line) and covers,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=covers,
        signer=signer,
        signed_at=status.signer_reported_dt,
        problem="" if status.bottom_line and covers else status.summary(),
    )


# --- the demo certificate ---------------------------------------------------------------
def make_self_signed(
    cert_path: Path,
    key_path: Path,
    *,
    common_name: str,
    organization: str = "",
    days: int = 3 * 365,
) -> None:
    """Write a self-signed certificate and its RSA key (PEM) for signing documents.

    For the demo and tests only: a real deployment names a certificate from a CA
    (``PDF_SIGNING_CERT`` / ``PDF_SIGNING_KEY``). The key file is readable by its owner only.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    name = x509.Name(attributes)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path.touch(mode=0o600, exist_ok=True)
    key_path.chmod(0o600)
    key_path.write_bytes(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
