"""Helpers the routers share: read permissions and list parameters."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Schema
from pydantic import Field

from core.errors import Forbidden


def require_perm(request: HttpRequest, *perms: str) -> None:
    """Refuse (403) a client whose role lacks every one of ``perms``."""
    if not any(request.user.has_perm(perm) for perm in perms):
        raise Forbidden()


class PageParams(Schema):
    cursor: str | None = Field(
        None, max_length=200, description="`next_cursor` of the page before."
    )
    limit: int = Field(50, ge=1, le=500)


class ListParams(PageParams):
    updated_since: datetime | None = Field(
        None,
        description="Only rows changed at or after this moment, oldest change first (sync).",
    )


__all__ = ["ListParams", "PageParams", "Query", "require_perm"]
