"""Core's shared models: the business calendar's overrides, SLA clocks, notifications.

Roles, audit and uploads live in their own modules; these tables are the ones
every business app writes through core's services (docs/workflow.md §5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.messages import message_text


class CalendarOverride(models.Model):
    """A company decision that wins over the official calendar for one day.

    Also how the admins enter a year's official schedule before the
    ``chinesecalendar`` package knows it (see core.calendar).
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: people work that day. Not ticked: a day off."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date:%Y-%m-%d} {kind}"


class SlaKind(models.TextChoices):
    """The deadlines of the customer's process (docs/workflow.md §5)."""

    CLARIFICATION = "clarification", _("Clarification")
    PREPARATION_CHECKIN = "preparation_checkin", _("Preparation check-in")
    DELIVERY_RISK = "delivery_risk", _("Delivery risk")
    DELIVERY_NOTICE = "delivery_notice", _("Delivery notice")
    AFTERSALES_RESPONSE = "aftersales_response", _("After-sales response")
    AFTERSALES_RESOLUTION = "aftersales_resolution", _("After-sales resolution")
    FOLLOWUP_VISIT = "followup_visit", _("Follow-up visit")
    DOCUMENT_RETURN = "document_return", _("Document return")
    CUSTOMER_CONFIRMATION = "customer_confirmation", _("Customer confirmation")


class DurationUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    HOURS = "hours", _("hours")
    FIXED = "fixed", _("fixed date")


# An open clock is one nobody met or cancelled yet.
OPEN_CLOCK = Q(met_at__isnull=True, cancelled_at__isnull=True)


class SlaClockQuerySet(models.QuerySet["SlaClock"]):
    def open(self) -> SlaClockQuerySet:
        return self.filter(OPEN_CLOCK)

    def for_target(self, target: models.Model) -> SlaClockQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(target), object_id=target.pk
        )

    def overdue(self, now: datetime | None = None) -> SlaClockQuerySet:
        return self.open().filter(due_at__lte=now or timezone.now())


