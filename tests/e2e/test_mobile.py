"""On site, on a phone (375×812, touch): every role's main pages fit the screen, and the two
things people do away from a desk work there — the account manager records the acceptance
at the customer's (with a photo of the issue) and the warehouse records progress on the floor.

Each page is also screenshot at 375 px into test-artifacts/mobile-*.png to be looked at.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from core.roles import ALL_ROLES
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 375
PHONE = {
    "viewport": {"width": WIDTH, "height": 812},
    "screen": {"width": WIDTH, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
TOUCH = 44  # px: the smallest touch target (WCAG 2.5.5, Apple HIG)

# What sticks out of the screen: visible elements whose right edge passes the viewport and
# that are not inside a box scrolling (or clipping) sideways on its own. documentElement's
# scrollWidth is the acceptance criterion; this list says which element is to blame.
OVERFLOW_JS = """
(width) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || r.right <= width + 1) continue;
    let clipped = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o !== 'visible') { clipped = true; break; }
    }
    if (clipped) continue;
    if (getComputedStyle(el).position === 'fixed' && r.left >= width) continue;  // off-canvas
    const cls = (typeof el.className === 'string' ? el.className : '').split(' ').slice(0, 3).join('.');
    out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls ? '.' + cls : ''} right=${Math.round(r.right)}`);
  }
  return out.slice(0, 8);
}
"""


@pytest.fixture
def phone(browser, live_server):  # type: ignore[no-untyped-def]
    """A page in a phone-sized touch context (one browser for the whole session)."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Any, live_server: Any, user: Any) -> None:
    """Log ``user`` in by handing the browser a session cookie (the login form is walked once)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def shot(page: Any, name: str, *, sharp: bool = False) -> None:
    """A full-page screenshot; one pixel per CSS pixel unless ``sharp`` (4× cheaper)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"mobile-{name}.png"),
        full_page=True,
        scale="device" if sharp else "css",
    )


def fits(page: Any) -> tuple[int, list[str]]:
    width = page.evaluate("document.documentElement.scrollWidth")
    return width, page.evaluate(OVERFLOW_JS, WIDTH)


def assert_fits(page: Any, what: str) -> None:
    width, offenders = fits(page)
    assert width <= WIDTH, f"{what}: the page is {width}px wide at {WIDTH}px: {offenders}"
    assert not offenders, f"{what}: sticks out of the screen: {offenders}"


def too_small(page: Any, selector: str) -> list[str]:
    """Visible controls matched by ``selector`` lower than a finger (44 px)."""
    return page.eval_on_selector_all(
        selector,
        """(els, min) => els.filter(e => e.offsetParent !== null && e.type !== 'hidden'
                && e.type !== 'checkbox' && e.type !== 'radio')
            .map(e => [e.name || e.textContent.trim().slice(0, 20), e.getBoundingClientRect().height])
            .filter(([, h]) => h < min).map(([n, h]) => `${n}: ${Math.round(h)}px`)""",
        TOUCH,
    )


def header_problems(page: Any) -> list[str]:
    """The header of every page: language buttons on one line, the user menu on the screen."""
    problems = []
    for button in page.locator(".portal-topbar [name=language]").all():
        box = button.bounding_box()
        if not box or box["height"] > 48 or box["x"] < 0 or box["x"] + box["width"] > WIDTH:
            problems.append(f"language button wraps or sticks out: {box}")
    box = page.get_by_test_id("user-menu").bounding_box()
    if not box or box["x"] < 0 or box["x"] + box["width"] > WIDTH:
        problems.append(f"user menu cut off: {box}")
    problems += [f"header button too small: {b}" for b in too_small(page, ".portal-topbar .btn")]
    return problems


# --- every role's main pages ---------------------------------------------------------------


def role_pages(world: Any, site: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """(name, path) of the pages each role works with on top of its navigation."""
    order = {t.label: t.ids["pk"] for t in world.targets["order"]}
    ticket = next(t.ids["pk"] for t in world.targets["ticket"] if t.label.endswith("[open]"))
    confirmed, delivered = order["order[confirmed]"], order["order[delivered]"]
    pages: dict[str, list[tuple[str, str]]] = {role: [] for role in ALL_ROLES}
    for role in ALL_ROLES:
        pages[role].append(("order", f"/orders/{confirmed}/"))
    pages["account_manager"] += [
        ("acceptance", f"/aftersales/orders/{delivered}/"),
        ("visit", f"/aftersales/orders/{order['order[accepted]']}/"),
        ("ticket", f"/aftersales/tickets/{ticket}/"),
        ("fulfillment-order", f"/fulfillment/orders/{site['shipped']}/"),
    ]
    pages["aftersales"] += [("ticket", f"/aftersales/tickets/{ticket}/")]
    pages["warehouse"] += [
        ("fulfillment-confirm", f"/fulfillment/orders/{site['confirmed']}/"),
        ("fulfillment-progress-qc", f"/fulfillment/orders/{site['preparing']}/"),
        ("stock", "/fulfillment/stock/"),
    ]
    pages["logistics"] += [("shipment", f"/fulfillment/orders/{site['ready']}/")]
    pages["sales_assistant"] += [("order-new", "/orders/new/")]
    return pages


def build_site_orders(
    users: dict[str, Any], steps: tuple[str, ...] = ("confirmed", "preparing", "ready", "shipped")
) -> dict[str, Any]:
    """Orders taken through fulfillment by its services: confirmed (stock to confirm),
    preparing (progress and QC), ready to ship (the shipment form) and shipped."""
    from customer_portal.models import CustomerPortalSettings
    from fulfillment import services
    from fulfillment.models import ProgressEntry
    from orders.services.orders import order_recalculate_total
    from tests.factories import OrderFactory, OrderLineFactory, ProductFactory

    # Production starts on the internal approval here (the customer's confirmation is
    # another walk's subject).
    CustomerPortalSettings.current()
    CustomerPortalSettings.objects.update(confirmation_required=False)
    keeper, shipper = users["warehouse"], users["logistics"]
    from fulfillment.models import AllocationRule, StockLevel, Warehouse

    warehouse = Warehouse.objects.first()
    if warehouse is None:
        warehouse = Warehouse.objects.create(
            code="BJ", name="北京仓", city="北京", manager=users["warehouse"]
        )
        AllocationRule.objects.create(region="", warehouse=warehouse, priority=10)
    product = ProductFactory(name="服务器A型（机架式，双电源）", list_price=Decimal("5000"))
    StockLevel.objects.create(warehouse=warehouse, product=product, on_hand=Decimal("100"))
    site: dict[str, Any] = {}
    for step in steps:
        order = OrderFactory(
            owner=users["sales_assistant"],
            status="confirmed",
            customer__name="新客户科技有限公司",
            customer__account_manager=users["account_manager"],
        )
        OrderLineFactory(order=order, product=product, quantity=Decimal("10"))
        order_recalculate_total(order=order)
        services.fulfillment_allocate(order=order)
        site[step] = order.pk
        if step == "confirmed":
            continue
        order.refresh_from_db()
        line = order.lines.get()
        services.fulfillment_confirm_stock(
            actor=keeper,
            order=order,
            line_statuses={line.pk: "in_stock"},
            deliverable_date=timezone.localdate() + timedelta(days=7),
            note="",
        )
        today = timezone.localdate()
        services.progress_entry_add(
            actor=keeper,
            order=order,
            entry=ProgressEntry(
                stage="production",
                owner=keeper,
                planned_start=today,
                planned_end=today + timedelta(days=3),
                note="机柜组装完成，等待通电测试",
                problem="电源模块缺货两个",
                solution="从上海仓调拨",
                next_step="质检",
            ),
        )
        if step == "preparing":
            continue
        services.preparation_save(
            actor=keeper,
            order=order,
            form_data={
                "packing": "木箱",
                "package_count": 2,
                "qc_result": "passed",
                "qc_report": "合格",
            },
        )
        services.fulfillment_mark_ready(actor=keeper, order=order)
        if step == "ready":
            continue
        services.shipment_create(
            actor=shipper,
            order=order,
            carrier="顺丰速运",
            method="ftl",
            tracking_number="SF1234567890",
            eta=today + timedelta(days=2),
            note="",
            quantities={line.pk: Decimal("10")},
        )
    return site


def test_every_roles_main_pages_fit_a_phone(phone, live_server):
    from tests.test_action_matrix import build_world

    world = build_world()
    site = build_site_orders(world.users)
    extra = role_pages(world, site)
    page = phone
    problems: list[str] = []

    # The login page, walked once with the form.
    page.goto(f"{live_server.url}/accounts/login/")
    shot(page, "login")
    width, offenders = fits(page)
    if width > WIDTH or offenders:
        problems.append(f"login: {width}px {offenders}")

    # Each role: its home, its work list and the pages of its own work; the list pages of
    # the navigation once, for the first role that has them (their layout is the same for
    # every role). The header is checked on every role's home (its user menu and links).
    shared: set[str] = set()
    for n, role in enumerate(ALL_ROLES):
        sign_in(page, live_server, world.users[role])
        page.goto(f"{live_server.url}/")
        problems += [f"{role} header: {p}" for p in header_problems(page)]
        nav = page.eval_on_selector_all(
            "#portal-nav a.nav-link", "els => els.map(e => e.getAttribute('href'))"
        )
        visits = [("home", "/"), ("my-work", "/my-work/"), *extra[role]]
        for href in [*nav, "/notifications/"]:
            if href not in shared and href != "/" and not href.startswith("/admin/"):
                shared.add(href)
                visits.append((href.strip("/").replace("/", "-"), href))
        for name, path in visits:
            if name != "home":
                response = page.goto(f"{live_server.url}{path}")
                assert response is not None and response.status < 500, f"{role} {path}"
            shot(page, f"{role}-{name}")
            width, offenders = fits(page)
            if width > WIDTH or offenders:
                problems.append(f"{role} {path}: {width}px {offenders}")
        if n == 0:
            # The collapsed navigation opens over the page with the role's links.
            page.get_by_role("button", name="菜单").click()
            expect(page.locator("#portal-nav")).to_be_in_viewport()
            expect(page.locator("#portal-nav a.nav-link").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "mobile-menu-open.png"))
            # Bootstrap listens for Escape once the slide-in has finished (focus is inside).
            page.wait_for_function(
                "() => !document.querySelector('#portal-nav').classList.contains('showing')"
            )
            page.keyboard.press("Escape")
            expect(page.locator("#portal-nav")).not_to_be_in_viewport()
            # The user menu opens inside the screen.
            page.get_by_test_id("user-menu").tap()
            menu = page.locator(".portal-topbar .dropdown-menu.show")
            expect(menu).to_be_visible()
            box = menu.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
            page.screenshot(path=str(ARTIFACTS / "mobile-user-menu-open.png"))
    assert not problems, "pages wider than the phone:\n" + "\n".join(problems)


# --- the walks on the phone -----------------------------------------------------------------


def site_people() -> dict[str, Any]:
    from tests.factories import UserFactory

    return {
        "sales_assistant": UserFactory(
            username="li", last_name="王", first_name="丽", roles=["sales_assistant"]
        ),
        "account_manager": UserFactory(
            username="am", last_name="孙", first_name="客", roles=["account_manager"]
        ),
        "warehouse": UserFactory(
            username="wh", last_name="赵", first_name="仓", roles=["warehouse"]
        ),
        "logistics": UserFactory(
            username="wl", last_name="钱", first_name="运", roles=["logistics"]
        ),
        "aftersales": UserFactory(
            username="as", last_name="吴", first_name="涛", roles=["aftersales"]
        ),
    }


def test_account_manager_records_acceptance_with_a_photo_on_the_phone(phone, live_server, tmp_path):
    from aftersales.models import AcceptanceIssue, AftersalesTicket
    from aftersales.tests.conftest import MINIMAL_PDF, carton_jpeg
    from tests.factories import PASSWORD, OrderFactory, OrderLineFactory, ProductFactory

    people = site_people()
    order = OrderFactory(
        status="delivered",
        owner=people["sales_assistant"],
        contact_name="李先生",
        customer__name="新客户科技有限公司",
        customer__account_manager=people["account_manager"],
    )
    product = ProductFactory(name="服务器A型（机架式，双电源）", list_price=Decimal("5000"))
    line = OrderLineFactory(order=order, product=product, quantity=Decimal("10.00"))
    photo = tmp_path / "破损外箱.jpg"
    photo.write_bytes(carton_jpeg())
    receipt = tmp_path / "签收单.pdf"
    receipt.write_bytes(MINIMAL_PDF)
    page = phone

    # The login page works on the phone as well.
    page.goto(f"{live_server.url}/accounts/login/")
    assert_fits(page, "login")
    page.fill("#id_username", "am")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert_fits(page, "home")
    assert not header_problems(page)

    # The way to the acceptance goes through the menu, as on the phone.
    page.get_by_role("button", name="菜单").click()
    nav = page.locator("#portal-nav")
    expect(nav).to_be_visible()
    nav.locator("a[href='/aftersales/account/']").click()
    assert_fits(page, "acceptance work page")
    page.locator(f"[data-testid=to-accept-row][data-order='{order.number}']").get_by_role(
        "link"
    ).click()
    form = page.get_by_test_id("acceptance-form")
    expect(form).to_be_visible()
    assert_fits(page, "acceptance form")
    # Ten delivered, ten pre-filled: not "1E+1".
    expect(form.locator(f"#id_qty_{line.pk}")).to_have_value("10")
    photos = form.locator(f"#id_photos_{line.pk}")
    expect(photos).to_have_attribute("capture", "environment")
    expect(photos).to_have_attribute("accept", "image/*")
    # One column, and every control big enough for a finger.
    lefts = form.locator(".form-control, .form-select").evaluate_all(
        "els => els.filter(e => e.offsetParent).map(e => Math.round(e.getBoundingClientRect().width))"
    )
    assert min(lefts) > WIDTH * 0.7, f"the fields are not one column: widths {lefts}"
    assert not too_small(page, "[data-testid=acceptance-form] :is(input, select, textarea, button)")
    shot(page, "walk-acceptance-form", sharp=True)

    form.locator("#id_signer").fill("李先生")
    form.locator("#id_receipt").set_input_files(str(receipt))
    form.locator(f"#id_result_{line.pk}").select_option("exceptions")
    form.locator(f"#id_qty_{line.pk}").fill("9")
    form.locator(f"#id_issue_type_{line.pk}").select_option("damaged_packaging")
    form.locator(f"#id_issue_{line.pk}").fill("一个外箱破损")
    photos.set_input_files(str(photo))
    page.get_by_test_id("acceptance-submit").tap()
    expect(page.get_by_test_id("order-status")).to_have_text("已签收")
    expect(page.get_by_test_id("issue-row")).to_have_count(1)
    expect(page.get_by_test_id("issue-thumbnail")).to_be_visible()
    assert_fits(page, "acceptance recorded")
    shot(page, "walk-acceptance-recorded", sharp=True)
    issue = AcceptanceIssue.objects.get(line__acceptance__order=order)
    assert issue.photos.count() == 1
    assert issue.line.quantity == Decimal("9")
    ticket = AftersalesTicket.objects.get(order=order)

    # The ticket the issue opened reads on the phone too.
    page.get_by_role("link", name=ticket.number).first.click()
    expect(page).to_have_url(re.compile(rf"/aftersales/tickets/{ticket.pk}/$"))
    assert_fits(page, "ticket")
    shot(page, "walk-acceptance-ticket", sharp=True)

    # In English (longer words) the header and the page still fit.
    page.locator(".portal-topbar button[name=language][value=en]").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_fits(page, "ticket in English")
    assert not header_problems(page)
    page.goto(f"{live_server.url}/aftersales/orders/{order.pk}/")
    assert_fits(page, "acceptance in English")
    shot(page, "walk-acceptance-english", sharp=True)


def test_warehouse_records_progress_on_the_phone(phone, live_server):
    from fulfillment.models import ProgressEntry

    people = site_people()
    site = build_site_orders(people, steps=("preparing",))
    page = phone
    sign_in(page, live_server, people["warehouse"])
    page.goto(f"{live_server.url}/fulfillment/warehouse/")
    assert_fits(page, "warehouse work")
    shot(page, "walk-progress-warehouse", sharp=True)
    row = page.get_by_test_id("preparing-row").first
    # The list is a card per order on the phone: the order's cells are stacked.
    box = row.bounding_box()
    assert box and box["width"] <= WIDTH
    row.get_by_role("link").tap()
    form = page.get_by_test_id("progress-form")
    expect(form).to_be_visible()
    assert_fits(page, "fulfillment order")
    assert not too_small(page, "[data-testid=progress-form] :is(input, select, textarea, button)")
    # The entry already recorded reads as a card with its labels.
    expect(
        page.get_by_test_id("progress-row").first.locator("td[data-label]").first
    ).to_be_visible()

    today = timezone.localdate()
    form.locator("#id_stage").select_option("qc")
    form.locator("#id_owner").select_option(str(people["warehouse"].pk))
    form.locator("#id_planned_start").fill(today.isoformat())
    form.locator("#id_planned_end").fill((today + timedelta(days=2)).isoformat())
    form.locator("#id_actual_start").fill(today.isoformat())
    form.locator("#id_note").fill("通电测试进行中")
    form.locator("#id_next_step").fill("包装")
    shot(page, "walk-progress-form", sharp=True)
    form.get_by_role("button").tap()
    expect(page.get_by_test_id("progress-row")).to_have_count(2)
    expect(page.get_by_test_id("progress-row").last).to_contain_text("通电测试进行中")
    assert_fits(page, "progress recorded")
    shot(page, "walk-progress-recorded", sharp=True)
    assert ProgressEntry.objects.filter(order_id=site["preparing"], note="通电测试进行中").exists()
