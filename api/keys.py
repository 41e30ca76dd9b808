"""API keys: made, checked, rotated and revoked (docs/api.md, "Clients and keys").

A key is ``<prefix>.<secret>``: the prefix (12 characters) finds the row, the secret
(43 characters, 256 bits) is checked against its SHA-256 in constant time. Only the hash
is stored, so a key is shown once — by ``api_client_create`` / ``api_key_rotate`` or the
admin action — and never again.
"""

from __future__ import annotations

import hmac
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from api.models import ApiClient, ApiKey
from core import roles
from core.errors import Invalid

PREFIX_LENGTH = 12


def _new_key(client: ApiClient) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        client=client, prefix=prefix, secret_hash=ApiKey.hash_secret(secret)
    )
    return key, f"{prefix}.{secret}"


@transaction.atomic
def api_client_create(
    *, name: str, roles_: list[str], scopes: list[str] | None = None, rate_limit: int = 0
) -> tuple[ApiClient, str]:
    """Make a client, its technical user (member of ``roles_``) and its first key.

    Returns the client and the key in clear — the only time it exists in clear."""
    unknown = [r for r in roles_ if r not in roles.ALL_ROLES]
    if unknown or not roles_:
        raise Invalid(fields={"role": [f"unknown role: {', '.join(unknown) or '-'}"]})
    if ApiClient.objects.filter(name=name).exists():
        raise Invalid(fields={"name": ["an API client with this name exists"]})
    user_model = get_user_model()
    username = f"api-{name}"[:150]
    user = user_model.objects.create_user(username=username, first_name=name[:150])
    user.set_unusable_password()  # a technical user never logs in to the pages
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles_))
    client = ApiClient.objects.create(
        name=name,
        user=user,
        scopes=list(scopes) if scopes else ["read", "write"],
        rate_limit_per_minute=rate_limit,
    )
    _key, clear = _new_key(client)
    return client, clear


@transaction.atomic
def api_key_rotate(*, client: ApiClient) -> str:
    """A new key for ``client``; its other keys are revoked. Returns the new key in clear."""
    now = timezone.now()
    client.keys.filter(revoked_at__isnull=True).update(revoked_at=now, rotated_at=now)
    _key, clear = _new_key(client)
    return clear


@transaction.atomic
def api_key_revoke(*, client: ApiClient) -> int:
    """Revoke every key of ``client``; returns how many."""
    return client.keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_key_check(raw: str) -> ApiClient | None:
    """The active client ``raw`` is a valid key of, or None."""
    prefix, dot, secret = raw.strip().partition(".")
    if not dot or len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 100:
        return None
    # The technical user's permissions come with the key, in the same query: the
    # permission checks of the call then read them without two more round trips
    # (ModelBackend reads ``_perm_cache`` first).
    granted = (
        Permission.objects.filter(
            Q(group__user=OuterRef("client__user")) | Q(user=OuterRef("client__user"))
        )
        .annotate(perm=Concat("content_type__app_label", Value("."), "codename"))
        .values("perm")
    )
    key = (
        ApiKey.objects.usable()
        .select_related("client__user")
        .annotate(granted=ArraySubquery(granted))
        .filter(prefix=prefix)
        .first()
    )
    if key is None:
        return None
    if not hmac.compare_digest(key.secret_hash, ApiKey.hash_secret(secret)):
        return None
    user = key.client.user
    if not user.is_active:
        return None
    if not user.is_superuser:
        user._perm_cache = set(key.granted)  # type: ignore[attr-defined]
    return key.client
