"""Outbound webhooks: signed JSON events to the other systems' URLs, through the outbox
(docs/decisions/0016-webhooks-and-settlements.md, docs/api.md "Webhooks").

**Fan-out.** :func:`register` (called by ``ApiConfig.ready()``) hooks the actions of the
apps below (``core.actions.on``): when an order is submitted, confirmed, cancelled, shipped,
delivered, accepted or completed, a ticket opened, a purchase alert raised, a work order
created or a settlement statement issued, :func:`emit` writes — inside the action's
transaction — one :class:`~api.models.WebhookDelivery` and one outbox message per
matching subscription. The action rolls back: nothing goes out. It commits: the outbox
delivers, with retries and a growing delay (core/outbox.py).

**The body** (``Content-Type: application/json``)::

    {"v": 1, "id": "<event uuid>", "type": "order.confirmed",
     "occurred_at": "2026-11-27T10:00:00+08:00", "data": {...}}

``id`` is the event's: every subscription gets the same id for one event, and a receiver
keeps the ids it has processed — the one repeat the outbox cannot rule out (a worker
killed after the receiver took the request and before the delivery was marked) is then
dropped. ``X-Portal-Delivery`` names the delivery (one per subscription and event).

**The signature**: ``X-Portal-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 over ``"<t>." + body`` with the subscription's secret. A receiver checks it
with :func:`verify_signature` (or the same six lines in its own language): the MAC must
match (constant-time compare) and ``t`` must lie within the tolerance (default five
minutes, ``WEBHOOK_TOLERANCE_SECONDS``) — a body captured and replayed later is refused.

**Failures.** A delivery that does not get a 2xx is retried by the outbox; after
``WEBHOOK_PAUSE_AFTER`` consecutive failures the subscription pauses itself (an action)
and the data administrators are told. Paused, nothing is sent; resumed, what waited is
queued again. The data administrator replays any delivery by hand (admin, or the page
/api/webhooks/).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import rules
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from core.actions import Step, action, has_perm, on
from core.errors import Invalid, WrongState
from core.messages import Msg
from core.models import OutboxMessage
from core.outbox import outbox_handler, outbox_put

logger = logging.getLogger(__name__)

VERSION = 1
WEBHOOK_KIND = "api.webhook"
SIGNATURE_HEADER = "X-Portal-Signature"


def tolerance_seconds() -> int:
    return int(getattr(settings, "WEBHOOK_TOLERANCE_SECONDS", 300))


def pause_after() -> int:
    return int(getattr(settings, "WEBHOOK_PAUSE_AFTER", 10))


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT", 10))


# --- the event types: what a subscription may ask for, and who may read it --------------------
# Each event type and the permission the client's technical user needs to receive it.
EVENT_TYPES: dict[str, str] = {
    "order.submitted": "orders.view_order",
    "order.confirmed": "orders.view_order",
    "order.cancelled": "orders.view_order",
    "order.delivered": "orders.view_order",
    "order.accepted": "orders.view_order",
    "order.completed": "orders.view_order",
    "shipment.shipped": "fulfillment.view_shipment",
    "stock.low": "fulfillment.view_stocklevel",
    "ticket.opened": "aftersales.view_aftersalesticket",
    "workorder.created": "fulfillment.view_orderfulfillment",
    "settlement.issued": "finance.view_settlementstatement",
}
MSG_UNKNOWN_EVENT = _("Unknown event type: %(types)s.")
MSG_EVENT_NOT_ALLOWED = _("This client may not receive %(types)s.")
MSG_URL_SCHEME = _("Enter a valid URL starting with http:// or https://.")
MSG_NOT_PAUSED = _("The subscription is not paused.")


def check_event_types(user: Any, event_types: Iterable[str]) -> list[str]:
    """The event types, checked: known, and readable by ``user`` (the client's technical
    user); raises Invalid otherwise."""
    wanted = sorted(set(event_types))
    unknown = [name for name in wanted if name not in EVENT_TYPES]
    if unknown or not wanted:
        message = MSG_UNKNOWN_EVENT % {"types": ", ".join(unknown) or "—"}
        raise Invalid(message, fields={"event_types": [str(message)]})
    refused = [name for name in wanted if not user.has_perm(EVENT_TYPES[name])]
    if refused:
        message = MSG_EVENT_NOT_ALLOWED % {"types": ", ".join(refused)}
        raise Invalid(message, fields={"event_types": [str(message)]})
    return wanted


# --- signing ---------------------------------------------------------------------------------
def canonical_body(event: dict[str, Any]) -> bytes:
    """The bytes sent (and signed): UTF-8 JSON, keys sorted, no spaces."""
    return json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``X-Portal-Signature`` header for ``body``: ``t=<unix seconds>,v1=<hex>``."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_signature(
    body: bytes,
    header: str,
    secret: str,
    tolerance: int | None = None,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``body`` was signed by the portal with ``secret`` within ``tolerance`` seconds.

    This is the documented check for receivers (docs/api.md, "Webhooks"):

    1. split the header ``t=<unix seconds>,v1=<hex>[,v1=<hex>…]``;
    2. compute HMAC-SHA256 over ``b"<t>." + body`` (the raw request body, not re-encoded
       JSON) with the subscription's secret, hex-encoded;
    3. accept if one ``v1`` equals it (constant-time compare) **and** ``|now − t|`` is at
       most ``tolerance`` (default ``WEBHOOK_TOLERANCE_SECONDS``, five minutes).

    A body replayed outside the window fails step 3 even though its MAC is right; keep the
    event ``id`` of what you processed to drop a repeat inside the window.
    """
    tolerance = tolerance_seconds() if tolerance is None else int(tolerance)
    timestamp: int | None = None
    macs: list[str] = []
    for part in (header or "").split(","):
        name, _sep, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1" and value:
            macs.append(value)
    if timestamp is None or not macs:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected, mac) for mac in macs)


