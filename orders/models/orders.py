"""Orders: the order and its lines, its timeline, numbering and status counters,
contact logs, attachments, the approval policy and changes after confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Round
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from core.errors import ReadOnly
from core.indexes import trigram_index
from core.messages import message_text
from core.uploads import PrivateUploadTo
from core.validators import validate_phone, validate_postcode
from orders.models.catalog import Product


class OrderStatus(models.TextChoices):
    """Every state of the order life cycle (docs/workflow.md §4); codes are stable identifiers."""

    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Pending review")
    NEEDS_INFO = "needs_info", _("Needs information")
    REJECTED = "rejected", _("Rejected")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    PENDING_DIRECTOR = "pending_director", _("Pending director approval")
    RETURNED = "returned", _("Returned")
    CONFIRMED = "confirmed", _("Confirmed")
    SERVICE_SCHEDULED = "service_scheduled", _("Service scheduled")
    PREPARING = "preparing", _("Preparing")
    READY_TO_SHIP = "ready_to_ship", _("Ready to ship")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    ACCEPTED = "accepted", _("Accepted")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    ARCHIVED = "archived", _("Archived")


# "From any state before shipped" (docs/workflow.md §4): the states a cancellation may start from.
CANCELLABLE_STATUSES = [
    "draft",
    "pending_review",
    "needs_info",
    "pending_approval",
    "pending_director",
    "returned",
    "confirmed",
    "service_scheduled",
    "preparing",
    "ready_to_ship",
]

# Bootstrap colour of each status badge.
STATUS_COLORS = {
    "draft": "secondary",
    "pending_review": "warning",
    "needs_info": "danger",
    "rejected": "dark",
    "pending_approval": "info",
    "pending_director": "info",
    "returned": "warning",
    "cancelled": "dark",
    "archived": "light",
    "completed": "success",
}

# States in which the assistant who entered the order may still edit it (docs/workflow.md §2).
EDITABLE_STATUSES = (OrderStatus.DRAFT, OrderStatus.NEEDS_INFO, OrderStatus.RETURNED)

# Confirmed and not shipped: the owner may still change delivery details (order.change).
CHANGEABLE_STATUSES = (
    OrderStatus.CONFIRMED,
    OrderStatus.SERVICE_SCHEDULED,
    OrderStatus.PREPARING,
    OrderStatus.READY_TO_SHIP,
)


class OrderKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    SERVICE = "service", _("Service (installation, maintenance)")


class SourceChannel(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    PAPER = "paper", _("Paper")
    TRADE_SHOW = "trade_show", _("Trade show")
    DISTRIBUTOR = "distributor", _("Distributor")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class PaymentTerms(models.TextChoices):
    PREPAID = "prepaid", _("Payment before delivery")
    DEPOSIT_30 = "deposit_30", _("Deposit 30%, balance on delivery")
    ON_DELIVERY = "on_delivery", _("Payment on delivery")
    NET_30 = "net_30", _("Monthly statement, 30 days")
    NET_60 = "net_60", _("Monthly statement, 60 days")
    OTHER = "other", _("Other (see note)")


class OrderQuerySet(models.QuerySet["Order"]):
    def editable(self) -> OrderQuerySet:
        return self.filter(status__in=EDITABLE_STATUSES)


class Order(ConcurrentTransitionMixin, models.Model):
    """A customer's order, from entry to archive. ``status`` changes only through transitions.

    The transitions say which moves exist; who may make them is the predicate of the
    action that runs them (orders/predicates/orders.py, orders/actions/orders.py).
    """

    number = models.CharField(
        _("order number"), max_length=30, unique=True, null=True, blank=True, editable=False
    )
    kind = models.CharField(
        _("order kind"), max_length=10, choices=OrderKind.choices, default=OrderKind.GOODS
    )
    status = FSMField(
        _("status"),
        max_length=30,
        choices=OrderStatus.choices,
        default=OrderStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=30, blank=True, validators=[validate_phone]
    )
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    requested_delivery_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    payment_terms = models.CharField(
        _("payment terms"), max_length=20, choices=PaymentTerms.choices, blank=True
    )
    payment_note = models.CharField(_("payment note"), max_length=200, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    delivery_postcode = models.CharField(
        _("postcode"), max_length=6, blank=True, validators=[validate_postcode]
    )
    special_requirements = models.TextField(_("special requirements"), blank=True)
    source_channel = models.CharField(
        _("source channel"),
        max_length=20,
        choices=SourceChannel.choices,
        default=SourceChannel.PHONE,
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales owner"),
        on_delete=models.PROTECT,
        related_name="owned_orders",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="entered_orders",
        editable=False,
    )
    # Computed in the database from the lines by orders.services.orders; never typed.
    total_amount = models.DecimalField(
        _("total (CNY)"), max_digits=16, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    review_note = models.TextField(_("review note"), blank=True, editable=False)
    # Internal approval (docs/workflow.md). The reasons are kept as text (the admin, search)
    # and as language-neutral messages read in the reader's language (core.messages).
    director_reasons = models.TextField(
        _("why the director must approve"), blank=True, editable=False
    )
    director_reasons_msg = models.JSONField(
        _("why the director must approve (message)"), null=True, blank=True, editable=False
    )
    credit_hold = models.BooleanField(_("on credit hold"), default=False, editable=False)
    credit_hold_reason = models.TextField(_("credit hold reason"), blank=True, editable=False)
    credit_hold_reason_msg = models.JSONField(
        _("credit hold reason (message)"), null=True, blank=True, editable=False
    )
    credit_released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credit hold released by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    director_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by the director"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    director_approved_at = models.DateTimeField(
        _("approved by the director at"), null=True, blank=True, editable=False
    )
    # The total that was approved: a later change above it must be approved again.
    approved_total = models.DecimalField(
        _("approved total (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    return_reason = models.TextField(_("return reason"), blank=True, editable=False)
    cancel_requested_at = models.DateTimeField(
        _("cancellation requested at"), null=True, blank=True, editable=False
    )
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancellation requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    cancel_reason = models.TextField(_("cancellation reason"), blank=True, editable=False)
    # The contract the order was placed under (the contracts app, below orders).
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        permissions = [
            ("review_order", _("Can run the preliminary review of orders")),
            ("approve_order", _("Can approve orders (sales manager)")),
            ("approve_large_order", _("Can give the final approval of large orders (director)")),
            ("release_credit_hold", _("Can release a credit hold")),
            ("approve_cancellation", _("Can approve cancellations and late changes")),
            ("confirm_stock", _("Can confirm stock and record preparation")),
            ("ship_order", _("Can ship orders")),
            ("record_delivery", _("Can record delivery")),
            ("accept_delivery", _("Can record customer acceptance")),
            ("complete_order", _("Can complete orders")),
            ("archive_order", _("Can archive orders")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(requested_delivery_date__isnull=True)
                | Q(requested_delivery_date__gte=F("order_date")),
                name="order_delivery_not_before_order_date",
            ),
        ]
        indexes = [
            # The order list: newest first within a status tab.
            # The order list: newest first, in a status tab and overall (keyed with the id so
            # the sort is total and deep pages stay cheap); measured at 1M orders.
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_created_idx"),
            models.Index(fields=["-created_at", "-id"], name="order_list_newest_idx"),
            models.Index(
                fields=["customer", "-created_at", "-id"], name="order_customer_created_idx"
            ),
            # The warehouse and logistics work pages: one status, earliest delivery first
            # (without it the planner walked the delivery-date index through every order).
            models.Index(
                fields=["status", "requested_delivery_date", "id"], name="order_status_delivery_idx"
            ),
            # The monthly review and the dashboards: the orders of a month by order date.
            models.Index(fields=["order_date"], name="order_date_idx"),
            # The monthly review's late orders: those promised for delivery in the month.
            models.Index(fields=["requested_delivery_date"], name="order_requested_delivery_idx"),
            # The approval inbox's open cancellation requests (a few rows among a million).
            models.Index(
                fields=["cancel_requested_at"],
                condition=Q(cancel_requested_at__isnull=False) & ~Q(status="cancelled"),
                name="order_cancel_pending_idx",
            ),
            models.Index(fields=["customer", "-order_date"], name="order_customer_date_idx"),
            # The list's search box (orders.selectors._order_search), one index per part.
            trigram_index("number", name="order_number_trgm_idx"),
            trigram_index("contact_name", name="order_contact_trgm_idx"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft #%(pk)s") % {"pk": self.pk})

    def save(self, *args: Any, **kwargs: Any) -> None:
        """An archived order is read-only everywhere, not only in the pages."""
        if (
            self.pk is not None
            and self.status == OrderStatus.ARCHIVED
            and not getattr(self, "_archiving", False)
        ):
            raise OrderArchivedError(self)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.pk])

    @property
    def status_color(self) -> str:
        return STATUS_COLORS.get(self.status, "primary")

    @property
    def is_service(self) -> bool:
        return self.kind == OrderKind.SERVICE

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    # --- conditions and permissions of the transitions -----------------------
    def has_lines(self) -> bool:
        return self.lines.exists()

    def customer_is_qualified(self) -> bool:
        """A customer may pass review once its business licence is on file (docs/workflow.md §4)."""
        return self.customer.qualification_status not in ("rejected", "suspended") and (
            self.customer.documents.filter(kind="business_licence").exists()
        )

    def has_contact_since_info_request(self) -> bool:
        last_request = (
            self.events.filter(kind="transition", to_status=OrderStatus.NEEDS_INFO)
            .order_by("-created_at")
            .first()
        )
        if last_request is None:
            return False
        return self.contacts.filter(created_at__gte=last_request.created_at).exists()

    # --- transitions (their actions, effects and predicates: orders/actions/orders.py)
    @transition(
        field=status,
        source=[OrderStatus.DRAFT, OrderStatus.RETURNED],
        target=OrderStatus.PENDING_REVIEW,
        conditions=[has_lines],
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=status,
        source=OrderStatus.PENDING_REVIEW,
        target=OrderStatus.NEEDS_INFO,
    )
    def request_info(self) -> None:
        pass

    @transition(
        field=status,
        source=OrderStatus.NEEDS_INFO,
        target=OrderStatus.PENDING_REVIEW,
        conditions=[has_contact_since_info_request],
    )
    def resubmit(self) -> None:
        pass

    @transition(
        field=status,
        source=OrderStatus.PENDING_REVIEW,
        target=OrderStatus.REJECTED,
    )
    def reject(self) -> None:
        pass

    @transition(
        field=status,
        source=OrderStatus.PENDING_REVIEW,
        target=OrderStatus.PENDING_APPROVAL,
        conditions=[customer_is_qualified],
    )
    def pass_review(self) -> None:
        pass

    # --- internal approval ------------------------------------------------------
    def not_on_credit_hold(self) -> bool:
        return not self.credit_hold

    @transition(
        field=status,
        source=OrderStatus.PENDING_APPROVAL,
        target=RETURN_VALUE(OrderStatus.CONFIRMED, OrderStatus.PENDING_DIRECTOR),
        conditions=[not_on_credit_hold],
    )
    def approve(self, *, needs_director: bool) -> str:
        """Manager approval; large orders or special terms go on to the director."""
        return OrderStatus.PENDING_DIRECTOR if needs_director else OrderStatus.CONFIRMED

    @transition(
        field=status,
        source=OrderStatus.PENDING_DIRECTOR,
        target=OrderStatus.CONFIRMED,
        conditions=[not_on_credit_hold],
    )
    def director_approve(self) -> None:
        pass

    @transition(
        field=status,
        source=[OrderStatus.PENDING_APPROVAL, OrderStatus.PENDING_DIRECTOR],
        target=OrderStatus.RETURNED,
    )
    def return_to_creator(self) -> None:
        pass

    @transition(
        field=status,
        source=[OrderStatus.CONFIRMED, OrderStatus.PENDING_DIRECTOR],
        target=OrderStatus.PENDING_APPROVAL,
    )
    def require_reapproval(self) -> None:
        """A change to lines or amounts after approval sends the order back to the manager."""

    # --- fulfillment and after-sales (their actions run these; the permissions below
    # are the roles' and are checked by those actions' predicates) --------------------
    @transition(
        field=status,
        source=OrderStatus.CONFIRMED,
        target=OrderStatus.PREPARING,
        permission=lambda order, user: user.has_perm("orders.confirm_stock"),
    )
    def confirm_stock(self) -> None:
        pass

    @transition(
        field=status,
        source=OrderStatus.CONFIRMED,
        target=OrderStatus.SERVICE_SCHEDULED,
        permission=lambda order, user: user.has_perm("orders.confirm_stock"),
    )
    def schedule_service(self) -> None:
        pass

    @transition(
        field=status,
        source=OrderStatus.PREPARING,
        target=OrderStatus.READY_TO_SHIP,
        permission=lambda order, user: user.has_perm("orders.confirm_stock"),
    )
    def ready(self) -> None:
        """Preparation done; the fulfillment service checks QC before calling this."""

    @transition(
        field=status,
        source=OrderStatus.READY_TO_SHIP,
        target=OrderStatus.SHIPPED,
        permission=lambda order, user: user.has_perm("orders.ship_order"),
    )
    def ship(self) -> None:
        """Everything has shipped (partial shipments are the fulfillment app's business)."""

    @transition(
        field=status,
        source=OrderStatus.SHIPPED,
        target=OrderStatus.DELIVERED,
        permission=lambda order, user: user.has_perm("orders.record_delivery"),
    )
    def deliver(self) -> None:
        pass

    @transition(
        field=status,
        source=OrderStatus.DELIVERED,
        target=OrderStatus.ACCEPTED,
        permission=lambda order, user: user.has_perm("orders.accept_delivery"),
    )
    def accept(self) -> None:
        pass

    @transition(
        field=status,
        source=[OrderStatus.ACCEPTED, OrderStatus.SERVICE_SCHEDULED],
        target=OrderStatus.COMPLETED,
    )
    def complete(self) -> None:
        pass

    # --- cancellation and archive -----------------------------------------------
    @transition(
        field=status,
        source=CANCELLABLE_STATUSES,
        target=OrderStatus.CANCELLED,
    )
    def cancel(self) -> None:
        pass

    @transition(field=status, source=OrderStatus.DRAFT, target=OrderStatus.CANCELLED)
    def discard(self) -> None:
        """A draft withdrawn by its maker (order.discard): nothing for a manager to decide."""

    @transition(
        field=status,
        source=[OrderStatus.COMPLETED, OrderStatus.CANCELLED],
        target=OrderStatus.ARCHIVED,
    )
    def archive(self) -> None:
        self._archiving = True

    # --- the importer -------------------------------------------------------------
    @transition(field=status, source=OrderStatus.DRAFT, target=RETURN_VALUE(*OrderStatus.values))
    def record_import(self, *, status: str) -> str:
        """A historical order enters the state the old spreadsheet recorded (order.import)."""
        if status not in OrderStatus.values:
            raise ValueError(f"unknown order status {status!r}")
        self._archiving = status == OrderStatus.ARCHIVED
        return status


class OrderArchivedError(ReadOnly):
    """Something tried to change an archived order or its lines outside the action engine
    (which refuses every action on an archived order before it writes anything)."""

    def __init__(self, order: Order) -> None:
        super().__init__()
        self.order = order


class PricedLine(models.Model):
    """What an order line and a quotation line share: product details, price and the amount,
    which the database computes (quantity × unit price × (1 − discount), to the fen)."""

    position = models.PositiveSmallIntegerField(_("line"), default=1)
    spec = models.CharField(_("specification / model"), max_length=200, blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(
        _("unit price (CNY)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    # quantity × unit price × (1 − discount), rounded to the fen by the database.
    amount = models.GeneratedField(
        expression=Round(
            F("quantity")
            * F("unit_price")
            * (Value(Decimal("100")) - F("discount_percent"))
            / Value(Decimal("100")),
            2,
        ),
        output_field=models.DecimalField(max_digits=18, decimal_places=2),
        db_persist=True,
        verbose_name=_("amount (CNY)"),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"  # type: ignore[attr-defined]


class OrderLine(PricedLine):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="order_lines"
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="order_line_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="order_line_discount_0_100",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._check_not_archived()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._check_not_archived()
        return super().delete(*args, **kwargs)

    def _check_not_archived(self) -> None:
        if (
            self.order_id
            and Order.objects.filter(pk=self.order_id, status=OrderStatus.ARCHIVED).exists()
        ):
            raise OrderArchivedError(self.order)


class OrderStatusCount(models.Model):
    """How many orders are in each status, kept by the database itself.

    Statement-level triggers on ``orders_order`` (migration 0011) append one row per status
    and statement with the change (+n / -n), inside the writing transaction, so the sum per
    status is exact in every snapshot — whatever wrote the orders (ORM, bulk update, import,
    raw SQL). Appending instead of updating one row per status means concurrent transactions
    never wait for each other; ``order_status_counts_compact`` folds the rows every minute.
    """

    status = models.CharField(max_length=32)
    n = models.BigIntegerField()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.status}: {self.n:+d}"


class OrderNumberCounter(models.Model):
    """The last serial number given out in a month; one row per month, locked on use."""

    period = models.CharField(max_length=6, primary_key=True)  # YYYYMM
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order number counter")
        verbose_name_plural = _("order number counters")

    def __str__(self) -> str:
        return f"{self.period}: {self.last_serial}"


class OrderEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status change")
    CONTACT = "contact", pgettext_lazy("communication log", "Customer contact")
    EDIT = "edit", _("Edited")
    ATTACHMENT = "attachment", _("Attachment")
    NOTE = "note", _("Note")
    IMPORTED = "imported", _("Imported")


class OrderEvent(models.Model):
    """One entry of an order's timeline. Written once, never changed (history is not rewritten)."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrderEventKind.choices)
    action = models.CharField(_("action"), max_length=40, blank=True)
    from_status = models.CharField(
        _("from"), max_length=30, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=30, choices=OrderStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    # A system-written note as a language-neutral message (core.messages), rendered in the
    # reader's language; the text field keeps its default-language text or a person's words.
    note_msg = models.JSONField(_("note (message)"), null=True, blank=True)
    # What else the step recorded (e.g. the fields a change touched, an imported state).
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]
        indexes = [
            # The monthly review's "first time an order reached a status" (delivered, shipped…).
            models.Index(
                fields=["to_status", "created_at"],
                include=["order"],  # covering: the month's deliveries by index only
                condition=Q(kind="transition"),
                name="orderevent_to_status_idx",
            ),
            # Per order, its transitions: the monthly review's stage times and first
            # deliveries read these as index-only scans.
            models.Index(
                fields=["order", "to_status", "created_at"],
                condition=Q(kind="transition"),
                name="orderevent_order_trans_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def note_text(self) -> str:
        """The note in the reader's language."""
        return message_text(self.note_msg, self.note)


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Visit")
    OTHER = "other", _("Other")


class CustomerContactLog(models.Model):
    """A logged conversation with the customer about an order (meets the clarification clock)."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="contacts"
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    person = models.CharField(_("customer contact"), max_length=50)
    result = models.TextField(_("result"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        # The log, not the person (that is ``person``'s "customer contact"): 沟通记录.
        verbose_name = pgettext_lazy("communication log", "customer contact")
        verbose_name_plural = pgettext_lazy("communication log", "customer contacts")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.person}"


class OrderAttachment(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=PrivateUploadTo("orders"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order attachment")
        verbose_name_plural = _("order attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ApprovalPolicy(models.Model):
    """The approval rules an administrator may change (one row, edited in the admin).

    Defaults follow the customer's process: orders above 10,000 CNY, or with
    special terms, need the sales director too (docs/workflow.md §4).
    """

    director_threshold = models.DecimalField(
        _("director approval above (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("10000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_discount_percent = models.DecimalField(
        _("largest discount without the director (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    max_below_list_percent = models.DecimalField(
        _("largest price cut below list price without the director (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    standard_payment_terms = models.JSONField(
        _("standard payment terms"),
        default=list,
        blank=True,
        help_text=_("Codes of the payment terms that are not special terms."),
    )
    minimum_collection_rate = models.DecimalField(
        _("lowest acceptable collection rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("80.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    change_window_hours = models.PositiveSmallIntegerField(
        _("free change window after confirmation (hours)"), default=2
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policy")

    def __str__(self) -> str:
        return str(_("Approval policy"))

    @classmethod
    def current(cls) -> ApprovalPolicy:
        policy, _created = cls.objects.get_or_create(
            pk=1,
            defaults={
                "standard_payment_terms": [
                    PaymentTerms.PREPAID,
                    PaymentTerms.ON_DELIVERY,
                    PaymentTerms.NET_30,
                ]
            },
        )
        return policy


class OrderChangeStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved and applied")
    DECLINED = "declined", _("Declined")


class OrderChange(models.Model):
    """A change to a confirmed order: applied at once inside the change window, else a request.

    ``changes`` lists {"field", "label", "old", "new"} entries (lines as
    "line N quantity" etc.), which is what the timeline shows.
    """

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="changes"
    )
    status = models.CharField(_("status"), max_length=10, choices=OrderChangeStatus.choices)
    changes = models.JSONField(_("changes"), default=list)
    # What to apply when a request is approved: {"order": {...}, "lines": {pk: {...}}}.
    payload = models.JSONField(_("proposed values"), default=dict)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("order change")
        verbose_name_plural = _("order changes")
        ordering = ["-requested_at"]
        constraints = [
            # One open request at a time: a second one would be decided on stale values.
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="pending"), name="one_pending_change_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.get_status_display()}"
