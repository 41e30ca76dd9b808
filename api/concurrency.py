"""Optimistic concurrency: ``ETag`` on reads, ``If-Match`` on updates and actions.

A row's ETag is its id and ``updated_at`` (which every save moves). An update or an action
sent with ``If-Match`` locks the row first (the gateway's write transaction holds the lock
until the action, which locks it again, is done) and answers 412 when the tag is no longer
the row's: somebody changed it since the client read it. Without ``If-Match`` the write
is not checked (the action's own state checks still apply).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from api.problems import MSG_STALE, ApiProblem


def etag_of(obj: models.Model) -> str:
    stamp = getattr(obj, "updated_at", None)
    micros = int(stamp.timestamp() * 1_000_000) if stamp else 0
    return f'"{obj.pk}-{micros}"'


def check_if_match(request: HttpRequest, obj: models.Model) -> None:
    """Refuse (412) a write whose ``If-Match`` is not ``obj``'s current ETag."""
    wanted = request.headers.get("If-Match", "").strip()
    if not wanted or wanted == "*":
        return
    tags = [t.strip().removeprefix("W/") for t in wanted.split(",")]
    if etag_of(obj) not in tags:
        raise ApiProblem(412, "precondition_failed", MSG_STALE)


def locked(queryset: models.QuerySet[Any], pk: int) -> Any:
    """The row ``pk`` of ``queryset``, locked for the rest of the write (404 if missing)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(queryset.select_for_update(of=("self",)), pk=pk)


def with_etag(response: HttpResponse, obj: models.Model) -> HttpResponse:
    response["ETag"] = etag_of(obj)
    return response
