"""Reads of the orders app: the catalog and order lists, the printed forms, the "my
work" sources and the customer-file panels (registered by ``OrdersConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import SlaClock
from core.panels import TimelineEntry
from orders.models import (
    CustomerContactLog,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    OrderStatusCount,
    Product,
    Quotation,
    QuotationEvent,
)
from orders.predicates.orders import exclude_authored


def product_list(*, filters: dict[str, Any]) -> QuerySet[Product]:
    qs = Product.objects.all()
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(spec__icontains=q))
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    active = filters.get("active")
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("code")


# --- orders ------------------------------------------------------------------------

# The list's sort keys (the ``sort`` query parameter) and the columns behind them;
# a whitelist, so a hand-made URL cannot order by an arbitrary (or private) field.
ORDER_SORTS: dict[str, tuple[Any, ...]] = {
    "number": ("number", "pk"),
    "-number": ("-number", "-pk"),
    "order_date": ("order_date", "pk"),
    "-order_date": ("-order_date", "-pk"),
    "delivery": (F("requested_delivery_date").asc(nulls_last=True), "pk"),
    "-delivery": (F("requested_delivery_date").desc(nulls_last=True), "-pk"),
    "total": ("total_amount", "pk"),
    "-total": ("-total_amount", "-pk"),
}
_NEWEST_FIRST = ("-created_at", "-pk")

# The status tabs of the order list, in life-cycle order ("all" comes first).
ORDER_TAB_STATUSES: tuple[str, ...] = (
    OrderStatus.DRAFT,
    OrderStatus.PENDING_REVIEW,
    OrderStatus.NEEDS_INFO,
    OrderStatus.PENDING_APPROVAL,
    OrderStatus.PENDING_DIRECTOR,
    OrderStatus.CONFIRMED,
    OrderStatus.PREPARING,
    OrderStatus.READY_TO_SHIP,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.ACCEPTED,
    OrderStatus.COMPLETED,
    OrderStatus.REJECTED,
    OrderStatus.CANCELLED,
    OrderStatus.ARCHIVED,
)


def _overdue_clock() -> Exists:
    """An open SLA clock on the order that is already past due (docs/workflow.md §5)."""
    return Exists(
        SlaClock.objects.open().filter(
            content_type=ContentType.objects.get_for_model(Order),
            object_id=OuterRef("pk"),
            due_at__lte=timezone.now(),
        )
    )


# A search matching more orders than this is "broad": its rows are found by walking the
# newest-first index (dense matches turn up at once), and its tab counts are not computed.
SEARCH_COUNT_LIMIT = 5000


def _search_customers(q: str) -> QuerySet[Any]:
    from customers.models import Customer

    return Customer.objects.filter(name__icontains=q).values("pk")


def _search_product_orders(q: str) -> QuerySet[OrderLine, Any]:
    products = Product.objects.filter(Q(name__icontains=q) | Q(code__icontains=q)).values("pk")
    return OrderLine.objects.filter(product__in=products).order_by().values("order_id")


def _search_parts(q: str) -> list[QuerySet[Any]]:
    """The order ids matching ``q`` by number, contact, customer name and product."""
    return [
        Order.objects.filter(number__icontains=q).order_by().values("pk"),
        Order.objects.filter(contact_name__icontains=q).order_by().values("pk"),
        Order.objects.filter(customer__in=_search_customers(q)).order_by().values("pk"),
        _search_product_orders(q),
    ]


def order_search_is_broad(q: str, *, limit: int | None = None) -> bool:
    """Whether ``q`` matches at least ``limit`` orders; stops counting there.

    UNION ALL streams (duplicates may count twice, which only errs towards "broad" for a
    term that is almost broad), so a term found in 100,000 orders costs a few ms here.
    """
    limit = limit or SEARCH_COUNT_LIMIT
    by_number, by_contact, by_customer, by_product = _search_parts(q)
    # The parts run in this order and stop at the limit: customers and products are small
    # tables whose matches lead to orders by index, while a one- or two-character term
    # ("北京") has no trigram to search the number and contact indexes with.
    return by_customer.union(by_product, by_contact, by_number, all=True)[:limit].count() >= limit


def _order_search(qs: QuerySet[Order], q: str, *, broad: bool = False) -> QuerySet[Order]:
    """One box for number, customer, contact and product (name or code).

    A narrow term: the matching ids are a UNION of four lookups, each served by its own
    trigram index (orders/migrations/0010); an OR across the joined tables could use none
    of them and read every order (1.7–2.5 s at a million orders). A broad term ("北京",
    100,000 orders): the UNION would collect and sort all of them (4 s), while the OR,
    checked along the newest-first index, finds a page of them in a few ms.
    """
    if broad:
        return qs.filter(
            Q(number__icontains=q)
            | Q(contact_name__icontains=q)
            | Q(customer__in=_search_customers(q))
            | Q(pk__in=_search_product_orders(q))
        )
    first, *others = _search_parts(q)
    return qs.filter(pk__in=first.union(*others))


def order_list(*, filters: dict[str, Any], broad_search: bool = False) -> QuerySet[Order]:
    """Orders matching the list filters except the status tab (the tabs count over this)."""
    qs = Order.objects.all()
    q = (filters.get("q") or "").strip()
    if q:
        qs = _order_search(qs, q, broad=broad_search)
    for field in ("customer", "owner", "source_channel"):
        if filters.get(field):
            qs = qs.filter(**{field: filters[field]})
    if filters.get("date_from"):
        qs = qs.filter(order_date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(order_date__lte=filters["date_to"])
    if filters.get("overdue"):
        qs = qs.filter(_overdue_clock())
    if filters.get("region"):
        qs = qs.filter(customer__region=filters["region"])
    return qs


def order_list_rows(
    qs: QuerySet[Order], *, status: str | None = None, sort: str | None = None
) -> QuerySet[Order]:
    """The rows of one status tab, sorted, with everything a row shows in the same query.

    Customer and owner are joined and the overdue flag is an EXISTS annotation,
    so the page costs the same number of queries for 5 orders or 500.
    """
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("customer", "owner")
        .annotate(is_overdue=_overdue_clock())
        .order_by(*ORDER_SORTS.get(sort or "", _NEWEST_FIRST))
    )


def order_status_counts(qs: QuerySet[Order], *, all_orders: bool = False) -> dict[str, int]:
    """Orders per status of ``qs`` plus ``"all"``, in one grouped COUNT query.

    ``all_orders=True`` (the unfiltered list) reads the counter table that database
    triggers keep (``OrderStatusCount``) instead: counting a million orders on every
    visit of the list costs 200 ms, summing the counter rows well under one.
    """
    rows: Any
    if all_orders:
        rows = (
            OrderStatusCount.objects.values("status")
            .annotate(n=Sum("n"))
            .values_list("status", "n")
            .order_by()
        )
    else:
        rows = qs.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    counts = {status: n for status, n in rows if n}
    counts["all"] = sum(counts.values())
    return counts


def order_review_form(*, pk: int) -> Order:
    """An order with everything the preliminary review form prints."""
    return (
        Order.objects.select_related(
            "customer", "owner", "created_by", "reviewed_by", "approved_by", "director_approved_by"
        )
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
            Prefetch("contacts", queryset=CustomerContactLog.objects.select_related("logged_by")),
        )
        .get(pk=pk)
    )


# The transitions that end a preliminary review, and how the form names their result.
REVIEW_ACTIONS = ("pass_review", "request_info", "reject")


def order_last_review(*, order: Order) -> OrderEvent | None:
    """The latest review decision on the order (pass, needs information or reject)."""
    return (
        order.events.filter(kind=OrderEventKind.TRANSITION, action__in=REVIEW_ACTIONS)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )


# --- "my work" (core.work sources) ----------------------------------------------------
# The review and approval lists use the four-eyes rule of the actions' predicates
# (orders/predicates/orders.py, ``exclude_authored``): nobody is offered an order the
# engine would refuse them because they created, own or edited its lines.


def work_orders_to_review(user: Any) -> QuerySet[Order]:
    """Orders waiting for a preliminary review by ``user``."""
    return (
        exclude_authored(Order.objects.filter(status=OrderStatus.PENDING_REVIEW), user)
        .select_related("customer")
        .order_by("submitted_at")
    )


def work_my_orders_to_fix(user: Any) -> QuerySet[Order]:
    """``user``'s own orders still to complete or clarify (draft, returned, needing info)."""
    return (
        Order.objects.filter(Q(created_by=user) | Q(owner=user))
        .filter(status__in=[OrderStatus.NEEDS_INFO, OrderStatus.RETURNED, OrderStatus.DRAFT])
        .select_related("customer")
        .order_by("updated_at")
    )


