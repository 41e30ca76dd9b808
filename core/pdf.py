"""PDF documents: render a Django template with WeasyPrint.

Every business document (docs/workflow.md §7) is a page and a PDF. The PDF templates
extend ``pdf/base.html``, which carries a small print stylesheet of its own:
WeasyPrint gets slow with a large CSS framework, and Bootstrap is not needed
on paper. Chinese prints because "Noto Sans CJK SC" comes first in every font
stack (docs/decisions/0008-pdf-fonts.md).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

PDF_CONTENT_TYPE = "application/pdf"


def render_pdf(
    template_name: str, context: dict[str, Any], request: HttpRequest | None = None
) -> bytes:
    """The PDF of ``template_name`` rendered with ``context``."""
    # Imported here: WeasyPrint loads Pango and fonts, which only PDF views need.
    from weasyprint import HTML, URLFetcher

    html = render_to_string(template_name, context, request=request)
    # Relative URLs resolve to the project folder and only data:/file: URLs are
    # fetched: a document never reaches the network, and never this web server
    # (a fetch from ourselves would block a single-threaded dev server).
    fetcher = URLFetcher(allowed_protocols=("data", "file"))
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def content_disposition(filename: str, *, inline: bool = True) -> str:
    """A Content-Disposition header for a (Chinese) file name.

    ``filename*`` (RFC 5987/6266) carries the UTF-8 name; the plain ``filename``
    is an ASCII fallback for old clients that do not read ``filename*``.
    """
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "").strip(" -_.")
    if not fallback or fallback.lower() == "pdf":
        fallback = "document.pdf"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def pdf_response(
    template_name: str,
    context: dict[str, Any],
    *,
    filename: str,
    request: HttpRequest | None = None,
    inline: bool = False,
) -> HttpResponse:
    """An HTTP response with the rendered PDF, downloaded as ``filename`` by default."""
    response = HttpResponse(
        render_pdf(template_name, context, request), content_type=PDF_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    # Documents carry prices and phone numbers: never keep them in a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
