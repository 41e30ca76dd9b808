"""How a customer link opens a page and how a customer acts (docs/decisions/0014-customer-links-and-sms.md).

The customer has no account and no session: the token in the URL is the credential, on
every request. This module is the only way in for every customer page and every customer
step; the receipt, survey and complaint pages use it exactly like the tracking page.

A page
------
::

    from customer_portal.access import CustomerAccess, customer_view

    @customer_view                      # GET/HEAD only; methods=("GET", "POST") for a form
    def track(request, access: CustomerAccess):
        access.link      # CustomerLink (valid, for this order, not revoked, not expired)
        access.order     # orders.Order — the only order this page may show
        access.contact   # customers.Contact the link was sent to
        access.actor     # LinkActor: pass it as ``actor=`` to perform()
        access.ip, access.user_agent
        access.settings  # CustomerPortalSettings (access.show_prices: prices or not)
        access.url("customer_portal:confirm")   # a URL of this link (token filled in)
        ...

The URL pattern names the token ``<str:token>`` (``/c/<token>/...``). The decorator
answers 404 for a malformed, forged, truncated, revoked or expired token (the same 404
for all, nothing tells which); it counts each such miss per IP address and answers 429
once an address has missed ``CUSTOMER_LINK_MISS_LIMIT`` times within
``CUSTOMER_LINK_MISS_WINDOW`` seconds — valid links included, so guessing is pointless.
A genuine token of a revoked or expired link answers the same 404 without counting
(the customer's open page polls on; an htmx request gets ``HX-Refresh`` and reloads into
the 404 page). It limits requests per link (``CUSTOMER_LINK_HIT_LIMIT`` per window) and POSTs per link
(``CUSTOMER_LINK_POST_LIMIT``) against replay and scripts; records the opening (IP, user
agent, time) on the link; renders in Chinese unless the reader chose English
(``?lang=en``, kept in a cookie); marks the response private, not cached, not indexed and
without a Referer (the token never leaks to another site). It is exempt from the login
requirement (the token is the login) and keeps CSRF protection on (forms carry
``{% csrf_token %}``).

A customer step
---------------
Every customer action is an action of the engine with its own predicate::

    from customer_portal.access import customer_action

    @customer_action(
        "customer.confirm",                      # name: "customer.<verb>"
        label=_("%(contact)s confirmed the order online"),   # timeline text, a msgid
        states=(OrderStatus.CONFIRMED,),         # or transition="accept" (the order's FSM)
        # model=Order (default), root="" — or model=Ticket, root="order" for a part of it;
        # creates=True for an action that creates its subject (obj= is then the order);
        # predicate=extra_rule (ANDed with the link check)
    )
    def confirm(step):
        actor = step.actor                       # LinkActor: .link, .contact, .ip, .user_agent
        ...                                      # the effect: write what the step writes
        return record

    # in the view (POST):
    perform("customer.confirm", actor=access.actor, obj=access.order, note=text, **params)
    # or, with the refusal mapped to a customer page (409/400 shown, never 500):
    result = access.perform("customer.confirm", signature=png, ...)

``customer_action`` ANDs the predicate :data:`link_grants`: the actor is a
:class:`LinkActor` (never a staff user, never the system's ``None``), its link is still
valid when the row is locked (re-read: revoked a second ago → 403) and it is a link of
the order the subject belongs to (``obj`` itself, or ``obj.order``). Staff users, API
clients and the system never pass it; a customer actor passes no internal predicate
(``LinkActor`` is an ``AnonymousUser``: no permission, no pk).

The engine's event writer of the order then writes the timeline row as usual (actor
``None``, kind "note" unless the step moves the order); ``customer_action`` puts into
the row's payload ``payload["customer"] = {"contact_id", "contact", "link", "ip",
"user_agent", "at"}`` and makes the row's note a language-neutral message
(``core.messages``, ``step.set_note``): the label (parameters ``contact`` and ``order``;
an effect may set ``step.payload["msg_params"]`` to add its own), then "Customer <name> ·
<IP> · <browser>", then whatever the effect left in ``step.note`` (the customer's own
words, kept as written). The order page's timeline shows it with the time. Anything leaving the database from a step (an SMS, an e-mail) goes through
:func:`customer_portal.channels.send_to_contact` (the outbox).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import rules
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.actions import Action, Step, action, perform
from core.errors import as_domain_error, user_message
from core.messages import Msg, join_messages
from customer_portal.models import CustomerLink, CustomerPortalSettings
from orders.models import Order, OrderEventKind

# Misses (bad tokens) per IP address before every customer URL answers 429, and the window.
MISS_LIMIT = getattr(settings, "CUSTOMER_LINK_MISS_LIMIT", 10)
MISS_WINDOW = getattr(settings, "CUSTOMER_LINK_MISS_WINDOW", 15 * 60)
# Requests per link in the window (the tracking page polls every 20 s: 45 per quarter hour).
HIT_LIMIT = getattr(settings, "CUSTOMER_LINK_HIT_LIMIT", 300)
POST_LIMIT = getattr(settings, "CUSTOMER_LINK_POST_LIMIT", 30)
HIT_WINDOW = getattr(settings, "CUSTOMER_LINK_HIT_WINDOW", 15 * 60)

LANGUAGE_COOKIE = "customer_lang"
CUSTOMER_LANGUAGES = {code for code, _name in settings.LANGUAGES}


class RateLimited(Exception):
    """Too many misses from this address, or too many requests on this link."""


class LinkActor(AnonymousUser):
    """The customer acting through a link: what ``perform(actor=...)`` gets for a customer step.

    An AnonymousUser (no pk, no permission: no internal predicate lets it through); only
    :data:`link_grants` knows it.
    """

    def __init__(self, link: CustomerLink, *, ip: str | None, user_agent: str) -> None:
        super().__init__()
        self.link = link
        self.contact = link.contact
        self.ip = ip
        self.user_agent = user_agent[:300]

    def __str__(self) -> str:
        return self.contact.name

    def record(self) -> dict[str, Any]:
        """What the timeline keeps of who acted: contact, link, IP, browser, time."""
        return {
            "contact_id": self.contact.pk,
            "contact": self.contact.name,
            "link": self.link.pk,
            "ip": self.ip or "",
            "user_agent": self.user_agent,
            "at": timezone.now().isoformat(),
        }


def browser_name(user_agent: str) -> str:
    """A short name of the browser for the timeline (the full string stays in the payload)."""
    agent = user_agent or ""
    for token, name in (
        ("MicroMessenger", "WeChat"),
        ("EdgA", "Edge"),
        ("Edg/", "Edge"),
        ("CriOS", "Chrome"),
        ("Chrome", "Chrome"),
        ("FxiOS", "Firefox"),
        ("Firefox", "Firefox"),
        ("Safari", "Safari"),
    ):
        if token in agent:
            phone = " (mobile)" if "Mobile" in agent else ""
            return f"{name}{phone}"
    return agent[:40] or "—"


def _order_of(obj: Any) -> Order | None:
    if isinstance(obj, Order):
        return obj
    order = getattr(obj, "order", None)
    return order if isinstance(order, Order) else None


@rules.predicate(name="link_grants")
def link_grants(actor: Any, obj: Any) -> bool:
    """A customer link's actor, its link valid now (re-read) and for the subject's order."""
    if not isinstance(actor, LinkActor):
        return False
    order = _order_of(obj)
    if order is None:
        return False
    link = (
        CustomerLink.objects.filter(pk=actor.link.pk)
        .only("order_id", "revoked_at", "expires_at")
        .first()
    )
    return link is not None and link.order_id == order.pk and link.is_valid()


def customer_action(
    name: str,
    *,
    label: str | Promise,
    model: type[Any] = Order,
    predicate: rules.Predicate | None = None,
    transition: str | None = None,
    states: Iterable[str] | None = None,
    root: str = "",
    creates: bool = False,
) -> Callable[[Callable[[Step[Any]], Any]], Action[Any]]:
    """Declare a customer step (see the module doc): ``link_grants`` (AND ``predicate``),
    the contact / IP / browser and ``label`` on the order's timeline row."""
    grants = link_grants & predicate if predicate is not None else link_grants
    verb = name.split(".", 1)[-1]

    def declare(effect: Callable[[Step[Any]], Any]) -> Action[Any]:
        @functools.wraps(effect)
        def run(step: Step[Any]) -> Any:
            actor: LinkActor = step.actor
            step.payload["customer"] = actor.record()
            step.event_action = step.event_action or f"customer_{verb}"[:40]
            result = effect(step)
            params = {"contact": actor.contact.name, "order": str(step.root)}
            params.update(step.payload.pop("msg_params", {}) or {})
            who = Msg(
                _("Customer %(contact)s · %(ip)s · %(browser)s"),
                contact=actor.contact.name,
                ip=actor.ip or "—",
                browser=browser_name(actor.user_agent),
            )
            words = step.note  # the customer's own words, if the effect kept any
            step.set_note(join_messages(Msg(label, **params), who, words or None))
            return result

        return action(
            name,
            model=model,
            predicate=grants,
            transition=transition,
            states=states,
            root=root,
            creates=creates,
            event=OrderEventKind.NOTE,
        )(run)

    return declare


