"""Reads of fulfillment for pages and "my work": constant query counts, database arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import roles
from core.messages import Msg
from fulfillment.models import (
    ZERO,
    AccountManagerSource,
    AllocationRule,
    FulfillmentLine,
    OrderFulfillment,
    ProgressEntry,
    PurchaseAlert,
    Shipment,
    StockLevel,
    StockMovement,
    Warehouse,
)
from orders.models import Order, OrderKind, OrderStatus


def allocation_rule_for(order: Order) -> AllocationRule | None:
    """The first rule (by priority; a rule for the customer's region before an any-region
    rule) whose amount band holds the order total."""
    total = order.total_amount
    return (
        AllocationRule.objects.filter(
            Q(region=order.customer.region) | Q(region=""),
            warehouse__is_active=True,
            min_amount__lte=total,
        )
        .filter(Q(max_amount__isnull=True) | Q(max_amount__gt=total))
        .select_related("warehouse", "responsible")
        .order_by("priority", F("region").desc(), "pk")
        .first()
    )


# --- the order's account manager (docs/workflow.md §2: account_manager) ---------------
@dataclass(frozen=True)
class AccountManagerChoice:
    """Who the order's customer-facing steps follow, and why it is them."""

    user: Any
    source: str
    rule: AllocationRule | None = None

    def describe(self) -> str:
        """ "X (by allocation rule …)" — the way the fulfillment page and the timeline say it."""
        from core.people import person_name

        how = AccountManagerSource(self.source).label if self.source else ""
        if self.source == AccountManagerSource.RULE and self.rule is not None:
            how = f"{how} {self.rule}"
        return _("%(person)s (%(how)s)") % {"person": person_name(self.user), "how": how}

    def message(self) -> Msg:
        """:meth:`describe` as a language-neutral message (a timeline note, a notification)."""
        from core.people import person_name

        how: Any = AccountManagerSource(self.source) if self.source else ""
        rule = self.rule
        if self.source == AccountManagerSource.RULE and rule is not None:
            regions = dict(rule._meta.get_field("region").flatchoices)
            rule_text = Msg(
                "%(region)s %(min)s–%(upper)s → %(warehouse)s",
                region=regions.get(rule.region, rule.region)
                if rule.region
                else gettext_lazy("any region"),
                min=str(rule.min_amount),
                upper=str(rule.max_amount) if rule.max_amount is not None else "∞",
                warehouse=str(rule.warehouse),
            )
            how = Msg("%(source)s %(rule)s", source=how, rule=rule_text)
        return Msg(gettext_lazy("%(person)s (%(how)s)"), person=person_name(self.user), how=how)


def _active(user: Any) -> Any:
    return user if user is not None and user.is_active else None


def default_account_manager() -> Any:
    """The configured default (settings.DEFAULT_ACCOUNT_MANAGER, a username), else the first
    active user of the account_manager role, else None."""
    username = getattr(settings, "DEFAULT_ACCOUNT_MANAGER", "") or ""
    if username:
        configured = get_user_model().objects.filter(username=username, is_active=True).first()
        if configured is not None:
            return configured
    people = roles.users_with_role(roles.ACCOUNT_MANAGER)
    return people[0] if people else None


def account_manager_choice(order: Order, rule: AllocationRule | None) -> AccountManagerChoice:
    """Who the order's account manager is at confirmation: the customer's own account
    manager, else the account manager of the allocation rule that took the order, else
    the default account manager; only when nobody holds the role, the order's owner."""
    customer_am = _active(order.customer.account_manager)
    if customer_am is not None:
        return AccountManagerChoice(customer_am, AccountManagerSource.CUSTOMER)
    rule_am = _active(rule.account_manager) if rule is not None else None
    if rule_am is not None:
        return AccountManagerChoice(rule_am, AccountManagerSource.RULE, rule)
    default = default_account_manager()
    if default is not None:
        return AccountManagerChoice(default, AccountManagerSource.DEFAULT)
    return AccountManagerChoice(order.owner, AccountManagerSource.OWNER)


