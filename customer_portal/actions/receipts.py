"""The electronic delivery receipt (电子签收): the customer signs for the delivery on their
phone (docs/decisions/0013-signed-delivery-receipts.md).

On arrival the receiving person confirms each line — OK, or an issue with its type,
photos from the camera and a note — signs with a finger and types their name.
:func:`receipt_sign` then

1. renders the receipt PDF (WeasyPrint; the signature image, time, place, who opened the
   link from where, each line's result and the photos' thumbnails) and signs it with the
   company's certificate (:mod:`core.pdfsign`, pyHanko) — before any row is locked: the
   slow part holds no lock;
2. performs ``customer.receipt_sign``: the customer's step (the link valid for this order,
   the order delivered), whose effect performs the SAME ``aftersales.acceptance_record``
   as the account manager's form — the order moves to accepted, each issue is recorded
   with its photos and opens an after-sales ticket with the 24-hour response clock, the
   follow-up clock starts — with the signed PDF as the acceptance's signed receipt, and
   keeps the signature, place, IP, browser and the PDF's SHA-256 with the order
   (:class:`aftersales.models.ElectronicReceipt`).
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from aftersales.actions import LineInput, make_thumbnail, photo_validate
from aftersales.models import ElectronicReceipt, IssueType, LineResult
from aftersales.predicates import admit_customer
from core import pdfsign
from core.actions import Step, perform, refusal
from core.errors import Invalid
from core.pdf import render_pdf
from customer_portal.access import LinkActor, customer_action, link_grants
from orders.models import Order, OrderStatus

# The customer's own steps run the after-sales actions the staff run (acceptance, issue,
# ticket, visit, rating): after-sales admits the order's customer by the link check.
admit_customer(link_grants)

SIGNATURE_MAX_BYTES = 300 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A signature is at least a stroke: this many inked pixels on the canvas.
SIGNATURE_MIN_INK = 40
PHOTOS_PER_LINE = 5

MSG_SIGNATURE_REQUIRED = _("Please sign with your finger in the box.")
MSG_SIGNATURE_BAD = _("The signature could not be read; please sign again.")
MSG_NAME_REQUIRED = _("Please enter your full name.")
MSG_LINE_RESULT = _("Please confirm every line: OK or report an issue.")
MSG_ISSUE_TYPE = _("Please choose what is wrong with %(product)s.")
MSG_ISSUE_NOTE = _("Please describe the issue with %(product)s.")
MSG_TOO_MANY_PHOTOS = _("At most %(count)s photos per line.")
MSG_NO_CERTIFICATE = _(
    "The receipt cannot be signed right now. Please try again later or call your account manager."
)

RECEIPT_PDF_TEMPLATE = "customer_portal/receipt_pdf.html"


@dataclass
class ReceiptLine:
    """What the customer said about one order line."""

    order_line: Any
    ok: bool
    issue_type: str = ""
    note: str = ""
    photos: list[Any] = field(default_factory=list)

    @property
    def issue_label(self) -> str:
        return str(dict(IssueType.choices).get(self.issue_type, "")) if self.issue_type else ""


def signature_png(data_url: str) -> bytes:
    """The PNG of a canvas signature (``data:image/png;base64,...``): a real PNG, within the
    size limit, with ink on it — an empty canvas or a forged payload is refused."""
    from PIL import Image, UnidentifiedImageError

    def bad(message: Any = MSG_SIGNATURE_BAD) -> Invalid:
        return Invalid(message, fields={"signature": [str(message)]})

    prefix = "data:image/png;base64,"
    data_url = (data_url or "").strip()
    if not data_url:
        raise bad(MSG_SIGNATURE_REQUIRED)
    if not data_url.startswith(prefix) or len(data_url) > SIGNATURE_MAX_BYTES * 4 // 3 + 64:
        raise bad()
    try:
        png = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad() from exc
    if not png.startswith(PNG_MAGIC) or len(png) > SIGNATURE_MAX_BYTES:
        raise bad()
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.width > 2000 or image.height > 1000:
                raise bad()
            alpha = image.convert("RGBA").getchannel("A")
            histogram = alpha.histogram()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise bad() from exc
    inked = sum(histogram[128:])
    if inked < SIGNATURE_MIN_INK:
        raise bad(MSG_SIGNATURE_REQUIRED)
    return png


def check_lines(order: Order, lines: list[ReceiptLine]) -> None:
    """Every line confirmed; an issue names its type and is described; photos are images."""
    errors: dict[str, list[str]] = {}
    known = {line.pk for line in order.lines.all()}
    if {item.order_line.pk for item in lines} != known:
        errors["lines"] = [str(MSG_LINE_RESULT)]
    for item in lines:
        product = item.order_line.product.name
        key = f"line-{item.order_line.pk}"
        if item.ok:
            continue
        if item.issue_type not in IssueType.values:
            errors.setdefault(key, []).append(str(MSG_ISSUE_TYPE % {"product": product}))
        if not item.note.strip():
            errors.setdefault(key, []).append(str(MSG_ISSUE_NOTE % {"product": product}))
        if len(item.photos) > PHOTOS_PER_LINE:
            errors.setdefault(key, []).append(str(MSG_TOO_MANY_PHOTOS % {"count": PHOTOS_PER_LINE}))
        for photo in item.photos:
            try:
                photo_validate(photo)
            except Exception as exc:  # ValidationError / Invalid: shown with the line
                messages = getattr(exc, "messages", None) or [str(exc)]
                errors.setdefault(key, []).extend(str(m) for m in messages)
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def receipt_context(
    *,
    order: Order,
    actor: LinkActor,
    signer: str,
    signed_at: datetime,
    place: str,
    position: str,
    signature: bytes,
    lines: list[ReceiptLine],
) -> dict[str, Any]:
    """What the receipt PDF shows (no prices: the receipt is about goods, not money)."""
    rows = []
    for item in lines:
        thumbs = []
        for photo in item.photos:
            thumbs.append(_data_uri(make_thumbnail(photo).read(), "image/jpeg"))
        rows.append({"item": item, "line": item.order_line, "thumbs": thumbs})
    shipments = []
    if hasattr(order, "shipments"):
        shipments = list(order.shipments.order_by("sequence"))
    return {
        "order": order,
        "customer": order.customer,
        "rows": rows,
        "issues": sum(not item.ok for item in lines),
        "signer": signer,
        "signed_at": timezone.localtime(signed_at),
        "place": place,
        "position": position,
        "signature_uri": _data_uri(signature, "image/png"),
        "contact": actor.contact,
        "ip": actor.ip or "",
        "user_agent": actor.user_agent,
        "shipments": shipments,
        "portal_company": settings.PORTAL_COMPANY,
    }


def receipt_pdf(context: dict[str, Any]) -> bytes:
    """The receipt PDF, signed with the company's certificate, in the company's language
    (the document of record; the customer's page follows the reader's language)."""
    if not pdfsign.signing_configured():
        raise Invalid(MSG_NO_CERTIFICATE)
    with translation.override(settings.LANGUAGE_CODE):
        pdf = render_pdf(RECEIPT_PDF_TEMPLATE, context)
        order = context["order"]
        return pdfsign.sign_pdf(
            pdf,
            reason=f"电子签收 {order.number}",
            location=context["place"][:100],
            contact=context["signer"],
        )


def receipt_sign(
    *,
    actor: LinkActor,
    order: Order,
    signer: str,
    signature_data_url: str,
    lines: list[ReceiptLine],
    place: str = "",
    position: str = "",
) -> ElectronicReceipt:
    """The customer signs the delivery receipt (see the module doc). Checks the input, makes
    and signs the PDF outside any lock, then performs ``customer.receipt_sign``."""
    # Refused as the step would be (signed already, not delivered, link revoked) before
    # the input is checked and a PDF made for nothing.
    refused = refusal("customer.receipt_sign", actor, order)
    if refused is not None:
        raise refused
    signer = (signer or "").strip()[:50]
    if not signer:
        raise Invalid(MSG_NAME_REQUIRED, fields={"signer": [str(MSG_NAME_REQUIRED)]})
    signature = signature_png(signature_data_url)
    check_lines(order, lines)
    place = (place or order.delivery_address or "").strip()[:300]
    position = (position or "").strip()[:80]
    signed_at = timezone.now()
    pdf = receipt_pdf(
        receipt_context(
            order=order,
            actor=actor,
            signer=signer,
            signed_at=signed_at,
            place=place,
            position=position,
            signature=signature,
            lines=lines,
        )
    )
    result: ElectronicReceipt = perform(
        "customer.receipt_sign",
        actor=actor,
        obj=order,
        signer=signer,
        signature=signature,
        signed_at=signed_at,
        place=place,
        position=position,
        lines=lines,
        pdf=pdf,
    )
    return result


@customer_action(
    "customer.receipt_sign",
    label=_("%(contact)s signed the delivery receipt online (SHA-256 %(sha)s…)"),
    states=(OrderStatus.DELIVERED,),
)
def receipt_sign_step(step: Step[Order]) -> ElectronicReceipt:
    """The customer's signed receipt becomes the order's acceptance: the same
    ``aftersales.acceptance_record`` as the account manager's, with the signed PDF as the
    signed receipt; the signature and the PDF's SHA-256 stay with the order."""
    order = step.obj
    actor: LinkActor = step.actor
    params = step.params
    pdf: bytes = params["pdf"]
    signed_at: datetime = params["signed_at"]
    digest = pdfsign.sha256_hex(pdf)
    inputs = [
        LineInput(
            order_line_id=item.order_line.pk,
            result=LineResult.ACCEPTED if item.ok else LineResult.EXCEPTIONS,
            quantity=Decimal(item.order_line.quantity),
            issue_type="" if item.ok else item.issue_type,
            description="" if item.ok else item.note.strip(),
            photos=[] if item.ok else list(item.photos),
        )
        for item in params["lines"]
    ]
    acceptance = perform(
        "aftersales.acceptance_record",
        actor=actor,
        obj=order,
        signer=params["signer"],
        signed_on=timezone.localtime(signed_at).date(),
        receipt=ContentFile(pdf, name=f"receipt-{order.number or order.pk}.pdf"),
        lines=inputs,
    )
    certificate = pdfsign.certificate_summary()
    receipt = ElectronicReceipt(
        acceptance=acceptance,
        signer=params["signer"],
        signed_at=signed_at,
        place=params.get("place") or "",
        position=params.get("position") or "",
        contact_id_ref=actor.contact.pk,
        contact_name=actor.contact.name[:50],
        ip=actor.ip,
        user_agent=actor.user_agent,
        pdf_sha256=digest,
        certificate_subject=certificate["subject"][:300],
        certificate_fingerprint=certificate["fingerprint"],
    )
    receipt.signature.save("signature.png", ContentFile(params["signature"]), save=False)
    receipt.full_clean(exclude=["signature", "acceptance"])
    receipt.save()
    step.payload["receipt_sha256"] = digest
    step.payload["msg_params"] = {"sha": digest[:12]}
    return receipt
