"""API clients, their keys, the call log, idempotency records and webhook subscriptions.

An integration (an ERP, the MES, finance) is an :class:`ApiClient`. It acts as a named
*technical user* (``user``) who is a member of the client's role group(s), so every
action it runs through :func:`core.actions.perform` sees the same predicates as a person:
four eyes, states, read-only archives. Its :class:`ApiKey` rows hold only a SHA-256 of
the secret; the key is shown once when it is made (docs/api.md).
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiScope(models.TextChoices):
    """What a client may touch at all; the role's predicates decide the rest."""

    READ = "read", _("Read")
    WRITE = "write", _("Write")
    WEBHOOKS = "webhooks", _("Webhooks")
    INTEGRATIONS = "integrations", _("ERP / MES exchange")
    FINANCE = "finance", _("Finance")


def default_scopes() -> list[str]:
    return [ApiScope.READ.value, ApiScope.WRITE.value]


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    # The named technical user the client acts as; its groups are the client's roles.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technical user"),
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    scopes = models.JSONField(_("scopes"), default=default_scopes, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Requests per minute; 0 = the default of the settings (API_RATE_LIMIT_PER_MINUTE).
    rate_limit_per_minute = models.PositiveIntegerField(_("rate limit per minute"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def rate_limit(self) -> int:
        return self.rate_limit_per_minute or int(
            getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600)
        )

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True, client__active=True)


class ApiKey(models.Model):
    """One key of a client: ``<prefix>.<secret>``; the prefix finds the row, the secret's
    SHA-256 proves it. Rotating makes a new key and revokes the old one."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="keys"
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiCallLog(models.Model):
    """One API call: who, what, the answer and how long it took."""

    client = models.ForeignKey(
        ApiClient,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="calls",
        null=True,
        blank=True,
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    status = models.PositiveSmallIntegerField(_("status"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["client", "-at"], name="api_call_client_at_idx"),
            models.Index(fields=["-at"], name="api_call_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an ``Idempotency-Key``: a retry gets it again."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=200)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_unique")
        ]

    def __str__(self) -> str:
        return self.key


class WebhookSubscription(models.Model):
    """A client's wish to be told about ``event_types`` at ``url``, signed with ``secret``.

    The secret is kept in clear because it signs every delivery (HMAC-SHA256); it is shown
    once when the subscription is made and never again.
    """

    client = models.ForeignKey(
        ApiClient,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["client", "id"]

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    GIVEN_UP = "given_up", _("Given up")


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription; the delivery log."""

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_type = models.CharField(_("event type"), max_length=64)
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    outbox_message = models.ForeignKey(
        "core.OutboxMessage",
        verbose_name=_("outgoing message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["subscription", "-created_at", "-id"], name="api_delivery_sub_idx"
            ),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="api_delivery_open_idx",
            ),
        ]
        constraints = [
            # One delivery of one event per subscription: a repeated event adds nothing.
            models.UniqueConstraint(fields=["subscription", "event_id"], name="api_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id}"
