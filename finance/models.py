"""Settlement statements (结算单), their credit and debit notes, and payments received.

A settlement statement is issued once, when its order completes (finance/actions.py): the
figures it states are copied into its rows at that moment and never change. A correction
is a credit note (the customer owes less) or a debit note (more), each its own numbered
document (docs/decisions/0016-webhooks-and-settlements.md). Payments — the advance before
delivery and what arrives afterwards — are recorded per order; each one also updates the
customer's credit file (``customers.PaymentRecord``), which the credit check reads.

Layering (docs/architecture.md): finance sits above after-sales and reads orders,
shipments, acceptances, replacements and refunds; nothing below imports it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")


def _money(verbose_name: object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=16, decimal_places=2, default=ZERO, **kwargs
    )  # type: ignore[call-overload]


class SettlementStatement(models.Model):
    """The settlement statement of one order: what was delivered and accepted, what was
    replaced and refunded, what has been paid and what is still due, and by when."""

    number = models.CharField(_("statement number"), max_length=40, unique=True)
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="settlement",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="settlements",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_terms = models.CharField(_("payment terms"), max_length=20, blank=True)
    order_amount = _money(_("order amount (CNY)"))
    delivered_amount = _money(_("delivered value (CNY)"))
    accepted_amount = _money(_("accepted value (CNY)"))
    refund_amount = _money(_("refunds (CNY)"))
    amount_due = _money(_("amount to settle (CNY)"))
    prepaid_amount = _money(_("paid in advance (CNY)"))
    paid_amount = _money(_("paid after delivery (CNY)"))
    balance_due = _money(_("balance due (CNY)"))
    due_date = models.DateField(_("due date"))
    # The invoice of this statement in the customer's credit file (customers app).
    payment_record = models.OneToOneField(
        "customers.PaymentRecord",
        verbose_name=_("credit file entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Moves when a note or a payment changes what is open (the API's incremental sync).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        ordering = ["-issued_at", "-id"]
        permissions = [
            ("issue_settlement_note", _("Can issue credit and debit notes")),
            ("post_payment", _("Can record payments received")),
        ]
        indexes = [
            # The API's list (newest first) and incremental sync, keyed by id.
            models.Index(fields=["-created_at", "-id"], name="settlement_created_idx"),
            models.Index(fields=["updated_at", "id"], name="settlement_updated_idx"),
            models.Index(fields=["customer", "-issued_at"], name="settlement_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_due=F("accepted_amount") - F("refund_amount")),
                name="settlement_amount_due_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(balance_due=F("amount_due") - F("prepaid_amount") - F("paid_amount")),
                name="settlement_balance_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("finance:statement", args=[self.pk])


class SettlementLine(models.Model):
    """One order line of a statement, its quantities and value as they were at issue."""

    statement = models.ForeignKey(
        SettlementStatement,
        verbose_name=_("settlement statement"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    order_line = models.ForeignKey(
        "orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("line"), default=1)
    product_code = models.CharField(_("product code"), max_length=30)
    product_name = models.CharField(_("product name"), max_length=200)
    spec = models.CharField(_("specification / model"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("unit price (CNY)"), max_digits=14, decimal_places=2)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=ZERO
    )
    ordered = models.DecimalField(_("ordered"), max_digits=12, decimal_places=2)
    delivered = models.DecimalField(_("delivered"), max_digits=12, decimal_places=2)
    accepted = models.DecimalField(_("accepted"), max_digits=12, decimal_places=2)
    replaced = models.DecimalField(_("replaced"), max_digits=12, decimal_places=2, default=ZERO)
    amount = models.DecimalField(_("accepted value (CNY)"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        ordering = ["statement", "position", "id"]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.accepted}"


class NoteKind(models.TextChoices):
    CREDIT = "credit", _("Credit note")
    DEBIT = "debit", _("Debit note")


class SettlementNote(models.Model):
    """A correction of an issued statement: a credit note lowers what the customer owes, a
    debit note raises it. The statement itself is never edited."""

    statement = models.ForeignKey(
        SettlementStatement,
        verbose_name=_("settlement statement"),
        on_delete=models.PROTECT,
        related_name="notes",
    )
    number = models.CharField(_("note number"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=NoteKind.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    reason = models.TextField(_("reason"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit / debit note")
        verbose_name_plural = _("credit / debit notes")
        ordering = ["statement", "issued_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_note_positive"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def signed_amount(self) -> Decimal:
        """What the note adds to the balance: negative for a credit note."""
        return -self.amount if self.kind == NoteKind.CREDIT else self.amount


class PaymentKind(models.TextChoices):
    PREPAYMENT = "prepayment", _("Advance payment")
    PAYMENT = "payment", _("Payment")


class Payment(models.Model):
    """Money received from a customer, recorded by finance (page or API).

    Against an order: before its statement it is an advance, counted by the statement
    when it is issued; afterwards it settles the statement's balance. Each payment also
    raises what was received on the customer's credit file."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="finance_payments",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PaymentKind.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2)
    received_on = models.DateField(_("received on"))
    # The bank's or the finance system's reference: one payment per reference and customer,
    # so a payment posted twice is recorded once.
    reference = models.CharField(_("reference"), max_length=100)
    payment_record = models.ForeignKey(
        "customers.PaymentRecord",
        verbose_name=_("credit file entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="finance_payments",
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    posted_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment received")
        verbose_name_plural = _("payments received")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_payment_positive"),
            models.UniqueConstraint(
                fields=["customer", "reference"], name="finance_payment_reference_once"
            ),
        ]
        indexes = [models.Index(fields=["order", "received_on"], name="finance_payment_order_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"
