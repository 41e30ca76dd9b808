"""Every write of the portal, on an order in every state, by every role: one road, no leaks.

The URL list comes from the resolver: every pattern that takes an object id and takes
a POST (a view limited to POST, or one whose code reads the POST). Each is posted a
plausible body, as each role, on each object it applies to — for the order and its
parts, the order in every ``OrderStatus`` (archived included). The answer must be:

* 2xx / 3xx (done, or a form shown again), or 400 / 403 / 404 / 409 (refused);
* never a 5xx;
* when refused (4xx): NO row of ANY table changed — counted by one SQL query over every
  table (row count, highest id, and the newest row version ``xmin``, which an UPDATE
  also moves);
* on the ARCHIVED order: every POST refused (4xx), nothing changed (docs/workflow.md §2:
  archived = read-only for every write).

Each request runs in a savepoint that is rolled back, so every request sees the same
world. A POST URL with an id that has no object kind below fails the coverage test:
a new write cannot escape the matrix.

What keeps it near a minute and a half (about 2,700 POSTs instead of 7,000), without
leaving a cell untried that could answer differently:

* a role the view's decorators turn away (``permission_required``) is answered 403
  before any code of the view runs: one POST per URL shows it (on the archived order);
* the first role let in posts to every object, and the engine itself (the names the
  request looked up in core.actions) tells which actions the URL runs. An object in a
  state where none of them can run is refused for everybody by the state check — that
  first role's POST proves it; every other role posts where an action can run, on the
  archived order, and on every object of a URL the engine was never asked about.
  The URLs of that last kind are printed: writes that do not go through the engine.

``ACTION_MATRIX_VERBOSE=1 pytest tests/test_action_matrix.py -s`` prints the timing
per URL and every answer.
"""

from __future__ import annotations

import ast
import copy
import inspect
import os
import re
import textwrap
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from itertools import product
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core.roles import ACCOUNT_MANAGER, AFTERSALES, ALL_ROLES, SALES_ASSISTANT

pytestmark = pytest.mark.django_db

EXCLUDED_PREFIXES = (
    "admin/",  # Django's admin: staff only, tested by Django
    # The API answers keys, not sessions: api/tests/test_schemathesis.py posts to every
    # operation and checks that no request answered 4xx wrote anything.
    "api/",
)
NO_SUCH_ID = 987654321
REFUSED = {400, 403, 404, 409}
# A body most forms can do something with: the reason / note / comment every refusable
# step asks for, and the first choice of the common decisions.
BODY = {
    "reason": "x",
    "note": "x",
    "comment": "x",
    "decision": "approve",
    "status": "done",
    "answer": "accepted",
    "confirm_duplicate": "1",
    "action": "submit",
    "rating": "5",
    "technician": "x",
    "work_done": "x",
    "result": "x",
    "resolution": "x",
    "carrier": "x",
    "tracking_number": "x",
    "method": "express",
    "eta": str(timezone.localdate() + timedelta(days=3)),
    "signer": "x",
    "signed_date": str(timezone.localdate()),
    "stock_status": "in_stock",
    "deliverable_date": str(timezone.localdate() + timedelta(days=7)),
    "description": "x",
    "channel": "phone",
    "person": "x",
    "stage": "production",
    "planned_start": str(timezone.localdate()),
    "planned_end": str(timezone.localdate() + timedelta(days=7)),
    "packing": "x",
    "package_count": "1",
    "gross_weight_kg": "1",
    "qc_result": "passed",
    "qc_report": "x",
}
# (plus, per world and object: the warehouse, a person, each order line's stock status
# and quantity to ship, and a small PDF as the uploaded file)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Which object a URL acts on, by URL name (first matching prefix wins). ``None``: no
# object of its kind is built here (the id does not exist, the answer must be a 404).
KIND_FOR_PREFIX: tuple[tuple[str, str | None], ...] = (
    ("orders:change_decide", "order_change"),
    ("orders:quotation_", "quotation"),
    ("orders:import_", "import_job"),
    ("orders:attachment_download", None),
    ("orders:", "order"),
    ("fulfillment:delivery_note", "shipment"),
    ("fulfillment:", "order"),
    ("aftersales:ticket", "ticket"),
    ("aftersales:replacement_", "replacement"),
    ("aftersales:photo", None),
    ("aftersales:", "order"),
    ("contracts:amendment_", "amendment"),
    ("contracts:", "contract"),
    ("archive:borrowing_", "borrowing"),
    ("archive:", "document"),
    ("customers:document_", "customer_document"),
    ("customers:", "customer"),
    ("catalog:", "product"),
    ("reports:improvement", "improvement"),
    ("reports:", None),
    ("core:notification", "notification"),
    ("customer_portal:link_send", "order"),
    ("customer_portal:", None),
    # The statement's notes (finance/tests cover them on a real statement).
    ("finance:", None),
    ("webhooks:", None),
    # A replenishment suggestion (insights/tests/test_nightly.py: its 403 / 400 cases).
    ("insights:", None),
)


