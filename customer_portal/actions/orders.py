"""The steps of the customer's side as actions of the one engine
(docs/decisions/0014-customer-links-and-sms.md, customer_portal/access.py).

Staff steps (the order page's 发送客户链接 panel):

* ``customer_link.send`` — send the order's link to a contact by SMS and e-mail (the
  current valid link, or a new one), through the outbox;
* ``customer_link.revoke`` — the link stops working at once.

Customer steps (declared with :func:`customer_portal.access.customer_action`: only a
valid link of the order passes; contact, IP and browser go into the order's timeline):

* ``customer.confirm`` — the customer confirms the approved order (需求确认双签) with a
  drawn or typed signature; meets the confirmation clock; production may start;
* ``customer.request_change`` — the customer asks for a change instead: the sales owner is
  told and makes it through the order's change rules (``order.change``);
* ``customer.risk_answer`` — the customer's choice on a delivery at risk (new date,
  self-pickup, split delivery); logistics and sales are told, a new date moves the
  promised date and restarts the delivery-risk clocks.

System step: ``customer.risk_offer`` — 48 hours before a delivery at risk, the offer
(options and the company's compensation) is recorded and sent to the order's contacts.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, timedelta
from typing import Any

import rules
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.actions import Step, action, has_perm, one_of
from core.errors import Invalid, WrongState
from core.messages import Msg, date_param
from core.services import notify_users, sla_clock_meet
from customer_portal import services
from customer_portal.access import customer_action
from customer_portal.models import (
    ConfirmationKind,
    CustomerConfirmation,
    CustomerLink,
    DeliveryRiskOffer,
    RiskChoice,
    SignatureKind,
)
from orders.models import CHANGEABLE_STATUSES, Order, OrderEventKind, OrderStatus

# A drawn signature: a PNG data URL from the canvas, at most this big.
SIGNATURE_MAX_BYTES = 300 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

MSG_SIGN_REQUIRED = _("Please sign with your finger or type your full name.")
MSG_BAD_SIGNATURE = _("The signature could not be read; please sign again.")
MSG_ALREADY_CONFIRMED = _("This order is already confirmed by you.")
MSG_CHANGE_TEXT_REQUIRED = _("Please describe the change you need.")
MSG_CHOICE_REQUIRED = _("Please choose one of the options.")
MSG_OFFER_ANSWERED = _("This offer was already answered.")
MSG_NO_CONTACT_CHANNEL = _("The contact has neither a mobile number nor an e-mail address.")
MSG_CONTACT_NOT_OF_CUSTOMER = _("The contact is not one of this customer's contacts.")

# --- staff: send and revoke links ---------------------------------------------------------

# A link is sent once the order is submitted and while it is alive.
LINK_STATES = tuple(
    s
    for s in OrderStatus.values
    if s not in (OrderStatus.DRAFT, OrderStatus.REJECTED, OrderStatus.ARCHIVED)
)

may_send_link = has_perm("customer_portal.add_customerlink") | one_of("owner", "created_by")
may_revoke_link = has_perm("customer_portal.change_customerlink") | rules.predicate(
    lambda user, link: (
        link is not None
        and getattr(user, "pk", None) is not None
        and user.pk in (link.order.owner_id, link.order.created_by_id, link.created_by_id)
    )
)


@action(
    "customer_link.send",
    model=Order,
    predicate=may_send_link,
    states=LINK_STATES,
    event=OrderEventKind.CONTACT,
)
def link_send(step: Step[Order]) -> CustomerLink:
    """Send ``contact`` the order's link (the current one, or a new one) by SMS and e-mail."""
    order, contact = step.obj, step.params["contact"]
    if contact.customer_id != order.customer_id:
        raise Invalid(
            MSG_CONTACT_NOT_OF_CUSTOMER, fields={"contact": [str(MSG_CONTACT_NOT_OF_CUSTOMER)]}
        )
    if not (contact.mobile or contact.email):
        raise Invalid(MSG_NO_CONTACT_CHANNEL, fields={"contact": [str(MSG_NO_CONTACT_CHANNEL)]})
    link = services.link_current(order, contact)
    if link is None or step.params.get("new"):
        link = services.link_create(
            order, contact, actor=step.actor, language=step.params.get("language")
        )
    services.link_message(link, occasion=f"sent:{timezone.now().timestamp()}", template="link")
    step.event_action = "customer_link_sent"
    step.payload["link"] = link.pk
    step.payload["contact"] = contact.name
    step.set_note(
        Msg(
            _("Customer link sent to %(contact)s (%(channels)s)"),
            contact=contact.name,
            channels=services.channels_of(contact),
        )
    )
    return link


