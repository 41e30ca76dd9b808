"""Every page a role may open is linked from somewhere that role sees.

A page reachable only by typing its URL is a page nobody finds: the improvement list fed
every monthly report for months before anyone could click their way to it. So, for each
role, with the Django test client:

1. **What the role reaches** — a breadth-first crawl from the home page (the navigation,
   the home page's actions, and every page reachable from them), following the links
   (``<a href>``) of each page, with a cap per URL name and per role. Each URL found is
   resolved to its pattern's name.
2. **What the role may open** — every URL pattern of the resolver, GET pages only, filled
   with the ids of the seeded world (``build_world`` of the action matrix, plus the
   objects it lacks, below) and fetched as that role. A *page* is a 200 answer that is a
   whole HTML document: a 403 / 404 is not the role's, a download (a PDF, a spreadsheet,
   a file, JSON) is not HTML, and an htmx fragment is not a whole document.
3. Every page of 2 must be a pattern reached in 1; the failure names each page that can
   only be typed, per role.

What is not walked is decided by rules, so that a new app's pages meet the test the day
they are added (``EXCLUDED`` below): the admin, the API, the customer's side (/c/ links
are sent to customers, never navigated to), Django's sign-in / password-reset flow, and
URLs that serve files (a path ending in a file extension). Everything else is classified
by its answer. A GET pattern that no role could open with the seeded data fails
``test_every_page_pattern_has_seeded_data``: seed its object below rather than let it
escape.

``REACHABILITY_VERBOSE=1 pytest tests/test_reachability.py -s`` prints what each role
reached and how long the crawl took.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve
from django.utils import timezone

from core.roles import ALL_ROLES
from tests.test_action_matrix import (
    KIND_FOR_PREFIX,
    Route,
    Target,
    World,
    _walk,
    allowed_methods,
    build_world,
    passes_gates,
)

pytestmark = pytest.mark.django_db

VERBOSE = bool(os.environ.get("REACHABILITY_VERBOSE"))

# --- what is not walked: rules, never page names ------------------------------------------
EXCLUDED = (
    # Django's admin: staff only, its own navigation (linked from the sidebar for staff).
    re.compile(r"^admin/"),
    # The API is for programs (its documentation is served to them, not to pages).
    re.compile(r"^api/"),
    # The customer's side: personal links sent by e-mail / SMS, never navigated to by staff.
    re.compile(r"^c/"),
    # Django's sign-in, sign-out and password-reset flow: pages for signed-out people and
    # the answers of their forms (the password change itself is in the user menu).
    re.compile(r"^accounts/"),
    # Files: PDFs, spreadsheets, images, JSON — downloads, not pages.
    re.compile(r"\.[a-z0-9]{2,5}$"),
)

# How far the crawl goes: URLs visited per URL name (lists with filters and pages, an
# order in each of its states) and per role.
PER_NAME = 6
PER_QUERY = 2
PER_ROLE = 500

# Which seeded object fills ``<pk>`` for a URL name: the action matrix's table, plus the
# kinds it has no row for (first matching prefix wins, these first).
EXTRA_KINDS: tuple[tuple[str, str | None], ...] = (
    ("orders:attachment_download", "attachment"),
    ("orders:import_", "import_job"),
    ("aftersales:photo", "photo"),
    ("reports:package", "package"),
    ("finance:statement", "statement"),
    ("webhooks:", "webhook"),
)


# --- the links of a page ---------------------------------------------------------------------
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    """The site-relative URLs the page links to (path and query, no fragment)."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme not in ("", "http", "https") or (
            parts.netloc and parts.netloc != "testserver"
        ):
            continue
        if not parts.path.startswith("/"):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def url_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def is_page(response: Any) -> bool:
    """A whole HTML document answered with 200 (not a download, not an htmx fragment)."""
    if response.status_code != 200:
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    head = response.content[:600].decode(errors="replace").lower()
    return "<html" in head


def excluded(route: str) -> bool:
    return any(rule.search(route) for rule in EXCLUDED)


def get_routes() -> list[Route]:
    """The resolver's URL patterns a browser may GET, less the excluded ones."""
    routes = []
    for route in _walk(get_resolver().url_patterns):
        methods = allowed_methods(route.view)
        if methods is not None and "GET" not in methods:
            continue
        if excluded(route.route):
            continue
        routes.append(route)
    return routes