def work_orders_to_approve(user: Any) -> QuerySet[Order]:
    """Orders waiting for ``user``'s approval: the manager's tier, the director's, or both."""
    statuses = []
    if user.has_perm("orders.approve_order"):
        statuses.append(OrderStatus.PENDING_APPROVAL)
    if user.has_perm("orders.approve_large_order"):
        statuses.append(OrderStatus.PENDING_DIRECTOR)
    return (
        exclude_authored(Order.objects.filter(status__in=statuses), user)
        .select_related("customer")
        .order_by("submitted_at")
    )


def work_cancellations_to_decide(user: Any) -> QuerySet[Order]:
    """Cancellation requests ``user`` may decide: not their own request, not an order they
    created, own or edited (the approval inbox lists the same)."""
    return (
        exclude_authored(Order.objects.filter(cancel_requested_at__isnull=False), user)
        .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.ARCHIVED])
        .exclude(cancel_requested_by=user)
        .select_related("customer")
        .order_by("cancel_requested_at")
    )


def products_on_sale_count(user: Any) -> int:
    return Product.objects.filter(is_active=True).count()


# --- the customer file's panels (core.panels) -------------------------------------------


def panel_customer_orders(user: Any, customer: Any) -> dict[str, Any]:
    return {
        "orders": list(
            Order.objects.filter(customer=customer)
            .select_related("contract")
            .order_by("-created_at")[:20]
        )
    }


def panel_customer_orders_timeline(user: Any, customer: Any) -> list[TimelineEntry]:
    events = (
        OrderEvent.objects.filter(order__customer=customer)
        .filter(kind__in=[OrderEventKind.CREATED, OrderEventKind.TRANSITION])
        .select_related("order")
        .order_by("-created_at")[:30]
    )
    return [
        TimelineEntry(
            e.created_at,
            f"{_('Order')} {e.order}",
            e.get_to_status_display() if e.to_status else e.get_kind_display(),
            e.order.get_absolute_url(),
            "receipt",
        )
        for e in events
    ]


def panel_customer_quotations(user: Any, customer: Any) -> dict[str, Any]:
    return {
        "quotations": list(
            Quotation.objects.filter(customer=customer)
            .select_related("order")
            .order_by("-created_at")[:20]
        )
    }


def panel_customer_quotations_timeline(user: Any, customer: Any) -> list[TimelineEntry]:
    events = (
        QuotationEvent.objects.filter(quotation__customer=customer)
        .exclude(action="edit")
        .select_related("quotation")
        .order_by("-created_at")[:30]
    )
    return [
        TimelineEntry(
            e.created_at,
            f"{_('Quotation')} {e.quotation}",
            e.action_label,
            e.quotation.get_absolute_url(),
            "file-earmark-spreadsheet",
        )
        for e in events
    ]