# --- the URLs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    name: str
    route: str
    view: Callable[..., Any]

    @property
    def args(self) -> list[tuple[str, str]]:
        return [
            (converter or "str", arg)
            for converter, arg in re.findall(r"<(?:(\w+):)?(\w+)>", self.route)
        ]


def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield Route(name, prefix + str(pattern.pattern), pattern.callback)


def allowed_methods(view: Callable[..., Any]) -> tuple[str, ...] | None:
    """The methods of ``require_http_methods`` (require_POST …) around the view; None = any."""
    func: Any = view
    seen = set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        code = getattr(func, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = func.__closure__[code.co_freevars.index("request_method_list")]
            return tuple(cell.cell_contents)
        func = getattr(func, "__wrapped__", None)
    return None


def gate_tests(view: Callable[..., Any]) -> list[Callable[[Any], Any]]:
    """The ``user_passes_test`` / ``permission_required`` checks wrapped around the view."""
    tests, func, seen = [], view, set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        code = getattr(func, "__code__", None)
        if code is not None and "test_func" in code.co_freevars:
            tests.append(func.__closure__[code.co_freevars.index("test_func")].cell_contents)
        func = getattr(func, "__wrapped__", None)
    return tests


def passes_gates(view: Callable[..., Any], user: Any) -> bool:
    """Whether the view's decorators let ``user`` in at all (else: 403 before any code)."""
    for test in gate_tests(view):
        try:
            if not test(user):
                return False
        except PermissionDenied:
            return False
    return True


def _reads_post(func: Callable[..., Any], depth: int = 2) -> bool:
    """The view, or a function of its module it calls, reads the POST (or its files)."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return False
    if re.search(r"request\.(POST|FILES)|method\s*==\s*[\"']POST", source):
        return True
    if depth == 0:
        return False
    names = {
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    module_globals = getattr(func, "__globals__", {})
    return any(
        _reads_post(module_globals[name], depth - 1)
        for name in names
        if inspect.isfunction(module_globals.get(name))
        and module_globals[name].__module__ == func.__module__
    )


def post_routes() -> list[Route]:
    """The URL patterns that take an object id and a POST."""
    routes = []
    for route in _walk(get_resolver().url_patterns):
        if route.route.startswith(EXCLUDED_PREFIXES):
            continue
        if not any(converter == "int" for converter, _arg in route.args):
            continue
        methods = allowed_methods(route.view)
        if methods is not None and "POST" not in methods:
            continue
        if methods == ("POST",) or _reads_post(inspect.unwrap(route.view)):
            routes.append(route)
    return routes


def kind_of(name: str) -> str | None:
    for prefix, kind in KIND_FOR_PREFIX:
        if name.startswith(prefix):
            return kind
    raise LookupError(name)


def slug_values(route: Route, arg: str) -> list[str]:
    """The values the view accepts for ``<slug:arg>``, read from its ``arg not in X`` check."""
    func = inspect.unwrap(route.view)
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Name)
            and node.left.id == arg
            and isinstance(node.ops[0], ast.NotIn | ast.In)
        ):
            expression = ast.Expression(node.comparators[0])
            values = eval(  # noqa: S307 (an expression of our own view's source)
                compile(expression, "<slug check>", "eval"), func.__globals__
            )
            return sorted(str(value) for value in values)
    raise AssertionError(f"{route.name}: no `{arg} not in ...` check to read its values from")


# --- the world -------------------------------------------------------------------------------
@dataclass
class Target:
    """One object a URL is posted to: the path's ids, and whether its order is archived."""

    label: str
    ids: dict[str, int]
    archived: bool = False
    obj: Any = None  # the subject, to ask the engine whether an action applies to it
    body: dict[str, str] = field(default_factory=dict)  # fields of this object's forms


@dataclass
class World:
    clients: dict[str, Client]
    users: dict[str, Any]
    body: dict[str, str] = field(default_factory=dict)
    targets: dict[str, list[Target]] = field(default_factory=lambda: defaultdict(list))


def _set_status(instance: Any, status: str) -> Any:
    """Test data: a row in a given state (the FSM field is protected on instances)."""
    type(instance)._default_manager.filter(pk=instance.pk).update(status=status)
    instance.refresh_from_db()
    return instance


def build_world() -> World:
    from aftersales.models import AftersalesTicket, ReplacementShipment, TicketStatus
    from archive.models import Borrowing, BorrowingStatus, Document
    from contracts.models import AmendmentStatus, ContractAmendment, ContractStatus
    from core.models import Notification
    from fulfillment.models import AllocationRule, StockLevel, Warehouse
    from orders.models import OrderChange, OrderStatus, QuotationStatus
    from orders.services.orders import order_recalculate_total
    from tests.factories import (
        ContractFactory,
        CustomerFactory,
        OrderFactory,
        OrderLineFactory,
        ProductFactory,
        UserFactory,
        make_quotation,
    )

    clients: dict[str, Client] = {}
    users: dict[str, Any] = {}
    for role in ALL_ROLES:
        users[role] = UserFactory(username=f"actions_{role}", roles=[role])
        client = Client()
        client.force_login(users[role])
        clients[role] = client
    world = World(clients=clients, users=users)
    assistant = users[SALES_ASSISTANT]

    customer = CustomerFactory()
    product = ProductFactory()
    keeper = users["warehouse"]
    warehouse = Warehouse.objects.create(code="AM", name="矩阵仓", city="北京", manager=keeper)
    AllocationRule.objects.create(region="", warehouse=warehouse, priority=10)
    StockLevel.objects.create(warehouse=warehouse, product=product, on_hand=Decimal("100"))
    world.body = {"warehouse": str(warehouse.pk), "owner": str(keeper.pk)}

    # The order in every state, each with a line, a pending change request, and — from
    # delivery on — after-sales tickets in every ticket state.
    for status in OrderStatus.values:
        # Built as completed, archived once its parts exist (an archived order takes no
        # new part, not even from test data).
        archived = status == OrderStatus.ARCHIVED
        order = OrderFactory(
            customer=customer,
            owner=assistant,
            created_by=assistant,
            status=OrderStatus.COMPLETED if archived else status,
        )
        line = OrderLineFactory(order=order, product=product)
        order_recalculate_total(order=order)
        lines = {f"line_{line.pk}": "in_stock", f"qty_{line.pk}": str(line.quantity)}
        world.targets["order"].append(
            Target(f"order[{status}]", {"pk": order.pk}, archived, order, lines)
        )
        change = OrderChange.objects.create(
            order=order,
            status="pending",
            changes=[{"field": "contact_name", "old": "王经理", "new": "李经理"}],
            payload={"contact_name": "李经理"},
            reason="x",
            requested_by=assistant,
        )
        world.targets["order_change"].append(
            Target(
                f"order[{status}].change",
                {"pk": order.pk, "change_pk": change.pk},
                archived,
                change,
            )
        )
        # Tickets in every ticket state on the accepted order (where after-sales works)
        # and on the archived one (where nothing may change); one open ticket elsewhere
        # after delivery.
        if status in ("accepted", "archived"):
            ticket_states = list(TicketStatus.values)
        elif status in ("delivered", "completed"):
            ticket_states = [TicketStatus.OPEN]
        else:
            ticket_states = []
        if ticket_states:
            for n, ticket_status in enumerate(ticket_states):
                ticket = AftersalesTicket.objects.create(
                    number=f"SH-M-{order.pk}-{n}",
                    order=order,
                    source="complaint",
                    kind="replacement",
                    status=ticket_status,
                    description="x",
                    owner=users[AFTERSALES],
                    opened_by=users[ACCOUNT_MANAGER],
                )
                world.targets["ticket"].append(
                    Target(
                        f"order[{status}].ticket[{ticket_status}]",
                        {"pk": ticket.pk},
                        archived,
                        ticket,
                    )
                )
                if ticket_status != TicketStatus.IN_PROGRESS:
                    continue
                replacement = ReplacementShipment.objects.create(
                    ticket=ticket, order_line=line, created_by=users[AFTERSALES]
                )
                world.targets["replacement"].append(
                    Target(
                        f"order[{status}].ticket[{ticket_status}].replacement",
                        {"pk": replacement.pk},
                        archived,
                        replacement,
                    )
                )

        if archived:
            _set_status(order, status)

    # Quotations, contracts, amendments and borrowings in each of their states.
    for status in QuotationStatus.values:
        quotation = _set_status(make_quotation(owner=assistant, customer=customer), status)
        world.targets["quotation"].append(
            Target(f"quotation[{status}]", {"pk": quotation.pk}, obj=quotation)
        )
    contracts = {}
    for status in ContractStatus.values:
        contract = _set_status(ContractFactory(customer=customer, created_by=assistant), status)
        contracts[status] = contract
        world.targets["contract"].append(
            Target(f"contract[{status}]", {"pk": contract.pk}, obj=contract)
        )
    for n, status in enumerate(AmendmentStatus.values, start=1):
        amendment = ContractAmendment.objects.create(
            contract=contracts[ContractStatus.IN_FORCE],
            sequence=n,
            description="x",
            reason="x",
            status=status,
            **_required_people(ContractAmendment, assistant),
        )
        world.targets["amendment"].append(
            Target(
                f"amendment[{status}]",
                {"pk": amendment.contract_id, "amendment_pk": amendment.pk},
                obj=amendment,
            )
        )
    from django.contrib.contenttypes.models import ContentType

    document = Document.objects.create(
        title="x",
        category=Document._meta.get_field("category").choices[0][0],
        content_type=ContentType.objects.get_for_model(customer),
        object_id=customer.pk,
        customer=customer,
        document_date=timezone.localdate(),
        retention_years=1,
        disposal_date=timezone.localdate() - timedelta(days=1),
    )
    world.targets["document"].append(Target("document", {"pk": document.pk}))
    for status in BorrowingStatus.values:
        borrowing = Borrowing.objects.create(
            borrower=assistant,
            purpose="x",
            due_date=timezone.localdate() + timedelta(days=7),
            status=status,
        )
        borrowing.documents.add(document)
        world.targets["borrowing"].append(
            Target(f"borrowing[{status}]", {"pk": borrowing.pk}, obj=borrowing)
        )

    world.targets["customer"].append(Target("customer", {"pk": customer.pk}))
    world.targets["product"].append(Target("product", {"pk": product.pk}))
    notification = Notification.objects.create(recipient=assistant, title="x")
    world.targets["notification"].append(Target("notification", {"pk": notification.pk}))
    return world


def _required_people(model: Any, user: Any) -> dict[str, Any]:
    """``created_by=user`` and the like for each required user foreign key of ``model``."""
    from django.contrib.auth import get_user_model

    return {
        f.name: user
        for f in model._meta.concrete_fields
        if f.is_relation
        and f.related_model is get_user_model()
        and not f.null
        and not f.has_default()
    }


# --- the rows of every table, in one query ---------------------------------------------------------
def snapshot_query() -> str:
    """One query: for every table, its row count, highest id and newest row version."""
    quote = connection.ops.quote_name
    parts = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            columns = {
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            }
            newest_id = (
                f"(select id::text from {quote(table)} order by id desc limit 1)"  # noqa: S608
                if "id" in columns
                else "null"
            )
            # Table names from the database's own catalogue, quoted: nothing to inject.
            parts.append(
                f"select '{table}', count(*), {newest_id}, max(xmin::text::bigint) "  # noqa: S608
                f"from {quote(table)}"
            )
    return " union all ".join(parts)


WRITES_QUERY = (
    "select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) from pg_stat_xact_user_tables"
)


def writes_so_far() -> int:
    """Rows inserted, updated or deleted in this transaction so far — rolled back ones too.

    Only a shortcut: when it did not move, nothing was written and the full count of
    every table is skipped; when it moved, the count says what stayed.
    """
    with connection.cursor() as cursor:
        cursor.execute(WRITES_QUERY)
        return int(cursor.fetchone()[0])


def snapshot(query: str) -> dict[str, tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def changed(before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]) -> list[str]:
    return sorted(table for table in before if before[table] != after.get(table))


# --- the tests -------------------------------------------------------------------------------
def test_the_count_of_every_table_sees_an_insert_an_update_and_a_delete():
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="matrix-probe")
    query = snapshot_query()
    baseline = snapshot(query)
    assert changed(baseline, snapshot(query)) == []
    for change in (
        lambda: Group.objects.filter(pk=group.pk).update(name="matrix-probe-2"),
        lambda: Group.objects.create(name="matrix-probe-3"),
        lambda: Group.objects.filter(pk=group.pk).delete(),
    ):
        with transaction.atomic():
            before = writes_so_far()
            change()
            assert writes_so_far() > before
            assert changed(baseline, snapshot(query)) == ["auth_group"]
            transaction.set_rollback(True)
        assert changed(baseline, snapshot(query)) == []