# --- 1. the crawl ------------------------------------------------------------------------------
@dataclass
class Crawl:
    client: Client
    reached: set[str] = field(default_factory=lambda: {"core:home"})
    visited: int = 0
    seconds: float = 0.0
    seen: set[str] = field(default_factory=lambda: {"/"})
    queue: deque[str] = field(default_factory=lambda: deque(["/"]))
    per_name: Counter[str] = field(default_factory=Counter)
    capped: list[str] = field(default_factory=list)  # found, not visited: over PER_NAME

    def run(self, *, cap: bool = True, wanted: set[str] | None = None) -> None:
        """Breadth-first through the queue, following links to pages of the portal (until
        every ``wanted`` URL name is reached, if given)."""
        started = time.monotonic()
        while self.queue and self.visited < PER_ROLE:
            if wanted is not None and wanted <= self.reached:
                break
            url = self.queue.popleft()
            response = self.client.get(url)
            self.visited += 1
            location = response.get("Location", "")
            if response.status_code in (301, 302) and location.startswith("/"):
                targets = [location]
            elif is_page(response):
                targets = links_of(response.content.decode())
            else:
                continue
            for target in targets:
                self._found(target, cap=cap)
        self.seconds += time.monotonic() - started

    def _found(self, target: str, *, cap: bool) -> None:
        name = url_name(target)
        if name is None or excluded(urlsplit(target).path.lstrip("/")):
            return
        self.reached.add(name)
        if target in self.seen:
            return
        self.seen.add(target)
        # The same list filtered, sorted or paged rarely links anywhere new: two of those.
        key = f"{name}?" if "?" in target else name
        if cap and self.per_name[key] >= (PER_QUERY if "?" in target else PER_NAME):
            self.capped.append(target)
            return
        self.per_name[key] += 1
        self.queue.append(target)

    def uncap(self, wanted: set[str]) -> None:
        """Go on without the cap (every object found so far, in each of its states) until
        the ``wanted`` URL names are reached."""
        self.queue.extend(self.capped)
        self.capped = []
        self.run(cap=False, wanted=wanted)


def crawl(client: Client) -> Crawl:
    """The role's crawl from the home page, with the cap per URL name."""
    result = Crawl(client)
    result.run()
    return result


# --- 2. what a role may open --------------------------------------------------------------------
def kind_of(name: str) -> str | None:
    for prefix, kind in (*EXTRA_KINDS, *KIND_FOR_PREFIX):
        if name.startswith(prefix):
            return kind
    return None


def candidate_urls(route: Route, world: World) -> Iterator[str]:
    """The route filled with the ids of each seeded object of its kind."""
    args = [arg for _converter, arg in route.args]
    if not args:
        yield "/" + route.route
        return
    targets: list[Target] = list(world.targets.get(kind_of(route.name) or "", []))
    for target in targets:
        if not all(arg in target.ids for arg in args):
            continue
        path = route.route
        for converter, arg in route.args:
            pattern = f"<{converter}:{arg}>" if f"<{converter}:{arg}>" in path else f"<{arg}>"
            path = path.replace(pattern, str(target.ids[arg]))
        yield "/" + path


def first_page(client: Client, urls: Iterator[str]) -> tuple[str | None, bool]:
    """The first of ``urls`` that is a page for the client's user; whether any was tried."""
    tried = False
    for count, url in enumerate(urls):
        if count == PER_NAME:
            break
        tried = True
        # A GET that happens to write (none should) is rolled back: the world stays as built.
        with transaction.atomic():
            response = client.get(url)
            transaction.set_rollback(True)
        if is_page(response):
            return url, True
    return None, tried


