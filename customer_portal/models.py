"""The customer's side (docs/decisions/0014-customer-links-and-sms.md).

* :class:`CustomerPortalSettings` — the company's choices for the customer pages (one row):
  whether prices are shown, whether production waits for the customer's confirmation,
  how long a link lives, the compensation offered on a delivery at risk.
* :class:`CustomerLink` — a signed, expiring, revocable link for one order and one contact.
  The token is an HMAC of the link's id and a random nonce under ``SECRET_KEY``
  (:func:`django.utils.crypto.salted_hmac`): nothing secret is stored, the current link can
  be printed again (``manage.py customer_link``), a forged or truncated token never matches.
* :class:`CustomerConfirmation` — the customer's confirmation of the order (需求确认双签) or
  their request for a change, with the signature and what they saw.
* :class:`DeliveryRiskOffer` — the options offered 48 hours before a delivery at risk and
  the customer's choice.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.uploads import PrivateUploadTo

TOKEN_SALT = "customer_portal.link"  # noqa: S105 (an HMAC salt, not a secret)
# The HMAC is cut to 18 bytes (144 bits): 24 characters of base64, short enough for an SMS.
TOKEN_MAC_BYTES = 18


class CustomerPortalSettings(models.Model):
    """The company's settings of the customer pages; one row, edited in the admin."""

    show_prices = models.BooleanField(
        _("show prices to the customer"),
        default=False,
        help_text=_("Unit prices and amounts on the customer's pages and confirmation."),
    )
    confirmation_required = models.BooleanField(
        _("production waits for the customer's confirmation"),
        default=False,
        help_text=_(
            "After internal approval the customer confirms the order online (需求确认双签) "
            "before stock is confirmed and production starts."
        ),
    )
    confirmation_hours = models.PositiveSmallIntegerField(
        _("hours the customer has to confirm"),
        default=48,
        help_text=_(
            "The deadline clock of the customer's confirmation (its owner: the sales owner)."
        ),
    )
    link_days = models.PositiveSmallIntegerField(_("days a customer link is valid"), default=60)
    coupon_amount = models.DecimalField(
        _("coupon offered on a late delivery (CNY)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("200.00"),
    )
    warranty_months = models.PositiveSmallIntegerField(
        _("extra warranty offered on a late delivery (months)"), default=6
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer page settings")
        verbose_name_plural = _("customer page settings")

    def __str__(self) -> str:
        return str(_("Customer page settings"))

    @classmethod
    def current(cls) -> CustomerPortalSettings:
        """The one row; its defaults (unsaved) until the admin saves it, so a read writes nothing."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _new_nonce() -> str:
    return secrets.token_hex(16)


class CustomerLinkQuerySet(models.QuerySet["CustomerLink"]):
    def valid(self, now: Any = None) -> CustomerLinkQuerySet:
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class CustomerLink(models.Model):
    """A link for one order and one contact: opens that order only, until it expires or is
    revoked. ``token()`` is what goes into the URL (``/c/<token>/``)."""

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="customer_links",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="customer_links",
    )
    nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)
    # The language of the SMS and e-mail sent with this link (the pages follow the reader).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The access log of the link (like a user's last login; not a business state).
    opened_count = models.PositiveIntegerField(_("times opened"), default=0)
    first_opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    last_opened_at = models.DateTimeField(_("last opened at"), null=True, blank=True)
    last_ip = models.GenericIPAddressField(_("last IP address"), null=True, blank=True)
    last_user_agent = models.CharField(_("last browser"), max_length=300, blank=True)

    objects = CustomerLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer link")
        verbose_name_plural = _("customer links")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["order", "contact", "-created_at"],
                condition=Q(revoked_at__isnull=True),
                name="customerlink_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.contact}"

    def get_absolute_url(self) -> str:
        return reverse("customer_portal:track", kwargs={"token": self.token()})

    # --- the token -------------------------------------------------------------------
    def _mac(self) -> str:
        digest = salted_hmac(TOKEN_SALT, f"{self.pk}:{self.nonce}", algorithm="sha256").digest()
        return _b64(digest[:TOKEN_MAC_BYTES])

    def token(self) -> str:
        """``<id in base 36>-<mac>``: the id finds the row, the MAC proves the link."""
        if self.pk is None:
            raise ValueError("an unsaved link has no token")
        return f"{_base36(self.pk)}-{self._mac()}"

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token(), token)

    @staticmethod
    def id_from_token(token: str) -> int | None:
        """The link id a token claims (not yet proven), or None for a malformed token."""
        head, sep, mac = (token or "").partition("-")
        if not sep or not head or len(mac) != len(_b64(b"\0" * TOKEN_MAC_BYTES)):
            return None
        if len(head) > 12 or not head.isalnum():
            return None
        try:
            return int(head, 36)
        except ValueError:
            return None

    def absolute_url(self) -> str:
        base = (settings.PORTAL_BASE_URL or "").rstrip("/")
        return f"{base}{self.get_absolute_url()}"

    # --- state -----------------------------------------------------------------------
    def is_valid(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @classmethod
    def lifetime(cls) -> timedelta:
        return timedelta(days=CustomerPortalSettings.current().link_days)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number <= 0:
        return "0"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out


class SignatureKind(models.TextChoices):
    DRAWN = "drawn", _("Drawn signature")
    TYPED = "typed", _("Typed name")


class ConfirmationKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    CHANGE_REQUESTED = "change_requested", _("Change requested")


class CustomerConfirmation(models.Model):
    """The customer's answer to the order they were shown after internal approval: confirmed
    (with a drawn or typed signature) or a request for a change (to the sales owner)."""

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="customer_confirmations",
    )
    link = models.ForeignKey(
        CustomerLink, verbose_name=_("link"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", verbose_name=_("contact"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("answer"), max_length=20, choices=ConfirmationKind.choices)
    signature_kind = models.CharField(
        _("signature"), max_length=10, choices=SignatureKind.choices, blank=True
    )
    signed_name = models.CharField(_("name signed"), max_length=50, blank=True)
    signature = models.FileField(
        _("signature image"),
        upload_to=PrivateUploadTo("customer_signatures"),
        max_length=200,
        blank=True,
    )
    message = models.TextField(_("customer's message"), blank=True)
    # What the customer was shown and confirmed (lines, dates, terms, requirements).
    snapshot = models.JSONField(_("what was confirmed"), default=dict)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer confirmation")
        verbose_name_plural = _("customer confirmations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_kind_display()}"


class RiskChoice(models.TextChoices):
    NEW_DATE = "new_date", _("Accept the new date")
    PICKUP = "pickup", _("Pick up myself")
    SPLIT = "split", _("Split delivery: what is ready now, the rest later")


class DeliveryRiskOffer(models.Model):
    """The options offered to the customer 48 hours before a delivery at risk, and the answer."""

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="delivery_risk_offers",
    )
    promised_date = models.DateField(_("promised date"))
    new_date = models.DateField(_("new date offered"), null=True, blank=True)
    coupon_amount = models.DecimalField(
        _("coupon (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    warranty_months = models.PositiveSmallIntegerField(_("extra warranty (months)"), default=0)
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)
    choice = models.CharField(
        _("customer's choice"), max_length=20, choices=RiskChoice.choices, blank=True
    )
    note = models.TextField(_("customer's note"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("delivery-risk offer")
        verbose_name_plural = _("delivery-risk offers")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One offer per order and promised date: two scans never offer twice.
            models.UniqueConstraint(
                fields=["order", "promised_date"], name="riskoffer_once_per_promise"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.promised_date}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None