@action(
    "customer_link.revoke",
    model=CustomerLink,
    root="order",
    predicate=may_revoke_link,
    event=OrderEventKind.NOTE,
)
def link_revoke(step: Step[CustomerLink]) -> CustomerLink:
    link = step.obj
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = timezone.now(), step.actor
        link.save(update_fields=["revoked_at", "revoked_by"])
    step.event_action = "customer_link_revoked"
    step.payload["link"] = link.pk
    step.set_note(Msg(_("Customer link of %(contact)s revoked"), contact=link.contact.name))
    return link


# --- the customer: confirmation -----------------------------------------------------------


def _signature_png(data_url: str) -> bytes:
    head, _sep, encoded = (data_url or "").partition(",")
    if head != "data:image/png;base64" or not encoded:
        raise Invalid(MSG_BAD_SIGNATURE, fields={"signature": [str(MSG_BAD_SIGNATURE)]})
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise Invalid(MSG_BAD_SIGNATURE, fields={"signature": [str(MSG_BAD_SIGNATURE)]})
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(MSG_BAD_SIGNATURE, fields={"signature": [str(MSG_BAD_SIGNATURE)]}) from exc
    if not png.startswith(PNG_MAGIC) or len(png) > SIGNATURE_MAX_BYTES:
        raise Invalid(MSG_BAD_SIGNATURE, fields={"signature": [str(MSG_BAD_SIGNATURE)]})
    return png


@rules.predicate
def not_yet_confirmed(actor: Any, order: Order) -> bool:
    return order is not None and services.confirmation_of(order) is None


@customer_action(
    "customer.confirm",
    label=_("%(contact)s confirmed the order online (%(signature)s)"),
    states=(OrderStatus.CONFIRMED, OrderStatus.SERVICE_SCHEDULED),
    predicate=not_yet_confirmed,
)
def confirm(step: Step[Order]) -> CustomerConfirmation:
    """The customer confirms what they were shown, with a drawn signature (PNG) or their
    typed name; the confirmation clock is met and the sales owner told."""
    order, actor = step.obj, step.actor
    drawn = (step.params.get("signature") or "").strip()
    typed = (step.params.get("typed_name") or "").strip()[:50]
    if not drawn and not typed:
        raise Invalid(MSG_SIGN_REQUIRED, fields={"signature": [str(MSG_SIGN_REQUIRED)]})
    record = CustomerConfirmation(
        order=order,
        link=actor.link,
        contact=actor.contact,
        kind=ConfirmationKind.CONFIRMED,
        signature_kind=SignatureKind.DRAWN if drawn else SignatureKind.TYPED,
        signed_name=typed or actor.contact.name,
        snapshot=services.confirmation_snapshot(order),
        ip=actor.ip,
        user_agent=actor.user_agent,
    )
    if drawn:
        record.signature.save("signature.png", ContentFile(_signature_png(drawn)), save=False)
    record.save()
    sla_clock_meet(target=order, kind=services.CONFIRMATION_CLOCK)
    notify_users(
        [order.owner],
        title=Msg(_("The customer confirmed order %(number)s"), number=order.number),
        body=record.signed_name,
        target=order,
    )
    step.payload["confirmation"] = record.pk
    step.payload["msg_params"] = {"signature": record.get_signature_kind_display()}
    return record