def order_account_manager_choice(
    order: Order, fulfillment: OrderFulfillment | None = None
) -> AccountManagerChoice:
    """The account manager recorded on the order's fulfillment at confirmation; for an order
    without one (a service order, or one confirmed before it was recorded) the same rules
    applied now. ``fulfillment``: the order's, when the caller has it loaded already."""
    if fulfillment is None:
        fulfillment = (
            OrderFulfillment.objects.filter(order=order)
            .select_related("account_manager", "rule__warehouse")
            .first()
        )
    if fulfillment is not None and fulfillment.account_manager_id:
        return AccountManagerChoice(
            fulfillment.account_manager, fulfillment.account_manager_source, fulfillment.rule
        )
    rule = fulfillment.rule if fulfillment is not None else allocation_rule_for(order)
    return account_manager_choice(order, rule)


def order_account_manager(order: Order) -> Any:
    """The person every customer-facing step of ``order`` follows: the delivery notice,
    acceptance, the follow-up visit and what after-sales tells (public: aftersales uses it)."""
    return order_account_manager_choice(order).user


# How long a cancelled order stays on the warehouse page as "preparation stopped".
STOPPED_VISIBLE_DAYS = 30

_DECIMAL = DecimalField(max_digits=14, decimal_places=2)


def _orders(status: str) -> QuerySet[Order]:
    return (
        Order.objects.filter(status=status, kind=OrderKind.GOODS)
        .select_related("customer", "owner", "fulfillment__warehouse")
        .order_by(F("requested_delivery_date").asc(nulls_last=True), "pk")
    )


def _late_entry(today: Any) -> Exists:
    return Exists(
        ProgressEntry.objects.filter(
            order=OuterRef("pk"), actual_end__isnull=True, planned_end__lt=today
        )
    )


def orders_to_confirm() -> QuerySet[Order]:
    """Confirmed goods orders whose stock the warehouse has not confirmed yet."""
    return _orders(OrderStatus.CONFIRMED)