def test_every_post_url_with_an_id_has_an_object_kind():
    routes = post_routes()
    assert routes, "the resolver gave no POST URL with an id"
    unknown = []
    for route in routes:
        try:
            kind_of(route.name)
        except LookupError:
            unknown.append(route.name)
    assert not unknown, f"POST URLs with an id and no object kind in KIND_FOR_PREFIX: {unknown}"
    for route in routes:
        for converter, arg in route.args:
            if converter == "slug":
                assert slug_values(route, arg), (route.name, arg)


@dataclass
class Outcome:
    name: str
    url: str
    target: Target
    role: str
    status: int | str
    tables: list[str]


def fill(route: Route, target: Target | None, slugs: dict[str, str]) -> str:
    kwargs: dict[str, Any] = {}
    for converter, arg in route.args:
        if converter == "int":
            kwargs[arg] = target.ids.get(arg, NO_SUCH_ID) if target else NO_SUCH_ID
        elif converter == "slug":
            kwargs[arg] = slugs[arg]
        else:
            kwargs[arg] = "x"
    return reverse(route.name, kwargs=kwargs)


class ActionsAsked(dict):  # type: ignore[type-arg]
    """core.actions' registry, noting every action name a request looks up (perform,
    allowed, available): which actions a URL runs, learnt from the engine itself."""

    def __init__(self, registry: dict[str, Any]) -> None:
        super().__init__(registry)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        self.asked.add(name)
        return super().__getitem__(name)