@customer_action(
    "customer.request_change",
    label=_("%(contact)s asked for a change online"),
    states=CHANGEABLE_STATUSES,
)
def request_change(step: Step[Order]) -> CustomerConfirmation:
    """The customer asks for a change instead of confirming: the sales owner is told and
    makes the change through the order's change rules (``order.change``)."""
    order, actor = step.obj, step.actor
    text = (step.params.get("message") or "").strip()[:2000]
    if not text:
        raise Invalid(MSG_CHANGE_TEXT_REQUIRED, fields={"message": [str(MSG_CHANGE_TEXT_REQUIRED)]})
    record = CustomerConfirmation.objects.create(
        order=order,
        link=actor.link,
        contact=actor.contact,
        kind=ConfirmationKind.CHANGE_REQUESTED,
        message=text,
        snapshot=services.confirmation_snapshot(order),
        ip=actor.ip,
        user_agent=actor.user_agent,
    )
    step.note = text  # the customer's words, as they wrote them
    notify_users(
        [order.owner],
        title=Msg(_("The customer asks to change order %(number)s"), number=order.number),
        body=text,
        target=order,
    )
    step.payload["confirmation"] = record.pk
    return record


# --- delivery at risk ------------------------------------------------------------------------

RISK_STATES = (OrderStatus.CONFIRMED, OrderStatus.PREPARING, OrderStatus.READY_TO_SHIP)


@rules.predicate
def system_only(actor: Any, obj: Any) -> bool:
    return actor is None


@action(
    "customer.risk_offer",
    model=Order,
    predicate=system_only,
    states=RISK_STATES,
    event=OrderEventKind.NOTE,
)
def risk_offer(step: Step[Order]) -> DeliveryRiskOffer | None:
    """Record the offer for the order's promised date (once) and send it to the contacts."""
    order = step.obj
    promised: date = step.params["promised"]
    if DeliveryRiskOffer.objects.filter(order=order, promised_date=promised).exists():
        step.skip_event = True
        return None
    company = services.portal_settings()
    offer = DeliveryRiskOffer.objects.create(
        order=order,
        promised_date=promised,
        new_date=step.params.get("new_date") or promised + timedelta(days=2),
        coupon_amount=company.coupon_amount,
        warranty_months=company.warranty_months,
    )
    links = services.links_for_order(order, ensure=True)
    for link in links:
        services.link_message(link, occasion=f"risk:{offer.pk}", template="risk")
    step.event_action = "customer_risk_offer"
    step.payload["offer"] = offer.pk
    step.set_note(
        Msg(
            _(
                "Delivery at risk: the customer was offered a new date (%(date)s), "
                "self-pickup or split delivery"
            ),
            date=date_param(offer.new_date) if offer.new_date else "",
        )
    )
    return offer


@rules.predicate
def offer_open(actor: Any, offer: DeliveryRiskOffer) -> bool:
    return offer is not None and offer.answered_at is None


@customer_action(
    "customer.risk_answer",
    label=_("%(contact)s chose on the delivery at risk: %(choice)s"),
    model=DeliveryRiskOffer,
    root="order",
    predicate=offer_open,
)
def risk_answer(step: Step[DeliveryRiskOffer]) -> DeliveryRiskOffer:
    """The customer's choice; logistics and sales are told; a new date becomes the promise."""
    offer, order, actor = step.obj, step.root, step.actor
    if order.status not in RISK_STATES:
        raise WrongState(_("The order has moved on; the offer no longer applies."))
    choice = step.params.get("choice", "")
    if choice not in RiskChoice.values:
        raise Invalid(MSG_CHOICE_REQUIRED, fields={"choice": [str(MSG_CHOICE_REQUIRED)]})
    offer.choice = choice
    offer.note = (step.params.get("note") or step.note or "").strip()[:1000]
    offer.answered_at = timezone.now()
    offer.answered_contact = actor.contact
    offer.save(update_fields=["choice", "note", "answered_at", "answered_contact"])
    if choice == RiskChoice.NEW_DATE and offer.new_date:
        services.promise_move(order, offer.new_date)
    step.note = offer.note
    step.payload["offer"] = offer.pk
    step.payload["choice"] = choice
    step.payload["msg_params"] = {"choice": RiskChoice(choice).label}
    notify_users(
        services.risk_recipients(order),
        title=Msg(
            _("Order %(number)s: the customer chose «%(choice)s» for the late delivery"),
            number=order.number,
            choice=RiskChoice(choice).label,
        ),
        body=offer.note,
        target=order,
    )
    return offer