# --- fan-out ---------------------------------------------------------------------------------
def _subscriptions_for(event_type: str) -> list[WebhookSubscription]:
    candidates = (
        WebhookSubscription.objects.filter(
            active=True,
            paused_at__isnull=True,
            client__active=True,
            event_types__contains=[event_type],
        )
        .select_related("client__user")
        .order_by("pk")
    )
    permission = EVENT_TYPES[event_type]
    return [s for s in candidates if s.client.user.is_active and s.client.user.has_perm(permission)]


def _queue(delivery: WebhookDelivery, *, replay: bool = False) -> OutboxMessage:
    key = f"webhook:{delivery.pk}" if not replay else f"webhook:{delivery.pk}:{uuid.uuid4()}"
    message = outbox_put(
        WEBHOOK_KIND, {"delivery": delivery.pk, "replay": replay}, target=delivery, key=key
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(outbox_message=message)
    delivery.outbox_message = message
    return message


def emit(
    event_type: str,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    *,
    occurred_at: datetime | None = None,
) -> list[WebhookDelivery]:
    """Queue ``event_type`` with ``data`` to every subscription that wants it — in the
    caller's transaction (call it from an action's effect or hook). ``data`` may be a
    function: it is called only when someone subscribed (no query for nobody)."""
    if event_type not in EVENT_TYPES:
        raise LookupError(f"unknown webhook event type {event_type!r}")
    subscriptions = _subscriptions_for(event_type)
    if not subscriptions:
        return []
    if callable(data):
        data = data()
    event_id = uuid.uuid4()
    moment = timezone.localtime(occurred_at or timezone.now())
    body = {
        "v": VERSION,
        "id": str(event_id),
        "type": event_type,
        "occurred_at": moment.isoformat(),
        "data": data,
    }
    deliveries = []
    for subscription in subscriptions:
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event_type=event_type, event_id=event_id, payload=body
        )
        _queue(delivery)
        deliveries.append(delivery)
    return deliveries


