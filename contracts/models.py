"""Sales contracts and their amendments (銷售合同簽訂流程, 合同變更記錄).

A contract belongs to a customer (the app below); orders (an app above) may link the
contract they were placed under. The flow is enforced by ``django_fsm`` transitions; who
may take each (one role, four eyes for the reviews) is the predicate of its action
(contracts/predicates.py, contracts/actions.py; contracts/apps.py grants the permissions):

draft → supervisor review (sales_manager) → legal review (legal) → ready to sign
→ signed (signed scan uploaded) → in force → expired / terminated.

Amendments (change records) run through the same two reviews.

The tables keep the names they had when contracts lived in the customers app
(``db_table``): the move to this app changed the code, not the data.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.messages import message_text
from core.uploads import PrivateUploadTo


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUPERVISOR_REVIEW = "supervisor_review", _("Supervisor review")
    LEGAL_REVIEW = "legal_review", _("Legal review")
    READY_TO_SIGN = "ready_to_sign", _("Ready to sign")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


CONTRACT_STATUS_COLORS = {
    "draft": "secondary",
    "supervisor_review": "info",
    "legal_review": "info",
    "ready_to_sign": "primary",
    "signed": "primary",
    "in_force": "success",
    "expired": "dark",
    "terminated": "dark",
}


class Contract(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("contract number"), max_length=30, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(
        _("contract amount (CNY)"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    terms = models.TextField(
        _("main terms"),
        blank=True,
        help_text=_("Specification, quantity, price, delivery, payment, quality, liability."),
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=ContractStatus.choices,
        default=ContractStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    signed_scan = models.FileField(
        _("signed scan"), upload_to=PrivateUploadTo("contracts"), max_length=200, blank=True
    )
    signed_scan_name = models.CharField(_("file name"), max_length=200, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    supervisor_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor review by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    legal_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("legal review by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expiry_reminded_at = models.DateTimeField(_("expiry reminder sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "customers_contract"
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at"]
        permissions = [
            ("review_contract", _("Can review contracts as sales supervisor")),
            ("legal_review_contract", _("Can give the legal review of contracts")),
            ("sign_contract", _("Can record the signing of contracts")),
            ("end_contract", _("Can put contracts in force, expire or terminate them")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="contract_end_not_before_start",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="contract_amount_not_negative"),
        ]
        indexes = [
            # The expiry reminder's scan: contracts in force by end date.
            models.Index(
                fields=["end_date"], condition=Q(status="in_force"), name="contract_in_force_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:detail", args=[self.pk])

    @property
    def status_color(self) -> str:
        return CONTRACT_STATUS_COLORS.get(self.status, "secondary")

    # --- transitions ----------------------------------------------------------------
    @transition(
        field=status,
        source=ContractStatus.DRAFT,
        target=ContractStatus.SUPERVISOR_REVIEW,
    )
    def submit(self) -> None:
        pass

    @transition(
        field=status,
        source=ContractStatus.SUPERVISOR_REVIEW,
        target=ContractStatus.LEGAL_REVIEW,
    )
    def supervisor_approve(self) -> None:
        pass

    @transition(
        field=status,
        source=ContractStatus.LEGAL_REVIEW,
        target=ContractStatus.READY_TO_SIGN,
    )
    def legal_approve(self) -> None:
        pass

    @transition(
        field=status,
        source=[ContractStatus.SUPERVISOR_REVIEW, ContractStatus.LEGAL_REVIEW],
        target=ContractStatus.DRAFT,
    )
    def send_back(self) -> None:
        pass

    @transition(
        field=status,
        source=ContractStatus.READY_TO_SIGN,
        target=ContractStatus.SIGNED,
    )
    def sign(self) -> None:
        pass

    @transition(
        field=status,
        source=ContractStatus.SIGNED,
        target=ContractStatus.IN_FORCE,
    )
    def put_in_force(self) -> None:
        pass

    @transition(
        field=status,
        source=ContractStatus.IN_FORCE,
        target=ContractStatus.EXPIRED,
    )
    def expire(self) -> None:
        pass

    @transition(
        field=status,
        source=[ContractStatus.SIGNED, ContractStatus.IN_FORCE],
        target=ContractStatus.TERMINATED,
    )
    def terminate(self) -> None:
        pass


class AmendmentStatus(models.TextChoices):
    SUPERVISOR_REVIEW = "supervisor_review", _("Supervisor review")
    LEGAL_REVIEW = "legal_review", _("Legal review")
    APPROVED = "approved", _("Approved")
    SENT_BACK = "sent_back", _("Sent back")


class ContractAmendment(ConcurrentTransitionMixin, models.Model):
    """A change record (合同變更記錄): what changes, why; approved like the contract."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="amendments"
    )
    sequence = models.PositiveSmallIntegerField(_("amendment number"))
    description = models.TextField(_("what changes"))
    reason = models.TextField(_("reason"))
    status = FSMField(
        _("status"),
        max_length=20,
        choices=AmendmentStatus.choices,
        default=AmendmentStatus.SUPERVISOR_REVIEW,
        protected=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "customers_contractamendment"
        verbose_name = _("contract amendment")
        verbose_name_plural = _("contract amendments")
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "sequence"], name="contract_amendment_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number}-B{self.sequence}"

    def get_absolute_url(self) -> str:
        return self.contract.get_absolute_url()

    @transition(
        field=status,
        source=AmendmentStatus.SUPERVISOR_REVIEW,
        target=AmendmentStatus.LEGAL_REVIEW,
    )
    def supervisor_approve(self) -> None:
        pass

    @transition(
        field=status,
        source=AmendmentStatus.LEGAL_REVIEW,
        target=AmendmentStatus.APPROVED,
    )
    def legal_approve(self) -> None:
        pass

    @transition(
        field=status,
        source=[AmendmentStatus.SUPERVISOR_REVIEW, AmendmentStatus.LEGAL_REVIEW],
        target=AmendmentStatus.SENT_BACK,
    )
    def send_back(self) -> None:
        pass


CONTRACT_ACTION_LABELS = {
    "create": _("Drafted"),
    "edit": _("Edited"),
    "submit": _("Submitted for supervisor review"),
    "supervisor_approve": _("Approved by the supervisor"),
    "legal_approve": _("Passed legal review"),
    "send_back": _("Sent back"),
    "sign": _("Signed"),
    "put_in_force": _("Put in force"),
    "expire": _("Expired"),
    "terminate": _("Terminated"),
    "amendment_create": _("Amendment recorded"),
    "amendment_supervisor_approve": _("Amendment approved by the supervisor"),
    "amendment_legal_approve": _("Amendment passed legal review"),
    "amendment_send_back": _("Amendment sent back"),
}


class ContractEvent(models.Model):
    """Each step of a contract or amendment: who, when, from, to, comment. Never rewritten."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="events"
    )
    amendment = models.ForeignKey(
        ContractAmendment,
        verbose_name=_("amendment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    # A system-written note as a language-neutral message (core.messages), rendered in the
    # reader's language; the text field keeps its default-language text or a person's words.
    comment_msg = models.JSONField(_("comment (message)"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        db_table = "customers_contractevent"
        verbose_name = _("contract step")
        verbose_name_plural = _("contract steps")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.action}"

    @property
    def action_label(self) -> str:
        return str(CONTRACT_ACTION_LABELS.get(self.action, self.action))

    @property
    def comment_text(self) -> str:
        """The comment in the reader's language."""
        return message_text(self.comment_msg, self.comment)