class SlaClock(models.Model):
    """A deadline running on one object (an order, a ticket, a loan…).

    Business apps start and meet clocks through core.services; the scanner
    (core.services.sla_clocks_scan) warns, reports breaches and escalates.
    """

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("object type")
    )
    object_id = models.PositiveBigIntegerField(_("object ID"))
    target = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=32, choices=SlaKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sla_clocks",
        verbose_name=_("owner"),
    )
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalated_sla_clocks",
        verbose_name=_("escalate to"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    # How due_at was computed, so open clocks can be rescheduled when the
    # calendar changes (e.g. the admins enter next year's holidays).
    duration_unit = models.CharField(
        _("duration unit"), max_length=16, choices=DurationUnit.choices, default=DurationUnit.FIXED
    )
    duration_amount = models.DecimalField(
        _("duration"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The note as a language-neutral message (core.messages); ``note`` keeps its text in
    # the default language, or a person's words as written when this is empty.
    note_msg = models.JSONField(_("note (message)"), null=True, blank=True)

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            # Starting the same clock twice must be a no-op, also under
            # concurrent requests: the database refuses a second open clock.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=OPEN_CLOCK,
                name="core_slaclock_one_open_per_object_kind",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("started_at")),
                name="core_slaclock_due_after_start",
            ),
        ]
        indexes = [
            # The scanner's query: open clocks by due / warn time.
            models.Index(fields=["due_at"], condition=OPEN_CLOCK, name="core_slaclock_open_due"),
            # "My work": a user's open clocks.
            models.Index(
                fields=["owner", "due_at"], condition=OPEN_CLOCK, name="core_slaclock_open_owner"
            ),
            models.Index(fields=["content_type", "object_id"], name="core_slaclock_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at <= (now or timezone.now())

    def is_due_soon(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.is_open and self.warn_at is not None and self.warn_at <= now < self.due_at

    def target_url(self) -> str:
        """The object's page, when it has one (``get_absolute_url``)."""
        return target_url(self.target)

    @property
    def note_text(self) -> str:
        """The note in the reader's language."""
        return message_text(self.note_msg, self.note)


def target_url(target: Any) -> str:
    getter = getattr(target, "get_absolute_url", None)
    if getter is None:
        return ""
    try:
        return str(getter())
    except Exception:  # a broken link must not break a list page
        return ""


class NotificationVerb(models.TextChoices):
    MESSAGE = "message", _("Message")
    CLOCK_WARNING = "clock_warning", _("Deadline soon")
    CLOCK_BREACHED = "clock_breached", _("Deadline missed")
    CLOCK_ESCALATED = "clock_escalated", _("Deadline escalated")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one user; also e-mailed and posted to the webhook."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    verb = models.CharField(
        _("type"), max_length=32, choices=NotificationVerb.choices, default=NotificationVerb.MESSAGE
    )
    # ``title`` / ``body`` keep the text in the default language (the admin, the search,
    # rows written before messages were language-neutral); ``title_msg`` / ``body_msg`` the
    # message, rendered in the reader's language (docs/decisions/0011-language-neutral-messages.md).
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    title_msg = models.JSONField(_("title (message)"), null=True, blank=True)
    body_msg = models.JSONField(_("message (message)"), null=True, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("object type"),
    )
    object_id = models.PositiveBigIntegerField(_("object ID"), null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    clock = models.ForeignKey(
        SlaClock,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("deadline"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When a process took the e-mail to send it (set under a row lock and committed before
    # the send): what keeps the after-commit send and the scan's re-send, or two scans,
    # from sending it twice. Claimed long ago and still not e-mailed = lost, sent again.
    email_claimed_at = models.DateTimeField(_("e-mail claimed at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # When the broker took the webhook task (set under a row lock in the transaction that
    # queued it): what keeps two scans from queueing it twice; empty = never queued.
    webhook_queued_at = models.DateTimeField(_("webhook queued at"), null=True, blank=True)
    webhook_sent_at = models.DateTimeField(_("webhook sent at"), null=True, blank=True)
    webhook_attempts = models.PositiveSmallIntegerField(_("webhook attempts"), default=0)
    webhook_error = models.CharField(_("webhook error"), max_length=500, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # The last line of defence against a doubled reminder: one
            # notification per clock, event and person, whatever the scanners do.
            models.UniqueConstraint(
                fields=["clock", "verb", "recipient"],
                condition=Q(clock__isnull=False),
                name="core_notification_once_per_clock_event",
            ),
        ]
        indexes = [
            # The bell's unread count on every page.
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="core_notification_unread",
            ),
            models.Index(fields=["recipient", "-created_at"], name="core_notification_list"),
        ]

    def __str__(self) -> str:
        return self.title_text

    @property
    def title_text(self) -> str:
        """The title in the reader's (the active) language."""
        return message_text(self.title_msg, self.title)

    @property
    def body_text(self) -> str:
        """The message in the reader's (the active) language."""
        return message_text(self.body_msg, self.body)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxMessage(models.Model):
    """Something that leaves the database (e-mail, SMS, webhook, task), written in the same
    transaction as the change that causes it and delivered afterwards by Celery
    (docs/architecture.md, "The outbox").

    A message is claimed (``claimed_at``, committed before the send), sent by the handler
    registered for its ``kind``, then marked ``sent_at``; a failure is counted and tried
    again later with a growing delay; a claim older than OUTBOX_CLAIM_LOST_AFTER seconds
    without ``sent_at`` counts as lost (the worker died) and is taken again.
    """

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # One message per key: a repeated step (a retried request, a second scan) adds nothing.
    key = models.CharField(_("key"), max_length=200, null=True, blank=True, unique=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("object type")
    )
    object_id = models.PositiveBigIntegerField(_("object ID"), null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    available_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            # The delivery sweep: unsent messages, oldest first.
            models.Index(
                fields=["available_at", "id"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="core_outbox_pending",
            ),
            # "What went out about this order" on the order page.
            models.Index(fields=["content_type", "object_id"], name="core_outbox_target"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        return "pending"


class UserPreference(models.Model):
    """What a person chose for themselves: the language their e-mails and SMS are written
    in (the last one they switched the portal to; the default language until then)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.language}"
