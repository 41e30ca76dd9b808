"""What the customer side's actions and hooks share: links, the messages they send,
the confirmation's snapshot, the delivery-risk scan (docs/decisions/0014-customer-links-and-sms.md).

These helpers run inside an action's transaction (customer_portal/actions/orders.py,
customer_portal/hooks.py); the ways in from pages, commands and tasks are the functions
at the end, each one ``perform``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.actions import perform
from core.errors import DomainError
from core.messages import Msg
from core.models import OutboxMessage, SlaClock, SlaKind
from customer_portal.channels import send_to_contact
from customer_portal.models import (
    ConfirmationKind,
    CustomerConfirmation,
    CustomerLink,
    CustomerPortalSettings,
    DeliveryRiskOffer,
)
from customers.models import Contact
from orders.models import Order, OrderStatus

logger = logging.getLogger(__name__)

# The clock of the customer's confirmation (started at approval when production waits).
CONFIRMATION_CLOCK = getattr(SlaKind, "CUSTOMER_CONFIRMATION", "customer_confirmation")


def portal_settings() -> CustomerPortalSettings:
    return CustomerPortalSettings.current()


# --- links ---------------------------------------------------------------------------------


def link_current(order: Order, contact: Contact) -> CustomerLink | None:
    """The newest valid link of ``order`` for ``contact``."""
    return CustomerLink.objects.valid().filter(order=order, contact=contact).first()


def link_create(
    order: Order, contact: Contact, *, actor: Any = None, language: str | None = None
) -> CustomerLink:
    link = CustomerLink(
        order=order,
        contact=contact,
        created_by=actor if getattr(actor, "pk", None) is not None else None,
        expires_at=timezone.now() + CustomerLink.lifetime(),
    )
    if language in dict(settings.LANGUAGES):
        link.language = language
    link.save()
    return link


def order_contact(order: Order, contacts: list[Contact] | None = None) -> Contact | None:
    """The contact the order names (by name), else the customer's primary contact, else the
    first who can receive an SMS or e-mail (``contacts``: those already read)."""
    if contacts is None:
        contacts = [c for c in order.customer.contacts.all() if c.mobile or c.email]
    for contact in contacts:
        if contact.name == order.contact_name:
            return contact
    primary = [c for c in contacts if c.is_primary]
    chosen = primary or contacts
    return chosen[0] if chosen else None


def links_for_order(order: Order, *, ensure: bool = False) -> list[CustomerLink]:
    """The valid links of ``order``, the newest per contact; with ``ensure``, a new link for
    the order's contact when there is none."""
    seen: set[int] = set()
    links = []
    for link in CustomerLink.objects.valid().filter(order=order).select_related("contact"):
        if link.contact_id in seen:
            continue
        seen.add(link.contact_id)
        links.append(link)
    if not links and ensure:
        contact = order_contact(order)
        if contact is not None:
            links.append(link_create(order, contact))
    return links


def channels_of(contact: Contact) -> str:
    parts = []
    if contact.mobile:
        parts.append(f"SMS {contact.mobile}")
    if contact.email:
        parts.append(contact.email)
    return ", ".join(parts)


# What the customer reads about each message (SMS template kind → subject and text).
_SUBJECTS = {
    "link": _("Your order %(order)s"),
    "update": _("Your order %(order)s: %(status)s"),
    "risk": _("Your order %(order)s may be late: please choose"),
}
_TEXTS = {
    "link": _("Your order %(order)s: follow it and confirm it here: %(url)s"),
    "update": _("Your order %(order)s is now «%(status)s». Details: %(url)s"),
    "risk": _(
        "Your order %(order)s may not arrive on the promised date. "
        "Please choose a new date, self-pickup or split delivery: %(url)s"
    ),
}


def link_message(
    link: CustomerLink, *, occasion: str, template: str = "update"
) -> list[OutboxMessage]:
    """Queue the SMS and e-mail of ``template`` for ``link`` (once per ``occasion``)."""
    from customer_portal.selectors import customer_stage  # the customer's words for the status

    order = link.order
    url = link.absolute_url()
    stage = customer_stage(order)
    params: dict[str, Any] = {
        "order": order.number or str(order.pk),
        "status": stage.label,
        "url": url,
    }
    text = Msg(_TEXTS[template], **params)
    return send_to_contact(
        contact=link.contact,
        language=link.language,
        template=template,
        sms_params={"order": params["order"], "status": Msg(stage.label), "url": url},
        sms_text=text,
        subject=Msg(_SUBJECTS[template], **params),
        body=text,
        target=order,
        key=f"customer:{link.pk}:{occasion}",
    )


def links_notify(
    order: Order, *, occasion: str, template: str = "update", ensure: bool = False
) -> int:
    """Tell every contact holding a link of ``order`` (re-sent on each customer-facing step)."""
    links = links_for_order(order, ensure=ensure)
    for link in links:
        link_message(link, occasion=occasion, template=template)
    return len(links)


def customer_messages(order: Order) -> list[OutboxMessage]:
    """The SMS and e-mails sent to the customer about ``order`` (the order page lists them)."""
    from customer_portal.channels import CUSTOMER_KINDS

    return list(
        OutboxMessage.objects.filter(
            content_type=ContentType.objects.get_for_model(Order),
            object_id=order.pk,
            kind__in=CUSTOMER_KINDS,
        ).order_by("-created_at", "-pk")[:20]
    )


# --- confirmation ----------------------------------------------------------------------------