def orders_preparing() -> QuerySet[Order]:
    today = timezone.localdate()
    last_entry = ProgressEntry.objects.filter(order=OuterRef("pk")).order_by("-created_at", "-pk")
    return _orders(OrderStatus.PREPARING).annotate(
        is_late=_late_entry(today),
        past_promise=Case(
            When(fulfillment__promised_date__lt=today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        last_stage=Subquery(last_entry.values("stage")[:1]),
        last_entry_at=Subquery(last_entry.values("created_at")[:1]),
    )


def orders_preparing_late() -> QuerySet[Order]:
    return orders_preparing().filter(Q(is_late=True) | Q(past_promise=True))


def orders_ready_to_ship() -> QuerySet[Order]:
    return _orders(OrderStatus.READY_TO_SHIP).annotate(
        ordered=Coalesce(Sum("fulfillment__lines__quantity"), Value(ZERO), output_field=_DECIMAL),
        shipped=Coalesce(Sum("fulfillment__lines__shipped"), Value(ZERO), output_field=_DECIMAL),
    )


def orders_in_transit() -> QuerySet[Order]:
    return _orders(OrderStatus.SHIPPED).prefetch_related(
        Prefetch("shipments", queryset=Shipment.objects.order_by("sequence"))
    )


def orders_to_negotiate(user: Any) -> QuerySet[OrderFulfillment]:
    """Orders of ``user`` whose later deliverable date the customer has not answered."""
    qs = OrderFulfillment.objects.filter(
        needs_negotiation=True, customer_answer="", stopped_at__isnull=True
    ).select_related("order__customer")
    if not user.has_perm("orders.approve_order"):
        qs = qs.filter(order__owner=user)
    return qs.order_by("deliverable_date", "pk")


def open_purchase_alerts() -> QuerySet[PurchaseAlert]:
    return PurchaseAlert.objects.filter(resolved_at__isnull=True).select_related(
        "stock__product", "stock__warehouse"
    )


def stopped_recently() -> QuerySet[OrderFulfillment]:
    since = timezone.now() - timedelta(days=STOPPED_VISIBLE_DAYS)
    return (
        OrderFulfillment.objects.filter(stopped_at__gte=since)
        .select_related("order__customer", "warehouse")
        .order_by("-stopped_at")
    )


# A work page shows the most urgent orders of each section, not all of them: at a
# million orders "in preparation" alone held 5,700 rows (1.4 MB of HTML, 2 s).
SECTION_SIZE = 50


@dataclass
class Section:
    """The first ``SECTION_SIZE`` orders of one status (earliest delivery first) and the total."""

    rows: list[Order]
    total: int
    status: str

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _section(qs: QuerySet[Order], status: str) -> Section:
    rows = list(qs[:SECTION_SIZE])
    total = len(rows) if len(rows) < SECTION_SIZE else _orders(status).count()
    return Section(rows=rows, total=total, status=status)


def warehouse_dashboard() -> dict[str, Any]:
    return {
        "to_confirm": _section(orders_to_confirm(), OrderStatus.CONFIRMED),
        "preparing": _section(orders_preparing(), OrderStatus.PREPARING),
        "ready": _section(orders_ready_to_ship(), OrderStatus.READY_TO_SHIP),
        "alerts": list(open_purchase_alerts()),
        "stopped": list(stopped_recently()),
    }


def logistics_dashboard() -> dict[str, Any]:
    return {
        "ready": _section(orders_ready_to_ship(), OrderStatus.READY_TO_SHIP),
        "in_transit": _section(orders_in_transit(), OrderStatus.SHIPPED),
    }


def stock_levels(*, filters: dict[str, Any]) -> QuerySet[StockLevel]:
    qs = StockLevel.objects.select_related("warehouse", "product").annotate(
        available_qty=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=_DECIMAL),
    )
    qs = qs.annotate(
        is_low=Case(
            When(safety_stock__gt=0, available_qty__lt=F("safety_stock"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    if filters.get("warehouse"):
        qs = qs.filter(warehouse__code=filters["warehouse"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(product__code__icontains=q) | Q(product__name__icontains=q))
    if filters.get("low") == "1":
        qs = qs.filter(is_low=True)
    return qs.order_by("warehouse__code", "product__code")


def recent_movements(*, limit: int = 30) -> list[StockMovement]:
    return list(
        StockMovement.objects.select_related(
            "stock__warehouse", "stock__product", "order", "actor"
        )[:limit]
    )


def warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("code")


def order_fulfillment(*, pk: int) -> Order:
    """One order with everything its fulfillment page shows, in a fixed number of queries."""
    return (
        Order.objects.select_related(
            "customer",
            "customer__account_manager",
            "owner",
            "fulfillment__warehouse",
            "fulfillment__responsible",
            "fulfillment__account_manager",
            "fulfillment__rule__warehouse",
            "fulfillment__stock_confirmed_by",
            "fulfillment__answered_by",
            "shipment_preparation__qc_inspector",
            "shipment_preparation__prepared_by",
        )
        .prefetch_related(
            "lines__product",
            Prefetch(
                "fulfillment__lines",
                queryset=FulfillmentLine.objects.select_related("order_line__product"),
            ),
            Prefetch(
                "progress_entries",
                queryset=ProgressEntry.objects.select_related("owner", "recorded_by"),
            ),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("shipped_by").prefetch_related(
                    "lines__order_line__product", "tracking_events"
                ),
            ),
        )
        .get(pk=pk)
    )


def shipment_document(*, pk: int) -> Shipment:
    return (
        Shipment.objects.select_related(
            "order__customer", "order__owner", "warehouse", "shipped_by"
        )
        .prefetch_related("lines__order_line__product")
        .get(pk=pk)
    )