# --- the request side ---------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, as the login lockout uses it (config/settings.py)."""
    value = request.META.get("REMOTE_ADDR", "") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _miss_key(ip: str | None) -> str:
    return f"customer_portal:miss:{ip or '-'}"


def misses(ip: str | None) -> int:
    return int(cache.get(_miss_key(ip)) or 0)


def record_miss(ip: str | None) -> int:
    return _count(_miss_key(ip), MISS_WINDOW)


def _lookup(token: str) -> tuple[CustomerLink | None, bool]:
    """(the valid link ``token`` proves or None, whether the token is one we issued).

    A genuine token of a revoked or expired link is no guess: it answers 404 without
    counting as a miss (an open page polling after a revocation must not lock its phone out).
    """
    link_id = CustomerLink.id_from_token(token)
    if link_id is None:
        return None, False
    link = (
        CustomerLink.objects.select_related("order", "order__customer", "contact")
        .filter(pk=link_id)
        .first()
    )
    if link is None or not link.token_matches(token):
        return None, False
    if not link.is_valid():
        return None, True
    # The contact must still belong to the order's customer (a contact moved away loses it).
    if link.contact.customer_id != link.order.customer_id:
        return None, True
    return link, True


def link_for_token(token: str) -> CustomerLink | None:
    """The valid link ``token`` proves, or None (malformed, forged, revoked, expired)."""
    return _lookup(token)[0]


