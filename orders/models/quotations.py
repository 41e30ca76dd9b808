"""Quotations (報價單制作與審批流程) and their approval record.

Lines come from the catalog. The sales supervisor (sales_manager) approves;
above the director threshold, or with a price below the floor (list price less
the allowed cut) or a discount above the limit, the superior (sales_director)
approves as well — the same ApprovalPolicy as orders. Four eyes: whoever made,
owns or edited the lines of the quotation never approves it
(orders/predicates/quotations.py). An accepted quotation converts into an order with
one click; ``Quotation.order`` keeps the link both ways (``order.quotation``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.messages import message_text
from orders.models.orders import PaymentTerms, PricedLine

__all__ = [
    "QUOTATION_ACTION_LABELS",
    "QUOTATION_STATUS_COLORS",
    "Quotation",
    "QuotationEvent",
    "QuotationLine",
    "QuotationStatus",
]


class QuotationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending supervisor approval")
    PENDING_DIRECTOR = "pending_director", _("Pending director approval")
    APPROVED = "approved", _("Approved")
    ACCEPTED = "accepted", _("Accepted by the customer")
    DECLINED = "declined", _("Declined by the customer")
    CONVERTED = "converted", _("Converted to an order")


QUOTATION_STATUS_COLORS = {
    "draft": "secondary",
    "pending_approval": "info",
    "pending_director": "info",
    "approved": "primary",
    "accepted": "success",
    "declined": "dark",
    "converted": "success",
}


class Quotation(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(
        _("quotation number"), max_length=30, unique=True, null=True, blank=True, editable=False
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="quotations",
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    valid_until = models.DateField(_("valid until"))
    payment_terms = models.CharField(
        _("payment terms"), max_length=20, choices=PaymentTerms.choices, blank=True
    )
    delivery_terms = models.CharField(_("delivery"), max_length=200, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    status = FSMField(
        _("status"),
        max_length=20,
        choices=QuotationStatus.choices,
        default=QuotationStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    total_amount = models.DecimalField(
        _("total (CNY)"), max_digits=16, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    director_reasons = models.TextField(_("why the director must approve"), blank=True)
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotation",
        editable=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quotation")
        verbose_name_plural = _("quotations")
        ordering = ["-created_at"]
        permissions = [
            ("approve_quotation", _("Can approve quotations (sales supervisor)")),
            ("approve_large_quotation", _("Can give the final approval of quotations")),
            ("convert_quotation", _("Can convert accepted quotations into orders")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="quotation_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft quotation #%(pk)s") % {"pk": self.pk})

    def get_absolute_url(self) -> str:
        return reverse("orders:quotation_detail", args=[self.pk])

    @property
    def status_color(self) -> str:
        return QUOTATION_STATUS_COLORS.get(self.status, "secondary")

    @property
    def is_expired(self) -> bool:
        return self.valid_until < timezone.localdate()

    # --- transitions --------------------------------------------------------------
    # Who may take each one (role, four eyes) is a predicate of its action:
    # orders/predicates/quotations.py, run by the engine (orders/actions/quotations.py).
    @transition(
        field=status,
        source=QuotationStatus.DRAFT,
        target=QuotationStatus.PENDING_APPROVAL,
    )
    def submit(self) -> None:
        pass

    @transition(
        field=status,
        source=QuotationStatus.PENDING_APPROVAL,
        target=QuotationStatus.APPROVED,
        conditions=[lambda q: not q.director_reasons],
    )
    def approve(self) -> None:
        pass

    @transition(
        field=status,
        source=QuotationStatus.PENDING_APPROVAL,
        target=QuotationStatus.PENDING_DIRECTOR,
        conditions=[lambda q: bool(q.director_reasons)],
    )
    def approve_to_director(self) -> None:
        pass

    @transition(
        field=status,
        source=QuotationStatus.PENDING_DIRECTOR,
        target=QuotationStatus.APPROVED,
    )
    def director_approve(self) -> None:
        pass

    @transition(
        field=status,
        source=[QuotationStatus.PENDING_APPROVAL, QuotationStatus.PENDING_DIRECTOR],
        target=QuotationStatus.DRAFT,
    )
    def send_back(self) -> None:
        pass

    @transition(
        field=status,
        source=QuotationStatus.APPROVED,
        target=QuotationStatus.ACCEPTED,
    )
    def accept(self) -> None:
        pass

    @transition(
        field=status,
        source=QuotationStatus.APPROVED,
        target=QuotationStatus.DECLINED,
    )
    def decline(self) -> None:
        pass

    @transition(
        field=status,
        source=QuotationStatus.ACCEPTED,
        target=QuotationStatus.CONVERTED,
    )
    def convert(self) -> None:
        pass


class QuotationLine(PricedLine):
    quotation = models.ForeignKey(
        Quotation, verbose_name=_("quotation"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "orders.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="quotation_lines",
    )

    class Meta:
        verbose_name = _("quotation line")
        verbose_name_plural = _("quotation lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="quotation_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="quotation_line_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="quotation_line_discount_0_100",
            ),
        ]


QUOTATION_ACTION_LABELS = {
    "create": _("Created"),
    "edit": _("Edited"),
    "submit": _("Submitted for approval"),
    "approve": _("Approved by the supervisor"),
    "approve_to_director": _("Approved by the supervisor, to the director"),
    "director_approve": _("Approved by the director"),
    "send_back": _("Sent back"),
    "accept": _("Accepted by the customer"),
    "decline": _("Declined by the customer"),
    "convert": _("Converted to an order"),
}


class QuotationEvent(models.Model):
    """The approval record (報價審批記錄): approver, opinion, time. Never rewritten."""

    quotation = models.ForeignKey(
        Quotation, verbose_name=_("quotation"), on_delete=models.CASCADE, related_name="events"
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
        verbose_name = _("quotation step")
        verbose_name_plural = _("quotation steps")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.quotation} {self.action}"

    @property
    def action_label(self) -> str:
        return str(QUOTATION_ACTION_LABELS.get(self.action, self.action))

    @property
    def comment_text(self) -> str:
        """The comment in the reader's language."""
        return message_text(self.comment_msg, self.comment)
