"""What the nightly job learns from the order history, precomputed for the pages.

Every table here is rebuilt by :mod:`insights.services` (a nightly Celery beat job,
docs/decisions/0015-learning-from-history.md); pages only read them. Explanations are
stored language-neutral (``core.messages.Msg`` JSON lists) and rendered per reader.
What people do with a result (a warehouse accepting or adjusting a suggestion, the
follow-up of a customer at risk) is recorded by the engine's actions
(:mod:`insights.actions`) and survives the nightly rebuild.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class LearningRun(models.Model):
    """One night's run; ``stages`` marks each finished stage, so a rerun resumes."""

    as_of = models.DateField(_("as of"), unique=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    stages = models.JSONField(_("finished stages"), default=dict, blank=True)
    seconds = models.JSONField(_("seconds per stage"), default=dict, blank=True)

    class Meta:
        verbose_name = _("learning run")
        verbose_name_plural = _("learning runs")
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return f"{self.as_of}"


class ReplenishmentSuggestion(models.Model):
    """A purchase / production quantity for one product in one warehouse."""

    product = models.ForeignKey(
        "orders.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    warehouse = models.ForeignKey(
        "fulfillment.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    as_of = models.DateField(_("as of"))
    # Weekly forecast for the next weeks (units), the first week first.
    forecast = models.JSONField(_("weekly forecast"), default=list, blank=True)
    lead_time_weeks = models.PositiveSmallIntegerField(_("lead time (weeks)"), default=2)
    demand_over_lead = models.DecimalField(
        _("demand over the lead time"), max_digits=14, decimal_places=2, default=0
    )
    safety_stock = models.DecimalField(
        _("safety stock"), max_digits=14, decimal_places=2, default=0
    )
    on_hand = models.DecimalField(_("on hand"), max_digits=14, decimal_places=2, default=0)
    reserved = models.DecimalField(_("reserved"), max_digits=14, decimal_places=2, default=0)
    in_transit = models.DecimalField(_("in transit"), max_digits=14, decimal_places=2, default=0)
    # None: no suggestion (no history); the reason says why.
    suggested_qty = models.DecimalField(
        _("suggested quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    recent_weekly = models.DecimalField(
        _("last 6 months per week"), max_digits=14, decimal_places=2, default=0
    )
    reason = models.JSONField(_("reasoning"), default=list, blank=True)

    class Meta:
        verbose_name = _("replenishment suggestion")
        verbose_name_plural = _("replenishment suggestions")
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="insights_one_suggestion")
        ]
        # The stock page's card: the largest suggestions first, of one warehouse or all.
        indexes = [
            models.Index(
                fields=["warehouse", "-suggested_qty", "id"], name="insights_suggestion_wh_idx"
            ),
            models.Index(fields=["-suggested_qty", "id"], name="insights_suggestion_qty_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}"


class ReplenishmentDecision(models.Model):
    """The warehouse accepted or adjusted a suggestion (kept across nightly rebuilds)."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", pgettext_lazy("replenishment decision", "Accepted")
        ADJUSTED = "adjusted", pgettext_lazy("replenishment decision", "Adjusted")

    product = models.ForeignKey(
        "orders.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    warehouse = models.ForeignKey(
        "fulfillment.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("decision"), max_length=10, choices=Kind.choices)
    suggested_qty = models.DecimalField(_("suggested"), max_digits=14, decimal_places=2)
    quantity = models.DecimalField(_("quantity decided"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    suggestion_as_of = models.DateField(_("suggestion of"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("replenishment decision")
        verbose_name_plural = _("replenishment decisions")
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(
                fields=["product", "warehouse", "-decided_at"], name="insights_decision_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.quantity}"


class DeliveryRisk(models.Model):
    """The chance that an open order arrives after its promised date."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(_("risk score"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    as_of = models.DateField(_("as of"))
    # The engine moved the delivery warning earlier (once per order).
    warned_early_at = models.DateTimeField(_("warning moved earlier at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery risk")
        verbose_name_plural = _("delivery risks")
        # The work pages' cards walk this index and stop at the tenth open order of theirs.
        indexes = [models.Index(fields=["-score", "order_id"], name="insights_delivery_score_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.score}"


class ChurnRisk(models.Model):
    """The chance that a customer who used to order does not order again."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(_("risk score"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    is_key = models.BooleanField(_("key customer"), default=False)
    amount_12m = models.DecimalField(
        _("amount, last 12 months"), max_digits=16, decimal_places=2, default=0
    )
    last_order_on = models.DateField(_("last order"), null=True, blank=True)
    as_of = models.DateField(_("as of"))
    # The follow-up task the engine started when the key customer turned high-risk.
    followup_at = models.DateTimeField(_("follow-up started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("churn risk")
        verbose_name_plural = _("churn risks")
        indexes = [models.Index(fields=["-score"], name="insights_churn_score_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"


class ProductPair(models.Model):
    """An association rule: orders with ``antecedent`` also hold ``consequent``."""

    antecedent = models.ForeignKey(
        "orders.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    consequent = models.ForeignKey(
        "orders.Product", verbose_name=_("also bought"), on_delete=models.CASCADE, related_name="+"
    )
    orders_together = models.PositiveIntegerField(_("orders with both"))
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))
    as_of = models.DateField(_("as of"))

    class Meta:
        verbose_name = _("products bought together")
        verbose_name_plural = _("products bought together")
        constraints = [
            models.UniqueConstraint(fields=["antecedent", "consequent"], name="insights_one_rule")
        ]
        indexes = [models.Index(fields=["-lift"], name="insights_rule_lift_idx")]

    def __str__(self) -> str:
        return f"{self.antecedent_id} → {self.consequent_id}"

    @property
    def confidence_pct(self) -> float:
        return self.confidence * 100

    @property
    def support_pct(self) -> float:
        return self.support * 100