# --- the seeded world ------------------------------------------------------------------------------
def seed_more(world: World) -> None:
    """The objects the action matrix's world lacks, so that their pages exist."""
    from django.core.files.base import ContentFile

    from orders.models import Order, OrderAttachment, OrderStatus
    from reports.models import ImprovementItem

    users = world.users
    assistant = users["sales_assistant"]
    orders = {t.obj.status: t.obj for t in world.targets["order"] if isinstance(t.obj, Order)}

    confirmed = orders[OrderStatus.CONFIRMED]
    attachment = OrderAttachment(
        order=confirmed, original_name="合同扫描.pdf", size=10, uploaded_by=assistant
    )
    attachment.file.save("reach.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    attachment.save()
    world.targets["attachment"].append(
        Target("attachment", {"pk": confirmed.pk, "att_pk": attachment.pk})
    )

    item = ImprovementItem.objects.create(
        period=timezone.localdate().strftime("%Y-%m"),
        problem="交付延误",
        action="提前备货",
        owner=users["sales_manager"],
        created_by=users["sales_manager"],
        due_date=timezone.localdate() + timedelta(days=30),
    )
    world.targets["improvement"].append(Target("improvement", {"pk": item.pk}))

    _make_lifelike(orders)
    _seed_fulfillment(world, orders)
    _seed_imports(world, assistant)
    _seed_customer_documents(world, assistant)
    _seed_photo(world, orders["delivered"])
    _seed_archive_package(world)
    _seed_statement(world, orders["completed"])
    _seed_webhook(world)


def _seed_photo(world: World, order: Any) -> None:
    from django.core.files.base import ContentFile

    from aftersales.models import Acceptance, AcceptanceIssue, IssuePhoto

    acceptance = Acceptance(
        order=order,
        signer="李四",
        signed_on=timezone.localdate(),
        recorded_by=world.users["account_manager"],
    )
    acceptance.receipt.save("receipt.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    acceptance.save()
    issue = AcceptanceIssue.objects.create(
        acceptance=acceptance, issue_type="damaged_packaging", description="外箱破损"
    )
    photo = IssuePhoto(issue=issue, original_name="外箱.jpg", size=10)
    photo.image.save("reach.jpg", ContentFile(b"\xff\xd8\xff\xd9"), save=False)
    photo.thumbnail.save("reach-thumb.jpg", ContentFile(b"\xff\xd8\xff\xd9"), save=False)
    photo.save()
    world.targets["photo"].append(Target("photo", {"pk": photo.pk}))


def _seed_archive_package(world: World) -> None:
    from django.core.files.base import ContentFile

    from archive.models import ArchivePackage

    package = ArchivePackage(
        period="2026-10", status="done", requested_by=world.users["data_admin"]
    )
    package.file.save("reach.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=False)
    package.save()
    world.targets["package"].append(Target("package", {"pk": package.pk}))


def _seed_statement(world: World, order: Any) -> None:
    from finance.models import SettlementStatement

    statement = SettlementStatement.objects.create(
        number=f"JS-{order.pk}",
        order=order,
        customer=order.customer,
        issued_by=world.users["general_manager"],
        due_date=timezone.localdate() + timedelta(days=30),
    )
    world.targets["statement"].append(Target("statement", {"pk": statement.pk}))


def _seed_webhook(world: World) -> None:
    from api.models import ApiClient, WebhookSubscription

    client = ApiClient.objects.create(name="ERP", user=world.users["data_admin"])
    subscription = WebhookSubscription.objects.create(
        client=client, url="https://erp.example.com/hook", secret="s"
    )
    world.targets["webhook"].append(Target("webhook", {"pk": subscription.pk}))


# The states in which an order has been confirmed (it has its confirmation documents).
CONFIRMED_OR_LATER = (
    "confirmed",
    "service_scheduled",
    "preparing",
    "ready_to_ship",
    "shipped",
    "delivered",
    "accepted",
    "completed",
    "archived",
)


def _make_lifelike(orders: dict[str, Any]) -> None:
    """What the steps would have written on the way to each state: a number once
    submitted, the confirmation time once confirmed (the pages link their documents by them)."""
    from orders.models import Order

    for status, order in orders.items():
        if status == "draft":
            continue
        changes: dict[str, Any] = {"number": f"R{order.pk:07d}"}
        if status in CONFIRMED_OR_LATER:
            changes["confirmed_at"] = timezone.now() - timedelta(days=3)
        Order.objects.filter(pk=order.pk).update(**changes)


def _seed_fulfillment(world: World, orders: dict[str, Any]) -> None:
    from fulfillment.models import Shipment, ShipmentPreparation, Warehouse

    for status in ("ready_to_ship", "shipped", "delivered", "accepted", "completed"):
        ShipmentPreparation.objects.create(
            order=orders[status],
            packing="木箱",
            package_count=1,
            prepared_by=world.users["warehouse"],
        )

    shipment = Shipment.objects.create(
        order=orders["shipped"],
        warehouse=Warehouse.objects.first(),
        carrier="顺丰",
        method="express",
        tracking_number="SF100",
        eta=timezone.localdate() + timedelta(days=2),
        shipped_by=world.users["logistics"],
    )
    world.targets["shipment"].append(Target("shipment", {"pk": shipment.pk}))


def _seed_imports(world: World, assistant: Any) -> None:
    from django.core.files.base import ContentFile

    from orders.models import ImportJob

    job = ImportJob(original_name="orders.xlsx", size=10, created_by=assistant)
    job.file.save("reach.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    job.save()
    world.targets["import_job"].append(Target("import_job", {"pk": job.pk}))


def _seed_customer_documents(world: World, assistant: Any) -> None:
    from django.core.files.base import ContentFile

    from customers.models import QualificationDocument

    customer_id = world.targets["customer"][0].ids["pk"]
    document = QualificationDocument(
        customer_id=customer_id,
        kind="business_licence",
        original_name="营业执照.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=assistant,
    )
    document.file.save("reach.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    document.save()
    world.targets["customer_document"].append(
        Target("customer_document", {"pk": customer_id, "doc_pk": document.pk})
    )


# --- the tests ------------------------------------------------------------------------------------
@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path  # the seeded files are this test's own
    built = build_world()
    seed_more(built)
    return built


@dataclass
class Findings:
    unreachable: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    opened: set[str] = field(default_factory=set)  # patterns some role could open
    untried: set[str] = field(default_factory=set)  # patterns with no seeded object


def survey(world: World) -> Findings:
    routes = get_routes()
    findings = Findings()
    for role in ALL_ROLES:
        client, user = world.clients[role], world.users[role]
        result = crawl(client)
        unreached: dict[str, str] = {}
        for route in routes:
            if route.name in result.reached:
                findings.opened.add(route.name)
                continue
            if not passes_gates(route.view, user):
                continue
            url, tried = first_page(client, candidate_urls(route, world))
            if not tried:
                findings.untried.add(route.name)
            if url is not None:
                findings.opened.add(route.name)
                unreached[route.name] = url
        if unreached and result.capped:
            # The cap may have skipped the one object whose page links there (a draft
            # among many orders): look further before calling the page unreachable.
            result.uncap(set(unreached))
        findings.unreachable[role] = [
            f"{name} ({url})" for name, url in unreached.items() if name not in result.reached
        ]
        if VERBOSE:
            print(
                f"\n{role}: {result.visited} pages in {result.seconds:.1f}s, "
                f"reached {len(result.reached)} names; unreached {findings.unreachable[role]}"
            )
    findings.untried -= findings.opened
    return findings


_SURVEY: list[Findings] = []


def surveyed(world: World) -> Findings:
    """The survey, once per run: both tests below read it (it takes minutes)."""
    if not _SURVEY:
        _SURVEY.append(survey(world))
    return _SURVEY[0]


def test_every_page_a_role_may_open_is_linked_from_what_it_sees(world):
    findings = surveyed(world)
    report = {role: sorted(pages) for role, pages in findings.unreachable.items() if pages}
    assert not report, (
        "pages a role may open but reaches only by typing the URL "
        f"(link them from the navigation, the home page or a page of theirs): {report}"
    )


def test_every_page_pattern_has_a_seeded_object(world):
    """A GET pattern no role could be tried on escapes the test above: seed its object."""
    findings = surveyed(world)
    assert not findings.untried, (
        "GET patterns without a seeded object, never tried "
        f"(seed one in tests/test_reachability.py): {sorted(findings.untried)}"
    )


def test_the_instruments_find_links_and_tell_pages_from_the_rest(world):
    """A nav link resolves to its page; a PDF and an htmx fragment are not pages."""
    client = world.clients["sales_manager"]
    home = client.get("/")
    assert is_page(home)
    names = {url_name(link) for link in links_of(home.content.decode())}
    assert {"orders:list", "reports:monthly", "reports:improvements"} <= names
    order = world.targets["order"][0].ids["pk"]
    assert is_page(client.get(f"/orders/{order}/"))
    assert not is_page(client.get(f"/orders/{order}/review-form.pdf"))
    assert not is_page(client.get("/orders/customer-search/", {"customer_q": "x"}))
    assert excluded("api/v1/orders/") and excluded("c/abc/") and excluded("reports/monthly.pdf")
    assert not excluded("reports/improvements/")