def applies(target: Target | None, names: set[str]) -> bool:
    """Whether one of the actions ``names`` could run on the target in its state.

    Unknown (no action seen, an action that creates, another model) counts as yes.
    """
    from core.actions import all_actions, state_allows

    if target is None or target.obj is None or target.archived or not names:
        return True
    registry = all_actions()
    acts = [registry[n] for n in names if n in registry]
    on_subject = [a for a in acts if isinstance(target.obj, a.model) and not a.creates]
    if not on_subject or len(on_subject) < len(acts):
        return True
    return any(state_allows(a, target.obj) for a in on_subject)


class Runner:
    def __init__(self, world: World, query: str, baseline: dict[str, tuple[Any, ...]]) -> None:
        self.world = world
        self.query = query
        self.baseline = baseline
        self.outcomes: list[Outcome] = []
        self.spent = Counter()  # type: ignore[var-annotated]

    def post(self, route: Route, target: Target | None, slugs: dict[str, str], role: str) -> None:
        client = self.world.clients[role]
        url = fill(route, target, slugs)
        cookies = copy.deepcopy(client.cookies)
        try:
            with transaction.atomic():
                t1 = time.monotonic()
                writes = writes_so_far()
                upload = SimpleUploadedFile("matrix.pdf", PDF, content_type="application/pdf")
                body = {**BODY, **self.world.body, **(target.body if target else {})}
                response = client.post(url, {**body, "file": upload})
                t2 = time.monotonic()
                status: int | str = response.status_code
                wrote = writes_so_far() != writes
                tables = changed(self.baseline, snapshot(self.query)) if wrote else []
                self.spent["requests"] += t2 - t1
                self.spent["snapshots"] += time.monotonic() - t2
                transaction.set_rollback(True)
        except Exception as exc:  # a view that raises is the 500 we look for
            status, tables = f"500 {type(exc).__name__}: {exc}"[:300], []
        client.cookies = cookies
        self.outcomes.append(
            Outcome(route.name, url, target or Target("-", {}), role, status, tables)
        )


