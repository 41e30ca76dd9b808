"""No input answers with a 5xx, and an input that is refused writes nothing (property-based).

Hypothesis throws generated values — text with unicode and control characters, numbers
huge and tiny, NaN / Infinity / negative zero, dates out of range, empty values — at:

* every GET parameter of every page and htmx fragment without an id (lists, searches,
  reports and their downloads, exports), plus the import preview; the parameter names are
  read from the views' code and from the filter forms the views fill from ``request.GET``;
* every GET parameter of every page, fragment and download with an id — the order, its
  fulfillment and after-sales pages, tickets, replacements, the customer, contract,
  quotation, documents, PDFs — on every object of tests/test_action_matrix.py's world
  (the order in every state …), with the names the view's module reads plus generic ones;
* the order entry form (header and line fields), its live totals, the customer, product,
  quick-customer and quotation forms;
* every POST URL with an id — order steps, fulfillment and after-sales forms, quotations,
  contracts, the archive — on the order in every state, from tests/test_action_matrix.py's
  world, with the fields of its usual body replaced by generated values.

Every answer must be below 500 (an exception in a view fails the test with its traceback).
A POST that is refused (4xx) or shows its form again (200) must leave every table as it
was, counted by tests/test_action_matrix.py's one query over all tables
(docs/architecture.md §5 and §7). Each example runs in a savepoint that is rolled back,
so every example sees the same world. Examples are few per test and derandomized: the
suite is reproducible in CI and stays near a minute.
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.test_action_matrix import (
    BODY,
    Route,
    Target,
    _walk,
    allowed_methods,
    build_world,
    changed,
    fill,
    kind_of,
    post_routes,
    slug_values,
    snapshot,
    snapshot_query,
    writes_so_far,
)
from tests.test_hostile_input import customer_data, order_data, product_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "core",
    "customers",
    "contracts",
    "orders",
    "fulfillment",
    "aftersales",
    "archive",
    "reports",
]

FEW = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    # A failure is reported with the example that found it; shrinking it could take minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the values -----------------------------------------------------------------------------
EDGE = [
    "",
    " ",
    "0",
    "-0",
    "-0.0",
    "0.001",
    "-1",
    "1e30",
    "1e-30",
    "1E+999999999",
    "9" * 40,
    "-" + "9" * 40,
    "1" * 5000,
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "9999999999.99",
    "99999999999999.99",
    "1,000",
    "０１２",  # full-width digits
    "١٢٣",  # Arabic-Indic digits
    "9999-12",
    "0001-01",
    "0000-00",
    "2026-13",
    "2026-00",
    "-1-5",
    "99999-1",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "0001-01-01",
    "1-1-1",
    "2026/02/30",
    "yesterday",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\u202e",
    "\ufeff",
    "😀" * 3,
    "长" * 300,
    "<script>alert(1)</script>",
    "'; DROP TABLE orders_order; --",
    "%",
    "_",
    "\\",
    "../../etc/passwd",
    "true",
    "on",
    "None",
    "null",
    "[]",
    "{}",
]
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.tuples(st.integers(-1, 99999), st.integers(-1, 99), st.integers(-1, 99)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
    ),
    st.tuples(st.integers(-1, 99999), st.integers(-1, 99)).map(lambda t: f"{t[0]:04d}-{t[1]:02d}"),
)
HOSTILE = st.one_of(
    st.sampled_from(EDGE),
    st.text(max_size=40),  # any code point but surrogates: control characters included
    NUMBERS,
    DATES,
)


# --- the GET parameters ------------------------------------------------------------------------
GET_NAME = re.compile(r"""(?:request\.)?GET(?:\.get|\.getlist)?[\(\[]\s*["']([^"']+)["']""")
FORM_ON_GET = re.compile(r"(\w+)\(\s*(?:data=)?request\.GET")


def _names_read_from_get(sources: list[str]) -> set[str]:
    """The names ``sources`` read from ``request.GET``, and the fields of forms filled from it."""
    from django import forms

    names: set[str] = set()
    form_names: set[str] = set()
    for source in sources:
        names.update(GET_NAME.findall(source))
        form_names.update(FORM_ON_GET.findall(source))
    for form in _all_subclasses(forms.BaseForm):
        if form.__name__ in form_names:
            names.update(form.base_fields)
    return names


def _get_parameter_names() -> list[str]:
    """Every name the views read from ``request.GET``, and the fields of forms filled from it."""
    sources = [
        path.read_text()
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]
    names = _names_read_from_get(sources)
    return sorted(names | {"page", "month", "q", "status", "sort", "customer"})


def _all_subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def get_routes() -> list[Route]:
    """The pages and fragments without an id that answer a GET (the admin and accounts aside)."""
    routes = []
    for route in _walk(get_resolver().url_patterns):
        if route.route.startswith(("admin/", "accounts/", "api/")) or route.args:
            continue
        methods = allowed_methods(route.view)
        if methods is None or "GET" in methods:
            routes.append(route)
    return routes


# --- the world ---------------------------------------------------------------------------------
@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def fast_pdf(monkeypatch):  # type: ignore[no-untyped-def]
    """The PDF's template is rendered; the layout (seconds, and no input reaches it) is not."""
    from weasyprint import HTML

    monkeypatch.setattr(HTML, "write_pdf", lambda self, *args, **kwargs: b"%PDF-1.7 fuzz")


@pytest.fixture
def admin_client_(db, tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    user = get_user_model().objects.create_superuser("fuzz-admin", "fuzz@example.com", "x")
    client = Client()
    client.force_login(user)
    client.user = user
    return client


class Watch:
    """Posts in a rolled-back savepoint and checks the answer before the rollback."""

    def __init__(self) -> None:
        self.query = snapshot_query()
        self.baseline = snapshot(self.query)

    def post(self, client: Client, url: str, data: dict[str, Any], *, wrote_ok: Any = None) -> Any:
        """Below 500; refused (4xx) or the form shown again (200): no table changed.

        ``wrote_ok(response)`` tells a 200 that is a success (an htmx fragment that
        creates). The count of every table is taken only when the request wrote.
        """
        cookies = copy.deepcopy(client.cookies)
        with rolled_back():
            writes = writes_so_far()
            response = client.post(url, data)
            status = response.status_code
            success = 300 <= status < 400 or (status == 200 and wrote_ok and wrote_ok(response))
            tables = []
            if status < 500 and not success and writes_so_far() != writes:
                tables = changed(self.baseline, snapshot(self.query))
        client.cookies = cookies
        assert status < 500, f"{url} {data}: {status}"
        assert tables == [], f"{url} {data}: answered {status} but changed {tables}"
        return response


def overrides(keys: list[str], *, most: int = 3) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(keys), HOSTILE, min_size=1, max_size=most)


# --- GET: every page, fragment and download without an id ---------------------------------------
GET_ROUTES = get_routes()
GET_PARAMETERS = _get_parameter_names()


def test_the_get_parameters_come_from_the_code():
    """The names the issue named are found by reading the views and their filter forms."""
    for name in ("q", "status", "sort", "page", "customer", "month", "customer_q", "by"):
        assert name in GET_PARAMETERS, name
    names = {route.name for route in GET_ROUTES}
    for name in (
        "orders:list",
        "orders:customer_search",
        "reports:monthly_pdf",
        "reports:dashboard",
    ):
        assert name in names, name


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda route: route.name)
def test_no_get_parameter_makes_a_page_fail(route, admin_client_, fast_pdf):
    url = reverse(route.name)

    @FEW
    @given(params=st.dictionaries(st.sampled_from(GET_PARAMETERS), HOSTILE, max_size=4))
    def check(params: dict[str, str]) -> None:
        with rolled_back():
            response = admin_client_.get(url, params)
        assert response.status_code < 500, (params, response.status_code)

    check()


def test_no_import_preview_parameter_makes_the_preview_fail(admin_client_):
    from orders.models import ImportJob

    job = ImportJob.objects.create(
        file="imports/fuzz.csv", original_name="fuzz.csv", size=1, created_by=admin_client_.user
    )
    url = reverse("orders:import_job", args=[job.pk])

    @FEW
    @given(params=st.dictionaries(st.sampled_from(["page", "show"]), HOSTILE, max_size=2))
    def check(params: dict[str, str]) -> None:
        with rolled_back():
            assert admin_client_.get(url, params).status_code < 500, params

    check()


# --- GET: every page, fragment and download with an id ------------------------------------------
GENERIC_GET = ["page", "next", "format", "month", "show"]


def id_get_routes() -> list[Route]:
    """The pages, fragments and downloads with an object id that answer a GET."""
    routes = []
    for route in _walk(get_resolver().url_patterns):
        if route.route.startswith(("admin/", "accounts/", "api/")):
            continue
        if not any(converter == "int" for converter, _arg in route.args):
            continue
        methods = allowed_methods(route.view)
        if methods is None or "GET" in methods:
            routes.append(route)
    return routes


def get_names_of(route: Route) -> list[str]:
    """The names the view's module reads from ``request.GET`` (and its forms), and the generic ones."""
    source = Path(inspect.getsourcefile(inspect.unwrap(route.view)) or "").read_text()
    return sorted(_names_read_from_get([source]) | set(GENERIC_GET))


ID_GET_ROUTES = id_get_routes()


@pytest.fixture
def get_world(admin_client_, fast_pdf):  # type: ignore[no-untyped-def]
    """tests/test_action_matrix.py's world, plus a shipment and an import job it lacks."""
    from fulfillment.models import Shipment, ShippingMethod, Warehouse
    from orders.models import ImportJob

    world = build_world()
    shipped = next(t for t in world.targets["order"] if t.obj.status == "shipped")
    shipment = Shipment.objects.create(
        order=shipped.obj,
        warehouse=Warehouse.objects.get(pk=world.body["warehouse"]),
        carrier="x",
        method=ShippingMethod.EXPRESS,
        tracking_number="x",
        eta=timezone.localdate(),
        shipped_by=admin_client_.user,
    )
    world.targets["shipment"].append(Target("shipment", {"pk": shipment.pk}))
    job = ImportJob.objects.create(
        file="imports/fuzz.csv", original_name="fuzz.csv", size=1, created_by=admin_client_.user
    )
    world.targets["import_job"].append(Target("import_job", {"pk": job.pk}))
    cases = {}
    for route in ID_GET_ROUTES:
        kind = kind_of(route.name)
        targets = world.targets.get(kind, []) if kind else []
        if targets:  # (no object of its kind: a 404 whatever the parameters)
            cases[route] = targets
    return admin_client_, cases


def test_the_get_fuzzing_with_an_id_reaches_every_page(get_world):
    _client, cases = get_world
    names = {route.name for route in cases}
    for name in (
        "orders:detail",
        "orders:confirmation_pdf",
        "orders:quotation_pdf",
        "fulfillment:order",
        "fulfillment:delivery_note_pdf",
        "aftersales:order",
        "aftersales:ticket",
        "aftersales:replacement_detail",
        "customers:detail",
        "contracts:detail",
        "archive:document_open",
        "orders:import_job",
    ):
        assert name in names, name
    assert "download" in get_names_of(next(r for r in cases if r.name == "archive:document_open"))


def test_no_get_parameter_makes_a_page_with_an_id_fail(get_world):
    """Each page with an id, on every object of its kind (the order in every state …),
    with generated GET values."""
    client, cases = get_world
    for route, targets in cases.items():
        names = get_names_of(route)
        for target in targets:
            url = fill(route, target, {})

            @settings(FEW, max_examples=2)
            @given(params=st.dictionaries(st.sampled_from(names), HOSTILE, min_size=1, max_size=3))
            def check(params: dict[str, str]) -> None:
                with rolled_back():
                    response = client.get(url, params)  # noqa: B023 (run before the loop moves on)
                assert response.status_code < 500, (url, params, response.status_code)  # noqa: B023

            check()


@pytest.mark.parametrize(
    "month", ["9999-12", "0001-01", "2026-13", "junk", "\x00", "1999-12", "2100-01"]
)
@pytest.mark.parametrize("name", ["reports:monthly_pdf", "reports:monthly_xlsx"])
def test_a_report_download_for_a_month_out_of_range_is_a_400_with_the_reason(
    admin_client_, name, month
):
    response = admin_client_.get(reverse(name), {"month": month})
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "junk"])
def test_the_report_page_for_a_month_out_of_range_shows_this_month_and_says_why(
    admin_client_, month
):
    response = admin_client_.get(reverse("reports:monthly"), {"month": month})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'value="{timezone.localdate():%Y-%m}"' in page
    assert "YYYY-MM" in page