def confirmation_of(order: Order) -> CustomerConfirmation | None:
    """The customer's confirmation of the order as approved now (one after the last
    approval; a change that needed approval again needs the customer again)."""
    rows = CustomerConfirmation.objects.filter(order=order, kind=ConfirmationKind.CONFIRMED)
    if order.confirmed_at is not None:
        rows = rows.filter(created_at__gte=order.confirmed_at)
    return rows.order_by("-created_at").first()


def confirmation_snapshot(order: Order) -> dict[str, Any]:
    """What the customer saw and confirmed: lines, dates, terms, requirements (as data)."""
    lines = [
        {
            "position": line.position,
            "product": line.product.name,
            "spec": line.spec,
            "quantity": str(line.quantity),
            "unit": line.unit,
            "unit_price": str(line.unit_price),
            "amount": str(line.amount),
        }
        for line in order.lines.select_related("product")
    ]
    promised = _promised(order)
    return {
        "number": order.number,
        "lines": lines,
        "total": str(order.total_amount),
        "requested_delivery_date": (
            order.requested_delivery_date.isoformat() if order.requested_delivery_date else ""
        ),
        "promised_date": promised.isoformat() if promised else "",
        "payment_terms": order.payment_terms,
        "delivery_address": order.delivery_address,
        "special_requirements": order.special_requirements,
        "prices_shown": portal_settings().show_prices,
    }


def _promised(order: Order) -> date | None:
    # The one-to-one row may be missing (an order not allocated yet): getattr's default.
    fulfillment = getattr(order, "fulfillment", None) if order.pk else None
    promised = fulfillment.promised_date if fulfillment is not None else None
    return promised or order.requested_delivery_date


def confirmation_clock_start(order: Order) -> None:
    company = portal_settings()
    from core.services import sla_clock_start

    sla_clock_start(
        target=order,
        kind=CONFIRMATION_CLOCK,
        owner=order.owner,
        hours=company.confirmation_hours,
        note=Msg(_("The customer confirms the order online before production starts.")),
    )


# --- delivery at risk ------------------------------------------------------------------------


def promise_move(order: Order, new_date: date) -> None:
    """The customer accepted ``new_date``: it is the promise now, the risk clocks follow it."""
    from fulfillment.models import OrderFulfillment
    from fulfillment.services import delivery_risk_restart

    fulfillment = OrderFulfillment.objects.select_for_update().filter(order=order).first()
    if fulfillment is None:
        return
    fulfillment.promised_date = new_date
    fulfillment.save(update_fields=["promised_date"])
    delivery_risk_restart(order, fulfillment)


def risk_recipients(order: Order) -> list[Any]:
    """Logistics (the warehouse people of the order) and sales (owner, account manager)."""
    from fulfillment.models import OrderFulfillment
    from fulfillment.services import account_manager, warehouse_people

    fulfillment = OrderFulfillment.objects.filter(order=order).first()
    return [*warehouse_people(fulfillment), order.owner, account_manager(order)]


def risk_new_date(order: Order, promised: date) -> date:
    """The date to offer: after the last planned finish of the preparation, at least two
    days after the promise."""
    from fulfillment.models import ProgressEntry

    latest = (
        ProgressEntry.objects.filter(order=order, actual_end__isnull=True)
        .order_by("-planned_end")
        .values_list("planned_end", flat=True)
        .first()
    )
    candidate = promised + timedelta(days=2)
    if latest is not None and latest + timedelta(days=1) > candidate:
        candidate = latest + timedelta(days=1)
    return candidate


def risk_offers_scan(*, now: datetime | None = None) -> int:
    """Orders whose delivery-risk clock has warned (48 hours before the promised date, not
    shipped) get the customer's offer once per promised date. Returns how many now."""
    from fulfillment.models import OrderFulfillment

    now = now or timezone.now()
    order_type = ContentType.objects.get_for_model(Order)
    order_ids = list(
        SlaClock.objects.open()
        .filter(
            kind=SlaKind.DELIVERY_RISK,
            content_type=order_type,
            warn_at__lte=now,
        )
        .values_list("object_id", flat=True)
    )
    done = 0
    for order in Order.objects.filter(
        pk__in=order_ids,
        status__in=(OrderStatus.CONFIRMED, OrderStatus.PREPARING, OrderStatus.READY_TO_SHIP),
    ):
        fulfillment = OrderFulfillment.objects.filter(order=order).first()
        promised = fulfillment.promised_date if fulfillment else None
        if promised is None:
            continue
        if DeliveryRiskOffer.objects.filter(order=order, promised_date=promised).exists():
            continue
        try:
            offer = perform(
                "customer.risk_offer",
                actor=None,
                obj=order,
                promised=promised,
                new_date=risk_new_date(order, promised),
            )
        except DomainError as exc:
            logger.warning("delivery-risk offer of order %s refused: %s", order.pk, exc)
            continue
        if isinstance(offer, DeliveryRiskOffer):
            done += 1
    return done


# --- the ways in -------------------------------------------------------------------------------


def link_send(
    *, actor: User, order: Order, contact: Contact, new: bool = False, language: str = ""
) -> CustomerLink:
    link: CustomerLink = perform(
        "customer_link.send", actor=actor, obj=order, contact=contact, new=new, language=language
    )
    return link


def link_revoke(*, actor: User, link: CustomerLink) -> CustomerLink:
    revoked: CustomerLink = perform("customer_link.revoke", actor=actor, obj=link)
    return revoked
