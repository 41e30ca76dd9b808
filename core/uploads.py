"""Private uploads: checked by content and size, stored under a random name.

Files live in MEDIA_ROOT, which no URL serves directly; apps serve them
through views that check the user's permission (see :func:`private_file_response`).
"""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FileKind:
    name: str
    extensions: tuple[str, ...]
    signatures: tuple[bytes, ...]
    content_type: str


PDF = FileKind("PDF", (".pdf",), (b"%PDF-",), "application/pdf")
JPEG = FileKind("JPEG", (".jpg", ".jpeg"), (b"\xff\xd8\xff",), "image/jpeg")
PNG = FileKind("PNG", (".png",), (b"\x89PNG\r\n\x1a\n",), "image/png")
DOCUMENT_KINDS = (PDF, JPEG, PNG)
IMAGE_KINDS = (JPEG, PNG)

MSG_TOO_LARGE = _("The file is %(size)s; the largest file accepted is %(limit)s.")
MSG_EMPTY = _("The file is empty.")
MSG_BAD_TYPE = _("Only %(kinds)s files are accepted.")
MSG_MISMATCH = _(
    "The file's content is not a %(kind)s file although its name ends in %(ext)s; "
    "it may be renamed from another type."
)


def detect_kind(upload: UploadedFile, kinds: tuple[FileKind, ...]) -> FileKind | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for kind in kinds:
        if any(head.startswith(signature) for signature in kind.signatures):
            return kind
    return None


def validate_upload(
    upload: UploadedFile,
    *,
    kinds: tuple[FileKind, ...] = DOCUMENT_KINDS,
    max_bytes: int | None = None,
) -> FileKind:
    """Accept ``upload`` only if its name *and* its first bytes agree on an allowed kind."""
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            MSG_TOO_LARGE,
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    if not upload.size:
        raise ValidationError(MSG_EMPTY, code="empty")
    kind_names = "、".join(kind.name for kind in kinds)
    ext = PurePath(upload.name or "").suffix.lower()
    by_ext = next((kind for kind in kinds if ext in kind.extensions), None)
    if by_ext is None:
        raise ValidationError(MSG_BAD_TYPE, code="bad_type", params={"kinds": kind_names})
    if detect_kind(upload, (by_ext,)) is None:
        raise ValidationError(
            MSG_MISMATCH, code="mismatch", params={"kind": by_ext.name, "ext": ext}
        )
    return by_ext


def safe_original_name(name: str, max_length: int = 200) -> str:
    """The user's file name without any directory part, for display and download only."""
    base = PurePath(name.replace("\\", "/")).name.strip() or "file"
    return base[-max_length:]


@deconstructible
class PrivateUploadTo:
    """``upload_to``: a random name in ``folder``, so user-supplied names
    (``../../etc/passwd``, clashing names) never reach the file system."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance: object, filename: str) -> str:
        ext = PurePath(filename).suffix.lower()[:10]
        return f"{self.folder}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrivateUploadTo) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def private_file_response(field_file, download_name: str, *, inline: bool = True) -> FileResponse:  # type: ignore[no-untyped-def]
    content_type = mimetypes.guess_type(download_name)[0] or "application/octet-stream"
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as missing:  # the row outlived its file (a restore, a purge)
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=download_name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