# --- order entry: the form and its live totals ----------------------------------------------------
LINE_NUMBER_FIELDS = ["lines-0-quantity", "lines-0-unit_price", "lines-0-discount_percent"]


@pytest.fixture
def entry(admin_client_):  # type: ignore[no-untyped-def]
    from tests.factories import CustomerFactory, ProductFactory

    product = ProductFactory(code="FZ-1", list_price=Decimal("5000"))
    return admin_client_, order_data(CustomerFactory(), product)


@pytest.mark.parametrize(
    "value", ["1e30", "9" * 40, "NaN", "Infinity", "-Infinity", "-0", "sNaN", "1E+999999999"]
)
def test_the_live_total_shows_a_field_error_for_a_number_the_form_refuses(entry, value):
    client, _data = entry
    response = client.post(
        reverse("orders:totals"),
        {"lines-TOTAL_FORMS": "1", "lines-0-quantity": value, "lines-0-unit_price": "5"},
    )
    assert response.status_code == 200
    assert 'data-field-error="amount"' in response.content.decode()


def test_the_live_total_refuses_a_line_whose_amount_does_not_fit_the_database(entry):
    client, _data = entry
    numbers = {"lines-0-quantity": "9999999999.99", "lines-0-unit_price": "999999999999.99"}
    response = client.post(reverse("orders:totals"), {"lines-TOTAL_FORMS": "1", **numbers})
    assert 'data-field-error="amount"' in response.content.decode()
    # … and the entry form refuses it with the same reason instead of failing on save.
    watch = Watch()
    data = {**entry[1], **numbers, "action": "draft"}
    saved = watch.post(client, reverse("orders:create"), data)
    assert saved.status_code == 200
    assert "99,999,999,999,999.99" in saved.content.decode()  # the limit, in the reason