@dataclass
class CustomerAccess:
    """What a customer page knows: the link, its order and contact, who is asking."""

    request: HttpRequest
    link: CustomerLink
    ip: str | None
    user_agent: str

    @property
    def order(self) -> Order:
        return self.link.order

    @property
    def contact(self) -> Any:
        return self.link.contact

    @functools.cached_property
    def actor(self) -> LinkActor:
        return LinkActor(self.link, ip=self.ip, user_agent=self.user_agent)

    @functools.cached_property
    def settings(self) -> CustomerPortalSettings:
        return CustomerPortalSettings.current()

    @property
    def show_prices(self) -> bool:
        return self.settings.show_prices

    @property
    def token(self) -> str:
        return self.link.token()

    def url(self, name: str, **kwargs: Any) -> str:
        """The URL ``name`` for this link (its token filled in)."""
        return reverse(name, kwargs={"token": self.token, **kwargs})

    def perform(self, name: str, *, obj: Any = None, note: str = "", **params: Any) -> Any:
        """Run the customer step ``name`` as this customer (``obj`` defaults to the order)."""
        return perform(
            name, actor=self.actor, obj=obj if obj is not None else self.order, note=note, **params
        )

    def refused(self, exc: BaseException) -> HttpResponse:
        """The customer's page for a refused step (409 / 400 / 403 with the reason)."""
        error = as_domain_error(exc)
        if error is None:
            raise exc
        return render(
            self.request,
            "customer_portal/refused.html",
            {"access": self, "message": user_message(error), "status": error.status},
            status=error.status,
        )


