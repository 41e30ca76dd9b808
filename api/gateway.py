"""What every API call passes through before and after its operation (docs/api.md).

:func:`gateway` wraps each view of the NinjaAPI (api/urls.py does it for every URL):

1. the key in ``Authorization: Bearer <key>`` is checked; the call then runs as the
   client's technical user (``request.user``), never as a browser session;
2. the client's rate limit (requests per minute, counted in Redis) answers 429 with
   ``Retry-After`` when spent;
3. a write (POST, PUT, PATCH, DELETE) runs in one transaction which is rolled back when
   the answer is 4xx or 5xx: a refused request writes nothing;
4. a POST with an ``Idempotency-Key`` is run once per client and key: the same key with
   the same body answers the stored first result (``Idempotent-Replayed: true``), with
   another body 422. Only successful answers are stored: a refused request changed
   nothing and may be retried as it is;
5. the call is logged (:class:`api.models.ApiCallLog`): client, method, path, status,
   duration.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from api.keys import api_key_check
from api.models import ApiCallLog, ApiClient, IdempotencyRecord
from api.problems import (
    MSG_IDEMPOTENCY_REUSED,
    MSG_RATE_LIMITED,
    problem_body,
    problem_response,
)
from core.errors import Invalid, problem

logger = logging.getLogger(__name__)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
REPLAYED_HEADERS = ("ETag", "Location")
_redis: Any = None


def _redis_client() -> Any:
    global _redis
    url: str = settings.REDIS_URL or ""
    if _redis is None and url:
        import redis

        _redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return _redis


def rate_limit_wait(client: ApiClient, now: float | None = None) -> int:
    """0 if ``client`` may call now, else the seconds until its next window."""
    now = time.time() if now is None else now
    window = int(now // 60)
    key = f"api:rate:{settings.DATABASES['default']['NAME']}:{client.pk}:{window}"
    try:
        redis = _redis_client()
        if redis is not None:
            pipe = redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, 61)
            count = int(pipe.execute()[0])
        else:
            from django.core.cache import cache

            cache.add(key, 0, 61)
            count = int(cache.incr(key))
    except Exception:  # a Redis outage must not stop the integrations
        logger.warning("API rate limit not counted (Redis unavailable)", exc_info=True)
        return 0
    if count > client.rate_limit:
        return max(1, 60 - int(now % 60))
    return 0


def request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body or b"")
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    body = record.response_body
    response = HttpResponse(
        b"" if body is None else json.dumps(body, ensure_ascii=False),
        status=record.response_status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in (record.response_headers or {}).items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _json_of(response: HttpResponse) -> Any:
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


def _run_write(
    request: HttpRequest, view: Callable[..., HttpResponse], *args: Any, **kwargs: Any
) -> HttpResponse:
    client: ApiClient | None = getattr(request, "api_client", None)
    key = request.headers.get("Idempotency-Key", "") if request.method == "POST" else ""
    if key and (len(key) > 200 or not key.isprintable()):
        return problem_response(
            problem(Invalid(fields={"Idempotency-Key": ["at most 200 printable characters"]}))
        )
    with transaction.atomic():
        fingerprint = ""
        if key and client is not None:
            fingerprint = request_hash(request)
            # One request per client and key at a time: a concurrent retry waits here.
            lock_id = int.from_bytes(
                hashlib.sha256(f"{client.pk}:{key}".encode()).digest()[:8], "big", signed=True
            )
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
            record = IdempotencyRecord.objects.filter(client=client, key=key).first()
            if record is not None:
                if record.request_hash != fingerprint:
                    return problem_response(
                        problem_body(422, "idempotency_key_reused", MSG_IDEMPOTENCY_REUSED)
                    )
                return _replay(record)
        response = view(request, *args, **kwargs)
        if response.status_code >= 400:
            transaction.set_rollback(True)
        elif fingerprint and client is not None:
            IdempotencyRecord.objects.create(
                client=client,
                key=key,
                request_hash=fingerprint,
                response_status=response.status_code,
                response_body=_json_of(response),
                response_headers={h: response[h] for h in REPLAYED_HEADERS if h in response},
            )
    return response


def gateway(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a view of the API: key, rate limit, transaction, idempotency, call log."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        started = time.monotonic()
        header = request.headers.get("Authorization", "")
        client = api_key_check(header[7:]) if header[:7].lower() == "bearer " else None
        request.api_client = client  # type: ignore[attr-defined]
        request.user = client.user if client is not None else AnonymousUser()
        response: HttpResponse | None = None
        try:
            wait = rate_limit_wait(client) if client is not None else 0
            if wait:
                response = problem_response(
                    problem_body(429, "rate_limited", MSG_RATE_LIMITED % {"seconds": wait}),
                    Retry_After=str(wait),
                )
            elif request.method in WRITE_METHODS:
                response = _run_write(request, view, *args, **kwargs)
            else:
                response = view(request, *args, **kwargs)
            return response
        finally:
            status = response.status_code if response is not None else 500
            try:
                ApiCallLog.objects.create(
                    client=client,
                    method=(request.method or "")[:10],
                    path=request.path[:300],
                    status=status,
                    duration_ms=int((time.monotonic() - started) * 1000),
                )
            except Exception:  # the log must never turn an answer into an error
                logger.warning("API call not logged", exc_info=True)

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # a key, not a cookie, authenticates
    return login_not_required(csrf_exempt(wrapped))
