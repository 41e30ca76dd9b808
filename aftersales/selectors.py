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
    QuerySet,
    Subquery,
    Value,
    When,
)

from aftersales.exceptions import BLOCK_NO_VISIT, BLOCK_NOT_ACCEPTED, BLOCK_OPEN_TICKET
from aftersales.models import (
    OPEN_TICKET_STATUSES,
    AcceptanceIssue,
    AftersalesTicket,
    FollowUpVisit,
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
            "replacements__order_line__product",
            "issue__photos",
        )
        .get(pk=pk)
    )


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
    blockers.extend(
        str(BLOCK_OPEN_TICKET % {"number": ticket.number}) for ticket in tickets if ticket.is_open
    )
    return blockers
