"""Read queries of after-sales: the order page, the ticket page, the work lists.

Every list is one query (plus a fixed number of prefetches), whatever its length:
the clocks are annotated with subqueries rather than read per row.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from aftersales.exceptions import (
    BLOCK_NO_VISIT,
    BLOCK_NOT_ACCEPTED,
    BLOCK_OPEN_TICKET,
    BLOCK_REPLACEMENT,
)
from aftersales.models import (
    OPEN_TICKET_STATUSES,
    UNDERWAY_REPLACEMENT_STATUSES,
    AcceptanceIssue,
    AftersalesTicket,
    FollowUpVisit,
    ReplacementShipment,
    ReplacementStatus,
    TicketResponse,
)
from core.models import SlaClock, SlaKind
from orders.models import Order, OrderStatus


def _open_clock_due(model: type, kind: str) -> Subquery:
    clocks = (
        SlaClock.objects.open()
        .filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
            kind=kind,
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return Subquery(clocks, output_field=DateTimeField())


def deliveries_to_accept(user: Any = None) -> QuerySet[Order]:
    """Delivered orders waiting for the customer's acceptance; the account manager's own first."""
    orders = Order.objects.filter(status=OrderStatus.DELIVERED).select_related("customer", "owner")
    if user is not None:
        orders = orders.annotate(
            mine=Case(
                When(customer__account_manager=user, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        ).order_by("-mine", "updated_at")
    return orders.order_by("updated_at") if user is None else orders


def followups_due() -> QuerySet[Order]:
    """Accepted orders whose follow-up visit is not logged, earliest deadline (overdue) first."""
    return (
        Order.objects.filter(status=OrderStatus.ACCEPTED, followup_visit__isnull=True)
        .select_related("customer", "owner")
        .annotate(followup_due=_open_clock_due(Order, SlaKind.FOLLOWUP_VISIT))
        .order_by("followup_due", "pk")
    )


def tickets_by_clock(*, open_only: bool = True, owner: Any = None) -> QuerySet[AftersalesTicket]:
    """Tickets with their running response / resolution deadlines, the most urgent first."""
    tickets = AftersalesTicket.objects.select_related("order", "order__customer", "owner").annotate(
        response_due=_open_clock_due(AftersalesTicket, SlaKind.AFTERSALES_RESPONSE),
        resolution_due=_open_clock_due(AftersalesTicket, SlaKind.AFTERSALES_RESOLUTION),
    )
    if open_only:
        tickets = tickets.filter(status__in=OPEN_TICKET_STATUSES)
    if owner is not None:
        tickets = tickets.filter(owner=owner)
    # The next deadline: an unanswered ticket's response clock, else its resolution clock.
    return tickets.order_by("response_due", "resolution_due", "opened_at")


def open_tickets_for(user: Any) -> QuerySet[AftersalesTicket]:
    return tickets_by_clock(owner=user)


def order_aftersales(*, pk: int) -> Order:
    """One order with everything its after-sales page shows, in a fixed number of queries."""
    return (
        Order.objects.select_related(
            "customer",
            "owner",
            "acceptance",
            "acceptance__recorded_by",
            "acceptance__electronic_receipt",
            "satisfaction_survey",
            "followup_visit",
            "followup_visit__visited_by",
        )
        .prefetch_related(
            "lines__product",
            "acceptance__lines__order_line__product",
            Prefetch(
                "acceptance__issues",
                queryset=AcceptanceIssue.objects.select_related(
                    "line__order_line__product", "ticket"
                ).prefetch_related("photos"),
            ),
            Prefetch(
                "aftersales_tickets",
                queryset=AftersalesTicket.objects.select_related("owner").order_by("opened_at"),
            ),
        )
        .get(pk=pk)
    )


def clocks_for(order: Order, tickets: list[AftersalesTicket]) -> list[SlaClock]:
    """The after-sales clocks of the order and of its tickets (two queries)."""
    order_clocks = list(
        SlaClock.objects.for_target(order)
        .filter(kind=SlaKind.FOLLOWUP_VISIT)
        .select_related("owner")
    )
    ticket_clocks = list(
        SlaClock.objects.filter(
            content_type=ContentType.objects.get_for_model(AftersalesTicket),
            object_id__in=[ticket.pk for ticket in tickets],
        ).select_related("owner")
    )
    by_pk = {ticket.pk: ticket for ticket in tickets}
    for clock in ticket_clocks:
        clock.ticket = by_pk.get(clock.object_id)  # type: ignore[attr-defined]
    return sorted(order_clocks + ticket_clocks, key=lambda clock: clock.started_at)


def ticket_detail(*, pk: int) -> AftersalesTicket:
    return (
        AftersalesTicket.objects.select_related(
            "order",
            "order__customer",
            "owner",
            "opened_by",
            "resolved_by",
            "issue",
            "issue__line__order_line__product",
        )
        .prefetch_related(
            Prefetch("responses", queryset=TicketResponse.objects.select_related("author")),
            "repairs__recorded_by",
            Prefetch(
                "replacements",
                queryset=ReplacementShipment.objects.select_related(
                    "order_line__product", "shipped_by", "confirmed_by", "cancelled_by"
                ),
            ),
            "issue__photos",
        )
        .get(pk=pk)
    )


def replacements(*, status: str = "") -> QuerySet[ReplacementShipment]:
    """Replacements for logistics' list: by default those to ship and those on their way
    (to ship first, oldest first); ``status`` narrows to one state, "all" shows every one."""
    rows = ReplacementShipment.objects.select_related(
        "ticket", "ticket__order", "ticket__order__customer", "order_line__product"
    )
    if status == "all":
        return rows.order_by("-created_at", "-pk")
    if status in ReplacementStatus.values:
        rows = rows.filter(status=status)
    else:
        rows = rows.filter(status__in=UNDERWAY_REPLACEMENT_STATUSES)
    # "planned" sorts before "shipped": what still has to leave comes first.
    return rows.order_by("status", "created_at", "pk")


def replacements_to_ship() -> QuerySet[ReplacementShipment]:
    return replacements(status=ReplacementStatus.PLANNED)


def replacements_to_confirm(user: Any = None) -> QuerySet[ReplacementShipment]:
    """Replacements on their way whose receipt is to be confirmed with the customer; with
    ``user``, those of the customers they manage (or, without an account manager, of the
    orders they own)."""
    rows = replacements(status=ReplacementStatus.SHIPPED)
    if user is not None:
        rows = rows.filter(
            Q(ticket__order__customer__account_manager=user)
            | Q(ticket__order__customer__account_manager__isnull=True, ticket__order__owner=user)
        )
    return rows.order_by("eta", "pk")


def replacement_detail(*, pk: int) -> ReplacementShipment:
    return ReplacementShipment.objects.select_related(
        "ticket",
        "ticket__owner",
        "ticket__order",
        "ticket__order__customer",
        "order_line__product",
        "shipped_by",
        "confirmed_by",
        "cancelled_by",
        "created_by",
    ).get(pk=pk)


def ticket_clocks(ticket: AftersalesTicket) -> list[SlaClock]:
    return list(SlaClock.objects.for_target(ticket).select_related("owner").order_by("started_at"))


def completion_blockers(order: Order, tickets: list[AftersalesTicket] | None = None) -> list[str]:
    """Why an order is not completed yet (empty when it may complete).

    ``tickets`` may be passed when the caller already loaded them (no query).
    """
    if order.status in (OrderStatus.COMPLETED, OrderStatus.ARCHIVED):
        return []
    blockers: list[str] = []
    if order.status != OrderStatus.ACCEPTED:
        blockers.append(str(BLOCK_NOT_ACCEPTED))
    if not FollowUpVisit.objects.filter(order=order).exists():
        blockers.append(str(BLOCK_NO_VISIT))
    if tickets is None:
        tickets = list(
            AftersalesTicket.objects.filter(order=order, status__in=OPEN_TICKET_STATUSES)
        )
    open_tickets = [ticket for ticket in tickets if ticket.is_open]
    blockers.extend(str(BLOCK_OPEN_TICKET % {"number": ticket.number}) for ticket in open_tickets)
    underway = ReplacementShipment.objects.filter(
        ticket__in=open_tickets, status__in=UNDERWAY_REPLACEMENT_STATUSES
    ).select_related("ticket", "order_line__product")
    for replacement in underway if open_tickets else []:
        item = (
            f"{replacement.order_line.product.name if replacement.order_line_id else ''} "
            f"{replacement.item} × {replacement.quantity.normalize():f}"
        ).strip()
        blockers.append(
            str(
                BLOCK_REPLACEMENT
                % {
                    "item": item,
                    "number": replacement.ticket.number,
                    "status": replacement.get_status_display(),
                }
            )
        )
    return blockers
