"""Customer acceptance, acceptance issues, after-sales tickets and follow-up visits.

The last steps of an order: acceptance, complaints, repair records and revisits.
The order's own state changes (accept, complete) stay in orders.Order's
transitions; these tables hold what the account manager and after-sales record
around them. A ticket's and a replacement's ``status`` are
protected ``django_fsm`` fields: they change only through the transitions below,
run by the actions of aftersales/actions.py (docs/architecture.md §2–3).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.uploads import PrivateUploadTo


class LineResult(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    EXCEPTIONS = "exceptions", _("Accepted with exceptions")
    REJECTED = "rejected", _("Refused by the customer")


class IssueType(models.TextChoices):
    DAMAGED_PACKAGING = "damaged_packaging", _("Damaged packaging")
    QUANTITY_SHORT = "quantity_short", _("Quantity short")
    QUALITY = "quality", _("Quality")
    WRONG_SPEC = "wrong_spec", _("Wrong specification")
    OTHER = "other", _("Other")


class Acceptance(models.Model):
    """The customer's signed acceptance of a delivered order (客户签收单)."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="acceptance",
    )
    signer = models.CharField(_("signed by (customer)"), max_length=50)
    signed_on = models.DateField(_("signed on"))
    receipt = models.FileField(
        _("signed receipt"), upload_to=PrivateUploadTo("aftersales/receipts"), max_length=200
    )
    receipt_name = models.CharField(_("receipt file name"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    # Empty when the customer signed the electronic receipt (电子签收) on their phone:
    # then :class:`ElectronicReceipt` holds who signed, where and how.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.order} {self.signer}"

    def get_absolute_url(self) -> str:
        return reverse("aftersales:order", args=[self.order_id])


class AcceptanceLine(models.Model):
    """The result of one order line at acceptance, with the quantity it concerns."""

    acceptance = models.ForeignKey(
        Acceptance, verbose_name=_("acceptance"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="acceptance_lines",
    )
    result = models.CharField(_("result"), max_length=12, choices=LineResult.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("acceptance line")
        verbose_name_plural = _("acceptance lines")
        ordering = ["order_line__position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="acceptance_line_quantity_not_negative"
            ),
            models.UniqueConstraint(
                fields=["acceptance", "order_line"], name="acceptance_line_once_per_order_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line} {self.get_result_display()}"


class AcceptanceIssue(models.Model):
    """A problem the customer raised at acceptance (验收问题), with photos."""

    acceptance = models.ForeignKey(
        Acceptance, verbose_name=_("acceptance"), on_delete=models.CASCADE, related_name="issues"
    )
    line = models.ForeignKey(
        AcceptanceLine,
        verbose_name=_("acceptance line"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="issues",
    )
    issue_type = models.CharField(_("issue type"), max_length=20, choices=IssueType.choices)
    description = models.TextField(_("description"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("acceptance issue")
        verbose_name_plural = _("acceptance issues")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_issue_type_display()}: {self.description[:40]}"


class IssuePhoto(models.Model):
    issue = models.ForeignKey(
        AcceptanceIssue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(
        _("photo"), upload_to=PrivateUploadTo("aftersales/photos"), max_length=200
    )
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=PrivateUploadTo("aftersales/thumbs"), max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Empty for a photo the customer took with the electronic receipt.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("issue photo")
        verbose_name_plural = _("issue photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class TicketKind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    REPLACEMENT = "replacement", _("Replacement")
    REFUND = "refund", _("Refund")
    OTHER = "other", _("Other")


class TicketSource(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Acceptance issue")
    COMPLAINT = "complaint", _("Customer complaint")
    ONLINE = "online", _("Customer request (online)")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a response")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")


OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


class AftersalesTicket(ConcurrentTransitionMixin, models.Model):
    """An after-sales case (售后工单): response within 24 h, resolution by the promised date.

    open → (respond) in_progress → (resolve) resolved; resolving an unanswered ticket
    goes straight from open to resolved (it counts as the response too).
    """

    number = models.CharField(_("ticket number"), max_length=40, unique=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="aftersales_tickets",
    )
    issue = models.OneToOneField(
        AcceptanceIssue,
        verbose_name=_("acceptance issue"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket",
    )
    source = models.CharField(_("source"), max_length=12, choices=TicketSource.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=TicketKind.choices)
    status = FSMField(
        _("status"),
        max_length=12,
        choices=TicketStatus.choices,
        default=TicketStatus.OPEN,
        protected=True,
    )
    description = models.TextField(_("problem description"))
    customer_request = models.CharField(_("customer's request"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="aftersales_tickets",
    )
    # Empty when the customer opened it from their page (source "online") or their
    # electronic receipt; the order's timeline names the contact.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    promised_date = models.DateField(_("promised resolution date"), null=True, blank=True)
    refund_amount = models.DecimalField(
        _("refund amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rating = models.PositiveSmallIntegerField(
        _("customer rating (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("customer's comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("after-sales ticket")
        verbose_name_plural = _("after-sales tickets")
        ordering = ["-opened_at"]
        permissions = [
            ("handle_ticket", _("Can handle after-sales tickets")),
            ("open_ticket", _("Can open after-sales tickets from customer complaints")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="ticket_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0),
                name="ticket_refund_not_negative",
            ),
        ]
        indexes = [
            # "Is anything still open on this order?" (completion) and the order page.
            models.Index(fields=["order", "status"], name="ticket_order_status_idx"),
            # The after-sales work page: open tickets.
            models.Index(
                fields=["owner", "opened_at"],
                condition=Q(status__in=["open", "in_progress"]),
                name="ticket_open_owner_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("aftersales:ticket", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TICKET_STATUSES

    @property
    def status_color(self) -> str:
        return {"open": "danger", "in_progress": "warning", "resolved": "success"}[self.status]

    # --- transitions (the actions in aftersales/actions.py run them) -------------------
    @transition(
        field=status,
        source=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS],
        target=TicketStatus.IN_PROGRESS,
    )
    def respond(self) -> None:
        """A response is logged: the first one takes the ticket into progress."""

    @transition(
        field=status,
        source=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS],
        target=TicketStatus.RESOLVED,
    )
    def resolve(self) -> None:
        """The case is closed with its resolution; nothing changes it afterwards."""


class TicketResponse(models.Model):
    """A logged answer or progress note; the first one meets the 24-hour response clock."""

    ticket = models.ForeignKey(
        AftersalesTicket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="responses",
    )
    text = models.TextField(_("response"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket response")
        verbose_name_plural = _("ticket responses")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.created_at:%Y-%m-%d %H:%M}"


class RepairRecord(models.Model):
    """维修记录: date, technician, fault, what was done, parts, result."""

    ticket = models.ForeignKey(
        AftersalesTicket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="repairs",
    )
    repair_date = models.DateField(_("repair date"), default=timezone.localdate)
    technician = models.CharField(_("technician"), max_length=50)
    fault = models.TextField(_("fault description"), blank=True)
    work_done = models.TextField(_("what was done"))
    parts = models.CharField(_("parts used"), max_length=300, blank=True)
    result = models.CharField(_("result"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("repair record")
        verbose_name_plural = _("repair records")
        ordering = ["repair_date", "id"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.repair_date}"


class ReplacementStatus(models.TextChoices):
    PLANNED = "planned", _("To be shipped")
    SHIPPED = "shipped", _("On its way")
    ARRIVED = "arrived", _("Received by the customer")
    CANCELLED = "cancelled", _("Cancelled")


# A replacement still to be shipped or on its way: its ticket cannot be resolved and its
# order cannot be archived (docs/workflow.md §8 H).
UNDERWAY_REPLACEMENT_STATUSES = (ReplacementStatus.PLANNED, ReplacementStatus.SHIPPED)


class ReplacementShipment(ConcurrentTransitionMixin, models.Model):
    """A replacement (换货): what is replaced, of which order line, how many — shipped by
    logistics and confirmed received by the customer.

    planned → (ship) shipped → (arrive) arrived; planned or shipped → (cancel) cancelled,
    with a reason. The ticket it belongs to is resolved only when each of its
    replacements has arrived or is cancelled.

    Kept here rather than as a fulfillment.Shipment: those ship an order's
    remaining quantities while it is ready to ship, take stock out of the
    warehouse and move the order to shipped — none of which may happen to an
    order that is already delivered (no earlier step is reopened).
    """

    ticket = models.ForeignKey(
        AftersalesTicket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="replacements",
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    item = models.CharField(
        _("what is replaced"),
        max_length=200,
        blank=True,
        help_text=_("The whole unit, or the part that is replaced (e.g. the outer carton)."),
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, default=Decimal("1")
    )
    status = FSMField(
        _("status"),
        max_length=10,
        choices=ReplacementStatus.choices,
        default=ReplacementStatus.PLANNED,
        protected=True,
    )
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    eta = models.DateField(_("estimated arrival"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shipped by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_by = models.CharField(_("received by (customer)"), max_length=50, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receipt confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("receipt confirmed at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("replacement shipment")
        verbose_name_plural = _("replacement shipments")
        ordering = ["created_at", "id"]
        permissions = [
            ("ship_replacement", _("Can ship replacements")),
            ("confirm_replacement", _("Can confirm that the customer received a replacement")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="replacement_quantity_positive"
            ),
            # Shipped means carrier, tracking number and ETA are on file.
            models.CheckConstraint(
                condition=~Q(status__in=["shipped", "arrived"])
                | (~Q(carrier="") & ~Q(tracking_number="") & Q(eta__isnull=False)),
                name="replacement_shipped_has_tracking",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="replacement_cancelled_has_reason",
            ),
        ]
        indexes = [
            # Logistics' work list: replacements to ship or on their way.
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["planned", "shipped"]),
                name="replacement_underway_idx",
            ),
        ]

    def __str__(self) -> str:
        item = f" {self.item}" if self.item else ""
        return (
            f"{self.ticket} ·{item} × {self.quantity.normalize():f} ({self.get_status_display()})"
        )

    def get_absolute_url(self) -> str:
        return reverse("aftersales:replacement_detail", args=[self.pk])

    @property
    def is_underway(self) -> bool:
        return self.status in UNDERWAY_REPLACEMENT_STATUSES

    @property
    def status_color(self) -> str:
        return {
            "planned": "warning",
            "shipped": "info",
            "arrived": "success",
            "cancelled": "secondary",
        }[self.status]

    # --- transitions (the actions in aftersales/actions.py run them) -------------------
    @transition(field=status, source=ReplacementStatus.PLANNED, target=ReplacementStatus.SHIPPED)
    def ship(self) -> None:
        """The replacement goods leave (carrier, tracking number and ETA are recorded)."""
        self.shipped_at = timezone.now()

    @transition(field=status, source=ReplacementStatus.SHIPPED, target=ReplacementStatus.ARRIVED)
    def arrive(self) -> None:
        """The customer has the replacement (confirmed on the customer's word)."""
        self.confirmed_at = timezone.now()

    @transition(
        field=status,
        source=[ReplacementStatus.PLANNED, ReplacementStatus.SHIPPED],
        target=ReplacementStatus.CANCELLED,
    )
    def cancel(self) -> None:
        """Not sent after all, or lost on the way (the reason is recorded)."""
        self.cancelled_at = timezone.now()


class VisitMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    SURVEY = "survey", _("Online survey")


class FollowUpVisit(models.Model):
    """客户满意度回访: within 3 working days of acceptance."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="followup_visit",
    )
    method = models.CharField(_("method"), max_length=10, choices=VisitMethod.choices)
    visit_date = models.DateField(_("date"), default=timezone.localdate)
    person = models.CharField(_("customer contact"), max_length=50)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback = models.TextField(_("feedback"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    new_demand = models.BooleanField(_("new demand came up"), default=False)
    new_demand_note = models.TextField(_("new demand"), blank=True)
    # Empty when the customer's online survey is the follow-up record (问卷调查).
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["-created_at"]
        permissions = [("log_visit", _("Can log follow-up visits"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1) & Q(satisfaction__lte=5),
                name="visit_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.visit_date}"

    def get_absolute_url(self) -> str:
        return reverse("aftersales:order", args=[self.order_id])


class ElectronicReceipt(models.Model):
    """The customer's electronic delivery receipt (电子签收 / 发货回执), signed on their phone.

    The per-line results, issues and photos are the acceptance's own rows (the same
    records as when the account manager records it); this row keeps what makes the
    receipt hold up in a dispute: the finger signature, the name, time and place, who
    opened the link from where, and the SHA-256 of the receipt PDF digitally signed with
    the company's certificate (the PDF itself is the acceptance's ``receipt`` file;
    docs/decisions/0013-signed-delivery-receipts.md).
    """

    acceptance = models.OneToOneField(
        Acceptance,
        verbose_name=_("acceptance"),
        on_delete=models.PROTECT,
        related_name="electronic_receipt",
    )
    signer = models.CharField(_("signed by (customer)"), max_length=50)
    signature = models.FileField(
        _("signature image"), upload_to=PrivateUploadTo("aftersales/signatures"), max_length=200
    )
    signed_at = models.DateTimeField(_("signed at"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    # Where the phone said it was, when the customer allowed it ("lat,lon ±m").
    position = models.CharField(_("position reported by the phone"), max_length=80, blank=True)
    contact_id_ref = models.PositiveBigIntegerField(_("contact (id)"), null=True, blank=True)
    contact_name = models.CharField(_("link sent to"), max_length=50, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the signed receipt PDF"), max_length=64)
    certificate_subject = models.CharField(_("signing certificate"), max_length=300, blank=True)
    certificate_fingerprint = models.CharField(
        _("certificate SHA-256 fingerprint"), max_length=64, blank=True
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("electronic delivery receipt")
        verbose_name_plural = _("electronic delivery receipts")
        ordering = ["-signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pdf_sha256__regex=r"^[0-9a-f]{64}$"), name="ereceipt_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.acceptance.order} {self.signer}"


class SurveyReason(models.TextChoices):
    """What the customer's score is about (the monthly review's 客户满意度 by theme)."""

    ON_TIME = "on_time", _("Delivery on time")
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    PACKAGING = "packaging", _("Packaging")
    SERVICE = "service", _("Service and communication")
    DOCUMENTS = "documents", _("Documents and invoices")
    OTHER = "other", _("Something else")


class SatisfactionSurvey(models.Model):
    """The customer's satisfaction survey after acceptance (满意度调研): 1–5, reasons, comment.

    A score at or above the low-score line is the order's follow-up record (问卷调查 is a
    回访 method); a low one leaves the follow-up visit due and tells the account manager
    to call (docs/decisions/0013-signed-delivery-receipts.md, "The survey").
    """

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="satisfaction_survey",
    )
    score = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    low_score = models.BooleanField(_("needs a call from the account manager"), default=False)
    contact_id_ref = models.PositiveBigIntegerField(_("contact (id)"), null=True, blank=True)
    contact_name = models.CharField(_("answered by"), max_length=50, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="survey_score_1_to_5"
            ),
        ]
        indexes = [
            # The monthly report: the month's surveys.
            models.Index(fields=["submitted_at"], name="survey_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.score}/5"

    def reason_labels(self) -> list[str]:
        labels = dict(SurveyReason.choices)
        return [str(labels.get(code, code)) for code in self.reasons or []]
