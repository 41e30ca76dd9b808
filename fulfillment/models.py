"""Warehouses, stock and its ledger, allocation rules, and each order's way to the customer.

Layering (docs/architecture.md): fulfillment points at orders (``Order``, ``OrderLine``,
``Product``) and never the other way round; what an order needs on top of its
own fields lives here, one-to-one with the order (``OrderFulfillment``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Region

ZERO = Decimal("0")


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=50, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("warehouse manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_warehouses",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """One product in one warehouse. Changed only by stock movements (services.py)."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stock"
    )
    product = models.ForeignKey(
        "orders.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="stock"
    )
    on_hand = models.DecimalField(_("on hand"), max_digits=12, decimal_places=2, default=ZERO)
    reserved = models.DecimalField(_("reserved"), max_digits=12, decimal_places=2, default=ZERO)
    in_transit = models.DecimalField(_("in transit"), max_digits=12, decimal_places=2, default=ZERO)
    safety_stock = models.DecimalField(
        _("safety stock"), max_digits=12, decimal_places=2, default=ZERO
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["warehouse__code", "product__code"]
        permissions = [("manage_stock", _("Can receive and adjust stock"))]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="stock_one_per_product"),
            # Stock never goes negative and never promises more than is there
            # (docs/workflow.md §6): the last guard, also against concurrent confirmations.
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
            models.CheckConstraint(
                condition=Q(in_transit__gte=0), name="stock_in_transit_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(safety_stock__gte=0), name="stock_safety_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse} · {self.product}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def below_safety(self) -> bool:
        return self.available < self.safety_stock


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    RESERVATION = "reservation", _("Reservation")
    RELEASE = "release", _("Release")
    ISSUE = "issue", _("Issue (shipped)")
    ADJUSTMENT = "adjustment", _("Adjustment")
    # Reported by the ERP (fulfillment/erp.py): goods on their way, and a stock count.
    IN_TRANSIT = "in_transit", _("In transit (ERP)")
    COUNT = "count", _("Stock count (ERP)")