def test_every_write_answers_sanely_and_a_refusal_changes_nothing(monkeypatch, settings, tmp_path):
    from weasyprint import HTML

    from core import actions

    # A PDF rendered on a POST would cost seconds and prove nothing here.
    monkeypatch.setattr(HTML, "write_pdf", lambda self, *args, **kwargs: b"%PDF-1.7 matrix")
    settings.MEDIA_ROOT = tmp_path  # uploads that succeed land here, not in var/
    registry = ActionsAsked(actions._actions)
    monkeypatch.setattr(actions, "_actions", registry)
    started = time.monotonic()
    world = build_world()
    query = snapshot_query()
    runner = Runner(world, query, snapshot(query))
    built = time.monotonic() - started

    timing: Counter[str] = Counter()
    engine_actions: dict[str, set[str]] = {}
    routes = post_routes()
    for route in routes:
        t0 = time.monotonic()
        kind = kind_of(route.name)
        targets: list[Target | None] = list(world.targets.get(kind, [])) if kind else []
        targets = targets or [None]
        slug_args = [arg for converter, arg in route.args if converter == "slug"]
        slug_sets = [
            dict(zip(slug_args, values, strict=True))
            for values in product(*(slug_values(route, arg) for arg in slug_args))
        ]
        let_in = [role for role in ALL_ROLES if passes_gates(route.view, world.users[role])]
        # A role the view's decorators turn away gets its 403 before any code of the view
        # runs, whatever the object: one request proves it (on the archived order when
        # there is one).
        sample = next((t for t in targets if t is not None and t.archived), targets[0])
        for role in ALL_ROLES:
            if role not in let_in:
                runner.post(route, sample, slug_sets[0], role)
        if not let_in:
            continue
        # The first role let in posts to every object: the engine tells which actions the
        # URL runs. Where none of them can run (the state refuses it, for everyone), that
        # one role proves the refusal; where one can, every role let in posts.
        first, others = let_in[0], let_in[1:]
        seen: set[str] = set()
        for slugs in slug_sets:
            registry.asked = set()
            for target in targets:
                runner.post(route, target, slugs, first)
            asked = set(registry.asked)
            seen |= asked
            for target in targets:
                if applies(target, asked):
                    for role in others:
                        runner.post(route, target, slugs, role)
        engine_actions[route.name] = seen
        timing[route.name] += time.monotonic() - t0
    elapsed = time.monotonic() - started
    outcomes = runner.outcomes
    print(
        f"\n{len(outcomes)} POSTs on {len(routes)} URLs in {elapsed:.1f}s "
        f"(world built in {built:.1f}s; requests {runner.spent['requests']:.1f}s, "
        f"snapshots {runner.spent['snapshots']:.1f}s)"
    )
    print(
        "POST URLs whose requests never reached the action engine (with this body):",
        sorted(name for name, seen in engine_actions.items() if not seen),
    )
    if os.environ.get("ACTION_MATRIX_VERBOSE"):
        for name, seconds in timing.most_common():
            print(f"  {seconds:6.2f}s {name} {sorted(engine_actions.get(name, ()))}")
        for o in outcomes:
            print(f"  {o.status} {o.role:16s} {o.target.label:40s} {o.url} {o.tables or ''}")

    failures: dict[str, list[str]] = defaultdict(list)
    for o in outcomes:
        where = f"{o.target.label} as {o.role} ({o.url})"
        if isinstance(o.status, str) or o.status >= 500:
            failures[o.name].append(f"{where}: {o.status}")
        elif o.status >= 400 and o.status not in REFUSED:
            failures[o.name].append(f"{where}: answered {o.status}")
        elif o.status >= 400 and o.tables:
            failures[o.name].append(f"{where}: refused ({o.status}) but changed {o.tables}")
        elif o.target.archived and o.status < 400:
            failures[o.name].append(
                f"{where}: archived, answered {o.status}"
                + (f" and changed {o.tables}" if o.tables else "")
            )
    report = []
    for name in sorted(failures):
        lines = failures[name]
        report.append(f"{name}: {len(lines)} failures")
        report.extend(f"    {line}" for line in lines[:8])
        if len(lines) > 8:
            report.append(f"    … and {len(lines) - 8} more")
    if report:
        print("\n".join(report))
    assert not failures, (
        f"{sum(map(len, failures.values()))} of {len(outcomes)} POSTs failed on "
        f"{len(failures)} URLs:\n" + "\n".join(report)
    )