def test_the_live_total_still_adds_up_good_lines(entry):
    client, _data = entry
    response = client.post(
        reverse("orders:totals"),
        {
            "lines-TOTAL_FORMS": "2",
            **{
                "lines-0-quantity": "3",
                "lines-0-unit_price": "10.01",
                "lines-0-discount_percent": "",
            },
            **{
                "lines-1-quantity": "2",
                "lines-1-unit_price": "0.5",
                "lines-1-discount_percent": "50",
            },
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "data-field-error" not in page
    assert "30.53" in page  # 3 × 10.01 plus 2 × 0.5 × 50 %


@FEW
@given(
    numbers=st.dictionaries(
        st.sampled_from(
            [
                f"lines-{i}-{name}"
                for i in (0, 1)
                for name in ("quantity", "unit_price", "discount_percent", "DELETE")
            ]
            + ["lines-TOTAL_FORMS"]
        ),
        HOSTILE,
        max_size=6,
    )
)
def test_the_live_total_never_fails(entry, numbers):
    client, _data = entry
    response = client.post(reverse("orders:totals"), {"lines-TOTAL_FORMS": "2", **numbers})
    assert response.status_code == 200, numbers


ORDER_FIELDS = [
    "kind",
    "customer",
    "contact_name",
    "contact_phone",
    "order_date",
    "requested_delivery_date",
    "payment_terms",
    "payment_note",
    "delivery_address",
    "delivery_postcode",
    "special_requirements",
    "source_channel",
    "urgency",
    "owner",
    "lines-TOTAL_FORMS",
    "lines-INITIAL_FORMS",
    "lines-0-product",
    "lines-0-spec",
    "lines-0-unit",
    *LINE_NUMBER_FIELDS,
    "action",
]


@settings(FEW, max_examples=25)
@given(changes=overrides(ORDER_FIELDS), submit=st.booleans())
def test_the_order_entry_form_never_fails_and_a_refusal_writes_nothing(entry, changes, submit):
    client, data = entry
    watch = Watch()
    body = {**data, "action": "submit" if submit else "draft", **changes}
    watch.post(client, reverse("orders:create"), body)


@settings(FEW, max_examples=20)
@given(changes=overrides(LINE_NUMBER_FIELDS))
def test_the_order_line_numbers_never_fail_the_entry_form(entry, changes):
    client, data = entry
    watch = Watch()
    watch.post(client, reverse("orders:create"), {**data, "action": "draft", **changes})


# --- the customer, product and quick-customer forms ---------------------------------------------------
@settings(FEW, max_examples=20)
@given(changes=overrides(list(customer_data())))
def test_the_customer_form_never_fails_and_a_refusal_writes_nothing(admin_client_, changes):
    watch = Watch()
    watch.post(admin_client_, reverse("customers:create"), customer_data(**changes))


@settings(FEW, max_examples=20)
@given(changes=overrides(list(product_data())))
def test_the_product_form_never_fails_and_a_refusal_writes_nothing(admin_client_, changes):
    watch = Watch()
    watch.post(admin_client_, reverse("catalog:create"), product_data(**changes))


QUICK = {
    "quick-name": "快速客户",
    "quick-region": "north",
    "quick-industry": "it",
    "quick-contact_name": "李先生",
    "quick-mobile": "13800138000",
}


@FEW
@given(changes=overrides(list(QUICK)))
def test_the_quick_customer_form_never_fails_and_a_refusal_writes_nothing(admin_client_, changes):
    watch = Watch()
    # Its errors come back as a 200 that retargets the quick form; a 200 without is a success.
    watch.post(
        admin_client_,
        reverse("orders:customer_quick_create"),
        {**QUICK, **changes},
        wrote_ok=lambda response: "HX-Retarget" not in response,
    )


# --- every POST with an id: order steps, fulfillment, after-sales, quotations, contracts, archive ----
@settings(FEW, max_examples=150)
@given(data=st.data())
def test_no_posted_value_makes_a_step_fail_and_a_refusal_writes_nothing(world_and_watch, data):
    world, superuser, watch, cases = world_and_watch
    route, target, slugs = data.draw(st.sampled_from(cases), label="where")
    body = {**BODY, **world.body, **(target.body if target else {})}
    changes = data.draw(overrides(sorted(body), most=3), label="changes")
    url = fill(route, target, slugs)
    watch.post(superuser, url, {**body, **changes})


@pytest.fixture
def world_and_watch(admin_client_, fast_pdf):  # type: ignore[no-untyped-def]
    from itertools import product

    world = build_world()
    cases = []
    for route in post_routes():
        kind = kind_of(route.name)
        targets = [t for t in world.targets.get(kind, []) if not t.archived] if kind else []
        slug_args = [arg for converter, arg in route.args if converter == "slug"]
        for values in product(*(slug_values(route, arg) for arg in slug_args)):
            slugs = dict(zip(slug_args, values, strict=True))
            for target in targets or [None]:
                cases.append((route, target, slugs))
    return world, admin_client_, Watch(), cases


def test_the_post_fuzzing_reaches_every_app(world_and_watch):
    _world, _client, _watch, cases = world_and_watch
    apps = {route.name.split(":")[0] for route, _target, _slugs in cases}
    assert {"orders", "fulfillment", "aftersales", "contracts", "archive", "customers"} <= apps


# --- the quotation form (its lines are priced lines too) ----------------------------------------------
@pytest.fixture
def quotation_form(admin_client_):  # type: ignore[no-untyped-def]
    from tests.factories import ProductFactory, make_quotation

    quotation = make_quotation(owner=admin_client_.user)
    data = {
        "customer": quotation.customer_id,
        "contact_name": "李先生",
        "valid_until": str(timezone.localdate() + timedelta(days=30)),
        "payment_terms": "other",
        "delivery_terms": "x",
        "terms": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": ProductFactory(code="FZ-Q").pk,
        "lines-0-quantity": "1",
        "lines-0-unit_price": "5",
        "lines-0-discount_percent": "0",
    }
    return admin_client_, reverse("orders:quotation_edit", args=[quotation.pk]), data


@settings(FEW, max_examples=20)
@given(changes=st.one_of(overrides(LINE_NUMBER_FIELDS), overrides(["valid_until", "customer"])))
def test_the_quotation_form_never_fails_and_a_refusal_writes_nothing(quotation_form, changes):
    client, url, data = quotation_form
    Watch().post(client, url, {**data, **changes})
