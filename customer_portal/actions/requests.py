"""Complaints and after-sales requests from the customer's page (客户投诉受理, online channel).

* ``customer.complaint_open`` — the customer of this order (a valid link), the goods
  delivered (delivered, accepted or completed: a complaint does not reopen a completed
  order), describes the problem, what they ask for and, if they like, which line it is
  about: it performs the same ``aftersales.ticket_open`` as a complaint taken by phone —
  source "online", an owner of after-sales, the 24-hour response clock — and the owner
  is told.
* ``customer.ticket_rate`` — the customer rates how a resolved ticket of their order was
  handled (1–5, a comment), once: the same ``aftersales.ticket_rate`` the staff record a
  rating with; a rating of :data:`LOW_RATING` or less is passed to the ticket's owner and
  the account manager.

The customer sees each ticket's progress on their page (received, being handled — with
the promised date —, resolved with the resolution) but never the internal responses,
repair records or owners' names.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.actions import COMPLAINABLE_STATUSES
from aftersales.exceptions import AftersalesError
from aftersales.models import AftersalesTicket, TicketKind, TicketSource, TicketStatus
from core.actions import Step, perform
from core.errors import Invalid
from core.messages import Msg
from core.services import notify_users
from customer_portal.access import LinkActor, customer_action
from customer_portal.actions import receipts  # noqa: F401  (admits the customer to after-sales)
from fulfillment.selectors import order_account_manager
from orders.models import Order

LOW_RATING = 2
DESCRIPTION_MAX = 2000

# What the customer may ask for; the ticket kind after-sales starts from (they may change it).
REQUEST_KINDS = (TicketKind.REPAIR, TicketKind.REPLACEMENT, TicketKind.REFUND, TicketKind.OTHER)

MSG_DESCRIBE = _("Please describe the problem.")
MSG_KIND = _("Please choose what you would like us to do.")
MSG_RATING = _("Please choose a rating from 1 to 5.")
MSG_ALREADY_RATED = _("Thank you — you have already rated this request.")


def complaint_open(
    *,
    actor: LinkActor,
    order: Order,
    kind: str,
    description: str,
    line: Any = None,
) -> AftersalesTicket:
    result: AftersalesTicket = perform(
        "customer.complaint_open",
        actor=actor,
        obj=order,
        kind=kind,
        description=description,
        line=line,
    )
    return result


def ticket_rate(
    *, actor: LinkActor, ticket: AftersalesTicket, rating: Any, comment: str = ""
) -> AftersalesTicket:
    result: AftersalesTicket = perform(
        "customer.ticket_rate", actor=actor, obj=ticket, rating=rating, comment=comment
    )
    return result


@customer_action(
    "customer.complaint_open",
    label=_("%(contact)s opened after-sales request %(ticket)s online"),
    states=COMPLAINABLE_STATUSES,
)
def complaint_open_step(step: Step[Order]) -> AftersalesTicket:
    order = step.obj
    description = (step.params.get("description") or "").strip()[:DESCRIPTION_MAX]
    kind = step.params.get("kind") or ""
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = [str(MSG_DESCRIBE)]
    if kind not in REQUEST_KINDS:
        errors["kind"] = [str(MSG_KIND)]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)
    line = step.params.get("line")
    if line is not None:
        if line.order_id != order.pk:  # a line of another order: nothing to say about it
            raise Invalid(MSG_DESCRIBE, fields={"line": [str(MSG_DESCRIBE)]})
        # The line is part of what the customer wrote (data, in their words and ours).
        description = f"[{line.product.name}] {description}"
    ticket: AftersalesTicket = perform(
        "aftersales.ticket_open",
        actor=step.actor,
        obj=order,
        source=TicketSource.ONLINE,
        kind=kind,
        description=description,
    )
    step.payload["ticket"] = ticket.number
    step.payload["msg_params"] = {"ticket": ticket.number}
    return ticket


@customer_action(
    "customer.ticket_rate",
    label=_("%(contact)s rated the handling of request %(ticket)s: %(rating)s/5"),
    model=AftersalesTicket,
    root="order",
    states=(TicketStatus.RESOLVED,),
)
def ticket_rate_step(step: Step[AftersalesTicket]) -> AftersalesTicket:
    ticket = step.obj
    if ticket.rated_at is not None:
        raise AftersalesError(MSG_ALREADY_RATED, code="rated")
    try:
        rating = int(step.params.get("rating") or 0)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise Invalid(MSG_RATING, fields={"rating": [str(MSG_RATING)]})
    comment = (step.params.get("comment") or "").strip()[:2000]
    perform("aftersales.ticket_rate", actor=step.actor, obj=ticket, rating=rating, comment=comment)
    if rating <= LOW_RATING:
        notify_users(
            [ticket.owner, order_account_manager(ticket.order)],
            title=Msg(
                _("The customer rated after-sales request %(ticket)s %(rating)s/5"),
                ticket=ticket.number,
                rating=rating,
            ),
            body=comment,
            target=ticket,
        )
    step.payload["msg_params"] = {"ticket": ticket.number, "rating": rating}
    return ticket