# --- delivery (the outbox handler) ------------------------------------------------------------
class WebhookFailed(Exception):
    """The receiver did not take the event; the outbox tries again later."""


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    if not url.startswith(("http://", "https://")):
        raise WebhookFailed(f"webhook URL must be http(s): {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds()) as response:  # noqa: S310
            response.read(4096)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WebhookFailed(f"{type(exc).__name__}: {exc}") from exc


@outbox_handler(WEBHOOK_KIND)
def deliver(message: OutboxMessage) -> None:
    """Send one delivery, signed now. A 2xx marks it sent and resets the subscription's
    failure count; anything else counts a failure (pausing the subscription after
    ``WEBHOOK_PAUSE_AFTER``) and raises, so the outbox retries with its backoff. A paused
    or inactive subscription sends nothing: the delivery waits for the resume."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription__client")
        .filter(pk=message.payload.get("delivery"))
        .first()
    )
    if delivery is None:
        return
    subscription = delivery.subscription
    replay = bool(message.payload.get("replay"))
    if delivery.status == WebhookDeliveryStatus.SENT and not replay:
        return  # sent, and the outbox had not marked its message yet (a worker died)
    if (
        not subscription.active
        or subscription.paused_at is not None
        or not subscription.client.active
    ):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            last_error="subscription paused or inactive: waiting"
        )
        return
    body = canonical_body(delivery.payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "OrderPortal-Webhooks/1",
        "X-Portal-Event": delivery.event_type,
        "X-Portal-Event-Id": str(delivery.event_id),
        "X-Portal-Delivery": str(delivery.pk),
        "X-Outbox-Id": str(message.pk),
        SIGNATURE_HEADER: sign(body, subscription.secret),
    }
    error = ""
    status: int | None = None
    try:
        status = _post(subscription.url, body, headers)
    except WebhookFailed as exc:
        error = str(exc)
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDeliveryStatus.SENT,
            attempts=F("attempts") + 1,
            last_status_code=status,
            last_error="",
            delivered_at=timezone.now(),
        )
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        return
    error = error or f"HTTP {status}"
    give_up = message.attempts + 1 >= settings.OUTBOX_MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDeliveryStatus.GIVEN_UP if give_up else WebhookDeliveryStatus.FAILED,
        attempts=F("attempts") + 1,
        last_status_code=status,
        last_error=error[:500],
    )
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = (
        WebhookSubscription.objects.filter(pk=subscription.pk)
        .values_list("consecutive_failures", flat=True)
        .first()
        or 0
    )
    if failures >= pause_after():
        from core.actions import perform

        perform("webhook.pause", actor=None, obj=subscription, failures=failures)
    raise WebhookFailed(error)


# --- subscribe, pause, resume, replay: actions --------------------------------------------------
@rules.predicate
def own_subscription(user: Any, obj: Any) -> bool:
    """The API client's own subscription (or delivery, or the client itself)."""
    subscription = getattr(obj, "subscription", obj)
    client = getattr(subscription, "client", subscription)
    return bool(obj is not None and getattr(client, "user_id", None) == getattr(user, "pk", -1))


may_manage_webhooks = has_perm("api.change_webhooksubscription") | own_subscription


@action(
    "webhook.subscribe",
    model=WebhookSubscription,
    predicate=own_subscription,
    creates=True,
    records=False,
)
def subscribe(step: Step[Any]) -> WebhookSubscription:
    """An API client asks for events at its URL; the signing secret is made here and shown
    once (the API's answer). Params: ``url``, ``event_types``."""
    import secrets

    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    client = step.root
    url = (step.params.get("url") or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise Invalid(MSG_URL_SCHEME, fields={"url": [str(MSG_URL_SCHEME)]}) from None
    if len(url) > 500:
        raise Invalid(MSG_URL_SCHEME, fields={"url": [str(MSG_URL_SCHEME)]})
    event_types = check_event_types(client.user, step.params.get("event_types") or [])
    return WebhookSubscription.objects.create(
        client=client, url=url, event_types=event_types, secret=f"whsec_{secrets.token_urlsafe(32)}"
    )


@action(
    "webhook.pause",
    model=WebhookSubscription,
    predicate=rules.always_allow,  # the delivery handler's step (system), never a page
    records=False,
)
def pause(step: Step[Any]) -> bool:
    """Too many deliveries in a row failed: stop sending and tell the data administrators.
    Re-read under the subscription's lock: two failing workers pause (and tell) once."""
    subscription: WebhookSubscription = step.obj
    if subscription.paused_at is not None:
        return False
    subscription.paused_at = timezone.now()
    subscription.save(update_fields=["paused_at"])
    from core import roles
    from core.services import notify_users

    values: dict[str, Any] = {
        "client": subscription.client.name,
        "url": subscription.url,
        "count": step.params.get("failures") or subscription.consecutive_failures,
    }
    notify_users(
        roles.users_with_role(roles.DATA_ADMIN),
        title=Msg(_("Webhook of %(client)s paused after %(count)s failed deliveries"), **values),
        body=Msg(
            _(
                "Nothing is sent to %(url)s until the subscription is resumed; what waits "
                "is sent then."
            ),
            **values,
        ),
        target=None,
    )
    logger.warning(
        "webhook subscription %s paused after %s failures", subscription.pk, values["count"]
    )
    return True


@action("webhook.resume", model=WebhookSubscription, predicate=may_manage_webhooks, records=False)
def resume(step: Step[Any]) -> int:
    """Send again: the failure count starts over and what waited (pending or failed) is
    queued again. Returns how many deliveries were queued."""
    subscription: WebhookSubscription = step.obj
    if subscription.paused_at is None:
        raise WrongState(MSG_NOT_PAUSED, code="not_paused")
    subscription.paused_at = None
    subscription.consecutive_failures = 0
    subscription.save(update_fields=["paused_at", "consecutive_failures"])
    waiting = list(
        WebhookDelivery.objects.filter(
            subscription=subscription,
            status__in=[WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED],
        ).order_by("created_at", "pk")
    )
    for delivery in waiting:
        _queue(delivery, replay=True)
    return len(waiting)


@action(
    "webhook.replay",
    model=WebhookDelivery,
    root="subscription",
    predicate=may_manage_webhooks,
    records=False,
)
def replay(step: Step[Any]) -> WebhookDelivery:
    """Send one delivery again, as it was (same event id, signed anew): the data
    administrator's answer to a receiver that lost it or was down too long."""
    delivery: WebhookDelivery = step.obj
    _queue(delivery, replay=True)
    if delivery.status == WebhookDeliveryStatus.GIVEN_UP:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDeliveryStatus.PENDING)
    return delivery


def webhook_subscribe(
    *, actor: Any, client: Any, url: str, event_types: list[str]
) -> WebhookSubscription:
    from core.actions import perform

    result: WebhookSubscription = perform(
        "webhook.subscribe", actor=actor, obj=client, url=url, event_types=event_types
    )
    return result


def webhook_replay(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    from core.actions import perform

    result: WebhookDelivery = perform("webhook.replay", actor=actor, obj=delivery)
    return result


def webhook_resume(*, actor: Any, subscription: WebhookSubscription) -> int:
    from core.actions import perform

    result: int = perform("webhook.resume", actor=actor, obj=subscription)
    return result


# --- what each event says ----------------------------------------------------------------------
def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _money(value: Any) -> str | None:
    return f"{value:.2f}" if value is not None else None


def order_data(order: Any) -> dict[str, Any]:
    return {
        "order": {
            "id": order.pk,
            "number": order.number,
            "status": order.status,
            "kind": order.kind,
            "customer": {
                "id": order.customer_id,
                "code": order.customer.code,
                "name": order.customer.name,
            },
            "total_amount": _money(order.total_amount),
            "requested_delivery_date": _iso(order.requested_delivery_date),
            "payment_terms": order.payment_terms,
        }
    }


def _order_event(
    event_type: str, *, when: Callable[[Step[Any]], bool] | None = None
) -> Callable[[Step[Any]], None]:
    def hook(step: Step[Any]) -> None:
        order = step.root
        if when is not None and not when(step):
            return
        emit(event_type, lambda: order_data(order))

    hook.__name__ = f"webhook_{event_type.replace('.', '_')}"
    return hook


def _status_is(status: str) -> Callable[[Step[Any]], bool]:
    return lambda step: str(step.root.status) == status


def _shipment_shipped(step: Step[Any]) -> None:
    shipment = step.result
    if shipment is None or not hasattr(shipment, "tracking_number"):
        return
    emit("shipment.shipped", lambda: _shipment_data(step.root, shipment))


def _shipment_data(order: Any, shipment: Any) -> dict[str, Any]:
    data = order_data(order)
    data["shipment"] = {
        "id": shipment.pk,
        "sequence": shipment.sequence,
        "carrier": shipment.carrier,
        "method": shipment.method,
        "tracking_number": shipment.tracking_number,
        "eta": _iso(shipment.eta),
        "warehouse": shipment.warehouse.code if shipment.warehouse_id else None,
        "lines": [
            {
                "order_line": line.order_line_id,
                "product": line.order_line.product.code,
                "quantity": f"{line.quantity:.2f}",
            }
            for line in shipment.lines.select_related("order_line__product")
        ],
    }
    return data


def _stock_low(step: Step[Any]) -> None:
    alert = step.result
    if not alert or not hasattr(alert, "safety_stock"):
        return
    level = alert.stock
    emit(
        "stock.low",
        {
            "stock": {
                "warehouse": level.warehouse.code,
                "product": level.product.code,
                "product_name": level.product.name,
                "on_hand": f"{level.on_hand:.2f}",
                "reserved": f"{level.reserved:.2f}",
                "in_transit": f"{level.in_transit:.2f}",
                "available": f"{alert.available:.2f}",
                "safety_stock": f"{alert.safety_stock:.2f}",
            },
            "alert": {"id": alert.pk, "raised_at": _iso(alert.raised_at)},
        },
    )


def _ticket_opened(step: Step[Any]) -> None:
    ticket = step.result
    if ticket is None or not hasattr(ticket, "number"):
        return
    emit("ticket.opened", lambda: _ticket_data(step.root, ticket))


def _ticket_data(order: Any, ticket: Any) -> dict[str, Any]:
    data = order_data(order)
    data["ticket"] = {
        "id": ticket.pk,
        "number": ticket.number,
        "kind": ticket.kind,
        "source": ticket.source,
        "description": ticket.description,
        "opened_at": _iso(ticket.opened_at),
    }
    return data


def _work_orders(step: Step[Any]) -> None:
    from fulfillment.mes import work_orders_for

    if not _subscriptions_for("workorder.created"):
        return
    for work_order in work_orders_for(step.root):
        emit("workorder.created", {"work_order": work_order})


def _settlement_issued(step: Step[Any]) -> None:
    if step.skip_event:  # an existing statement was returned: issued before
        return
    from finance.serialize import statement_data

    statement = step.result
    emit("settlement.issued", lambda: {"settlement": statement_data(statement)})


HOOKS: list[tuple[str, Callable[[Step[Any]], None]]] = [
    ("order.submit", _order_event("order.submitted")),
    ("order.resubmit", _order_event("order.submitted")),
    ("order.approve", _order_event("order.confirmed", when=_status_is("confirmed"))),
    ("order.director_approve", _order_event("order.confirmed", when=_status_is("confirmed"))),
    ("order.cancel_approve", _order_event("order.cancelled", when=_status_is("cancelled"))),
    ("fulfillment.deliver", _order_event("order.delivered")),
    ("aftersales.accept", _order_event("order.accepted")),
    ("order.complete", _order_event("order.completed")),
    ("fulfillment.dispatch", _shipment_shipped),
    ("fulfillment.purchase_alert", _stock_low),
    ("aftersales.ticket_open", _ticket_opened),
    ("fulfillment.confirm_stock", _work_orders),
    ("finance.settlement_issue", _settlement_issued),
]


def register() -> None:
    """Hook the events into the actions, grant the data administrator the webhook admin,
    and register the admin pages — called once by ``ApiConfig.ready()`` (registries only)."""
    from core import roles

    for name, hook in HOOKS:
        on(name)(hook)
    roles.grant(
        (roles.DATA_ADMIN,),
        "api.view_webhooksubscription",
        "api.change_webhooksubscription",
        "api.view_webhookdelivery",
    )
    from api.webhooks import admin  # noqa: F401  (the admin pages, with replay)
    from core.navigation import NavItem, register_nav

    register_nav(
        NavItem(
            "webhooks",
            _("Webhooks"),
            "webhooks:list",
            "broadcast",
            permission="api.view_webhooksubscription",
            order=95,
        )
    )