def _record_open(link: CustomerLink, ip: str | None, user_agent: str) -> None:
    """The link's access log (a counter and the last visitor, like a last login)."""
    now = timezone.now()
    from django.db.models import F

    CustomerLink.objects.filter(pk=link.pk).update(
        opened_count=F("opened_count") + 1,
        last_opened_at=now,
        last_ip=ip,
        last_user_agent=user_agent[:300],
    )
    CustomerLink.objects.filter(pk=link.pk, first_opened_at__isnull=True).update(
        first_opened_at=now
    )


def resolve(request: HttpRequest, token: str) -> CustomerAccess:
    """The access ``token`` gives, or :class:`Http404` (counted) / :class:`RateLimited`."""
    ip = client_ip(request)
    if misses(ip) >= MISS_LIMIT:
        raise RateLimited()
    link, genuine = _lookup(token)
    if link is None:
        if not genuine:
            record_miss(ip)
        raise Http404()
    if _count(f"customer_portal:hit:{link.pk}", HIT_WINDOW) > HIT_LIMIT:
        raise RateLimited()
    if request.method == "POST" and (
        _count(f"customer_portal:post:{link.pk}", HIT_WINDOW) > POST_LIMIT
    ):
        raise RateLimited()
    user_agent = (request.META.get("HTTP_USER_AGENT", "") or "")[:300]
    if not request.headers.get("HX-Request"):  # a poll is not an opening
        _record_open(link, ip, user_agent)
    return CustomerAccess(request=request, link=link, ip=ip, user_agent=user_agent)


def _language(request: HttpRequest) -> tuple[str, bool]:
    """(language, chosen now): ``?lang=`` if valid, else the cookie, else Chinese."""
    asked = request.GET.get("lang", "")
    if asked in CUSTOMER_LANGUAGES:
        return asked, True
    kept = request.COOKIES.get(LANGUAGE_COOKIE, "")
    if kept in CUSTOMER_LANGUAGES:
        return kept, False
    return settings.LANGUAGE_CODE, False


def _too_many() -> HttpResponse:
    response = HttpResponse(
        "Too many requests / 请求过于频繁，请稍后再试。",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(MISS_WINDOW)
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    """The customer's 404: the same for a bad, revoked or expired link and a missing page."""
    return render(request, "customer_portal/not_found.html", status=404)


def private(response: HttpResponse) -> HttpResponse:
    """Headers of every customer response: not cached, not indexed, no Referer sent on."""
    response["Cache-Control"] = "private, no-store"
    # same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" on a
    # form POST and Django's CSRF check refuses it; same-origin still sends nothing to
    # another site (the token never leaks).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


CustomerView = Callable[..., HttpResponse]


def customer_view(
    view: CustomerView | None = None, *, methods: tuple[str, ...] = ("GET", "HEAD")
) -> Any:
    """Decorate ``view(request, access, **kwargs)`` as a customer page (see the module doc)."""

    def decorate(function: CustomerView) -> CustomerView:
        @login_not_required
        @functools.wraps(function)
        def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            language, chosen = _language(request)
            with translation.override(language):
                request.LANGUAGE_CODE = language
                if request.method not in methods:
                    response = HttpResponse(status=405)
                    response["Allow"] = ", ".join(methods)
                    return private(response)
                try:
                    access = resolve(request, token)
                    response = function(request, access, *args, **kwargs)
                except RateLimited:
                    return private(_too_many())
                except Http404:
                    response = not_found(request)
                    if request.headers.get("HX-Request"):
                        # A polling page whose link just ended reloads into the 404 page.
                        response["HX-Refresh"] = "true"
                    return private(response)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
            if chosen:
                response.set_cookie(
                    LANGUAGE_COOKIE,
                    language,
                    max_age=365 * 24 * 3600,
                    samesite="Lax",
                    secure=request.is_secure(),
                    httponly=True,
                )
            response["Content-Language"] = language
            return private(response)

        return wrapper

    if view is not None:
        return decorate(view)
    return decorate