class StockMovement(models.Model):
    """One change of a stock level: the ledger. Its sums per level equal the level."""

    stock = models.ForeignKey(
        StockLevel, verbose_name=_("stock"), on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    on_hand_delta = models.DecimalField(
        _("change on hand"), max_digits=12, decimal_places=2, default=ZERO
    )
    reserved_delta = models.DecimalField(
        _("change reserved"), max_digits=12, decimal_places=2, default=ZERO
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    # Goods on their way (ERP purchase orders, transfers): the sums per level equal the
    # level's in_transit, like on hand and reserved; the expected arrival date goes along.
    in_transit_delta = models.DecimalField(
        _("change in transit"), max_digits=12, decimal_places=2, default=ZERO
    )
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    # The other system's document (ERP receipt or transfer number): one movement per
    # document and stock level, so a document posted twice moves the stock once.
    reference = models.CharField(_("reference"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The stock page's history of one level, newest first.
            models.Index(fields=["stock", "-created_at"], name="stock_movement_stock_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["stock", "reference"],
                condition=~Q(reference=""),
                name="stock_movement_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.stock}"


class BomLine(models.Model):
    """One raw material (component) of a product made in house: how much one unit needs.

    The work order sent to the MES (fulfillment/mes.py) checks these against the stock of
    the order's warehouse and names the shortage.
    """

    product = models.ForeignKey(
        "orders.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="bom_lines",
    )
    component = models.ForeignKey(
        "orders.Product",
        verbose_name=_("raw material / component"),
        on_delete=models.PROTECT,
        related_name="used_in",
    )
    quantity = models.DecimalField(_("quantity per unit"), max_digits=12, decimal_places=3)

    class Meta:
        verbose_name = _("bill of materials line")
        verbose_name_plural = _("bill of materials")
        ordering = ["product", "component"]
        constraints = [
            models.UniqueConstraint(fields=["product", "component"], name="bom_component_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(product=F("component")), name="bom_not_its_own_component"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} ← {self.component} × {self.quantity}"


class PurchaseAlert(models.Model):
    """Available stock fell below safety stock: raised and notified once until it recovers."""

    stock = models.ForeignKey(
        StockLevel, verbose_name=_("stock"), on_delete=models.CASCADE, related_name="alerts"
    )
    available = models.DecimalField(_("available"), max_digits=12, decimal_places=2)
    safety_stock = models.DecimalField(_("safety stock"), max_digits=12, decimal_places=2)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase alert")
        verbose_name_plural = _("purchase alerts")
        ordering = ["-raised_at"]
        constraints = [
            # One open alert per stock level, also when two movements race:
            # this is what makes the alert (and its notification) happen once.
            models.UniqueConstraint(
                fields=["stock"],
                condition=Q(resolved_at__isnull=True),
                name="purchase_alert_one_open_per_stock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stock}: {self.available} < {self.safety_stock}"


class AllocationRule(models.Model):
    """Region and amount band → warehouse and responsible person (订单分配)."""

    region = models.CharField(
        _("region"),
        max_length=20,
        choices=Region.choices,
        blank=True,
        help_text=_("Empty: any region."),
    )
    min_amount = models.DecimalField(
        _("from amount (CNY)"), max_digits=16, decimal_places=2, default=ZERO
    )
    max_amount = models.DecimalField(
        _("up to amount (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: no upper limit."),
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="rules"
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who speaks to the customer of the orders this rule takes (docs/workflow.md §2,
    # account_manager): chosen at confirmation when the customer has no account manager.
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "For customers without an account manager of their own. Empty: the default "
            "account manager."
        ),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers are tried first.")
    )

    class Meta:
        verbose_name = _("allocation rule")
        verbose_name_plural = _("allocation rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gt=F("min_amount")),
                name="allocation_rule_band_ordered",
            ),
        ]

    def __str__(self) -> str:
        region = self.get_region_display() if self.region else _("any region")
        upper = self.max_amount if self.max_amount is not None else "∞"
        return f"{region} {self.min_amount}–{upper} → {self.warehouse}"


class StockStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    SHORT = "short", _("Short")
    TO_PRODUCE = "to_produce", _("To be produced")


class CustomerAnswer(models.TextChoices):
    PENDING = "", _("Not answered yet")
    ACCEPTED = "accepted", _("Accepts the deliverable date")
    PARTIAL = "partial", _("Accepts partial delivery")
    INSISTS = "insists", _("Insists on the requested date")


class AccountManagerSource(models.TextChoices):
    """Why an order's account manager is who they are (shown on the fulfillment page)."""

    CUSTOMER = "customer", _("the customer's account manager")
    RULE = "rule", _("by allocation rule")
    DEFAULT = "default", _("default account manager")
    OWNER = "owner", _("no account manager available: the order's owner")


class OrderFulfillment(models.Model):
    """What fulfillment knows about one order: warehouse, stock answer, negotiation, stop."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="fulfillment",
    )
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fulfillments",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rule = models.ForeignKey(
        AllocationRule,
        verbose_name=_("allocation rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    allocated_at = models.DateTimeField(_("allocated at"), default=timezone.now)
    # The named account manager every customer-facing step follows (the delivery notice,
    # acceptance, the follow-up visit), chosen at confirmation, and why it is them.
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    account_manager_source = models.CharField(
        _("account manager chosen"),
        max_length=20,
        choices=AccountManagerSource.choices,
        blank=True,
    )
    stock_status = models.CharField(
        _("stock status"), max_length=20, choices=StockStatus.choices, blank=True
    )
    deliverable_date = models.DateField(_("deliverable date"), null=True, blank=True)
    stock_confirmed_at = models.DateTimeField(_("stock confirmed at"), null=True, blank=True)
    stock_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("stock confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    stock_note = models.TextField(_("warehouse note"), blank=True)
    # Negotiation (docs/workflow.md §4): the deliverable date is later than the customer asked.
    needs_negotiation = models.BooleanField(_("to negotiate with the customer"), default=False)
    customer_answer = models.CharField(
        _("customer's answer"), max_length=20, choices=CustomerAnswer.choices, blank=True
    )
    customer_answer_note = models.TextField(_("answer note"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answer recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answer recorded at"), null=True, blank=True)
    # The date the company stands by: requested, or the one the customer agreed to.
    promised_date = models.DateField(_("promised date"), null=True, blank=True)
    # Cancellation: the warehouse is told to stop (docs/workflow.md §4).
    stopped_at = models.DateTimeField(_("preparation stopped at"), null=True, blank=True)
    stop_reason = models.TextField(_("why preparation stopped"), blank=True)

    class Meta:
        verbose_name = _("order fulfillment")
        verbose_name_plural = _("order fulfillments")
        permissions = [
            ("change_allocation", _("Can change the warehouse of an order")),
            ("record_progress", _("Can record preparation progress and QC")),
        ]
        indexes = [
            # The warehouse page's "preparation stopped" (a few among 900k at 1M orders).
            models.Index(
                fields=["-stopped_at"],
                condition=Q(stopped_at__isnull=False),
                name="fulfillment_stopped_idx",
            ),
            # The monthly review: orders promised for delivery in the month.
            models.Index(fields=["promised_date"], name="fulfillment_promised_idx"),
            # "My work": later dates the customer has not answered yet.
            models.Index(
                fields=["deliverable_date", "id"],
                condition=Q(needs_negotiation=True, customer_answer="", stopped_at__isnull=True),
                name="fulfillment_to_negotiate_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.order)

    def get_absolute_url(self) -> str:
        return reverse("fulfillment:order", args=[self.order_id])

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None


class FulfillmentLine(models.Model):
    """Per order line: the warehouse's stock answer, what is reserved and what has shipped."""

    fulfillment = models.ForeignKey(
        OrderFulfillment,
        verbose_name=_("order fulfillment"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    order_line = models.OneToOneField(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="fulfillment",
    )
    quantity = models.DecimalField(_("ordered"), max_digits=12, decimal_places=2)
    stock_status = models.CharField(
        _("stock status"), max_length=20, choices=StockStatus.choices, blank=True
    )
    reserved = models.DecimalField(_("reserved"), max_digits=12, decimal_places=2, default=ZERO)
    shipped = models.DecimalField(_("shipped"), max_digits=12, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("fulfillment line")
        verbose_name_plural = _("fulfillment lines")
        ordering = ["order_line__position", "order_line_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="fulfillment_line_reserved_not_negative"
            ),
            # Partial shipments never ship more than was ordered.
            models.CheckConstraint(
                condition=Q(shipped__gte=0) & Q(shipped__lte=F("quantity")),
                name="fulfillment_line_shipped_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.order_line)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.shipped


class Stage(models.TextChoices):
    PURCHASING = "purchasing", _("Purchasing")
    PRODUCTION = "production", _("Production")
    QC = "qc", _("Quality check")
    PACKING = "packing", _("Packing")
    PICKING = "picking", _("Picking from stock")
    OTHER = "other", _("Other")


class ProgressEntry(models.Model):
    """A row of the follow-up progress table (订单跟进进度表)."""

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="progress_entries",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned finish"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual finish"), null=True, blank=True)
    note = models.TextField(_("follow-up note"), blank=True)
    problem = models.TextField(_("problem"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # When the manager was told about a delay risk of this stage (told once).
    risk_notified_at = models.DateTimeField(_("delay risk reported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress entries")
        ordering = ["order", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True) | Q(planned_end__gte=F("planned_start")),
                name="progress_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="progress_actual_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_stage_display()}"

    def is_late(self, today: date | None = None) -> bool:
        """Finished after plan, or not finished and the planned finish has passed."""
        today = today or timezone.localdate()
        if self.actual_end is not None:
            return self.actual_end > self.planned_end
        return self.planned_end < today


class QcResult(models.TextChoices):
    PENDING = "pending", _("Not inspected")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed QC")


class ShipmentPreparation(models.Model):
    """The shipment preparation form (发货准备单): goods, packing, QC result and inspector."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="shipment_preparation",
    )
    packing = models.CharField(_("packing"), max_length=300, blank=True)
    package_count = models.PositiveIntegerField(_("number of packages"), null=True, blank=True)
    gross_weight_kg = models.DecimalField(
        _("gross weight (kg)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    qc_result = models.CharField(
        _("QC result"), max_length=10, choices=QcResult.choices, default=QcResult.PENDING
    )
    qc_inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("QC inspector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    qc_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    qc_report = models.TextField(_("QC report"), blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("shipment preparation form")
        verbose_name_plural = _("shipment preparation forms")

    def __str__(self) -> str:
        return str(self.order)

    @property
    def is_complete(self) -> bool:
        return bool(self.packing and self.package_count) and self.qc_result == QcResult.PASSED


class ShippingMethod(models.TextChoices):
    EXPRESS = "express", _("Express courier")
    LTL = "ltl", _("Less-than-truckload freight")
    FTL = "ftl", _("Full truckload")
    AIR = "air", _("Air freight")
    PICKUP = "pickup", _("Customer pickup")


class Shipment(models.Model):
    """One shipment of an order; an order may ship in several (partial shipments)."""

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="shipments"
    )
    sequence = models.PositiveSmallIntegerField(_("shipment no."), default=1)
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
    )
    carrier = models.CharField(_("carrier"), max_length=100)
    method = models.CharField(_("shipping method"), max_length=20, choices=ShippingMethod.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=100)
    eta = models.DateField(_("estimated arrival"))
    note = models.TextField(_("note"), blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shipped by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    shipped_at = models.DateTimeField(_("shipped at"), default=timezone.now)
    customer_notified_at = models.DateTimeField(_("customer notified at"), null=True, blank=True)
    customer_notified_to = models.CharField(
        _("customer notified at address"), max_length=300, blank=True
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["order", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="shipment_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order}-{self.sequence}"

    def get_absolute_url(self) -> str:
        return reverse("fulfillment:delivery_note", args=[self.pk])


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="shipment_lines",
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["order_line__position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line.product} × {self.quantity}"


class TrackingStatus(models.TextChoices):
    """What a carrier or 3PL reports of a shipment (fulfillment/tracking.py)."""

    PICKED_UP = "picked_up", _("Picked up")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")


class ShipmentTrackingEvent(models.Model):
    """One tracking event a carrier or 3PL posted for a shipment. Written once; the
    carrier's ``external_id`` makes a repeated post record nothing new."""

    shipment = models.ForeignKey(
        Shipment,
        verbose_name=_("shipment"),
        on_delete=models.CASCADE,
        related_name="tracking_events",
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    status = models.CharField(_("status"), max_length=20, choices=TrackingStatus.choices)
    location = models.CharField(_("location"), max_length=200, blank=True)
    # The carrier's own words, kept as data (not a message of the portal).
    description = models.CharField(_("description"), max_length=500, blank=True)
    external_id = models.CharField(_("carrier's event id"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("shipment tracking event")
        verbose_name_plural = _("shipment tracking events")
        ordering = ["shipment", "-occurred_at", "-id"]
        permissions = [("post_tracking", _("Can post shipment tracking events"))]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "external_id"], name="tracking_event_external_id_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["shipment", "-occurred_at"], name="tracking_event_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"
