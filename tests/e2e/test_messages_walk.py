"""The reader's language, in the browser: the warehouse keeper and the sales assistant
switch the portal to English with the header's language buttons and read what the system
wrote while everybody worked in Chinese — the notifications, the order's timeline — in
English; switched back, in Chinese (docs/decisions/0011-language-neutral-messages.md)."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from core.models import UserPreference
from tests.factories import PASSWORD
from tests.test_messages_per_reader import CJK, cjk_outside, people, world  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _switch(page, language: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(f"button[name=language][value='{language}']")


def test_notifications_and_timeline_follow_the_readers_language(
    page,
    live_server,
    login,
    screenshot,
    people,  # noqa: F811
    world,  # noqa: F811
):
    order, data = world["order"], world["data"]

    login("keeper_sun", PASSWORD)
    page.goto(f"{live_server.url}/notifications/")
    _switch(page, "en")
    assert UserPreference.objects.get(user=people["keeper"]).language == "en"
    main = page.locator("main")
    expect(main).to_contain_text("Purchase alert: 服务器A型 S-001 in 北京仓")
    expect(main).to_contain_text("Available 2 is below the safety stock of 5.")
    assert not cjk_outside(main.inner_text(), data), cjk_outside(main.inner_text(), data)
    screenshot("messages-keeper-notifications-en")
    # The purchase alert opens the stock list at its row.
    with page.expect_navigation():
        page.locator("[data-notification]", has_text="Purchase alert").get_by_role(
            "button", name="Open"
        ).click()
    assert "/fulfillment/stock/" in page.url and "q=S-001" in page.url

    page.context.clear_cookies()
    login("assistant_li", PASSWORD)
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    _switch(page, "en")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Allocated to 北京仓")
    expect(timeline).to_contain_text("QC: Passed")
    assert not cjk_outside(timeline.inner_text(), data), cjk_outside(timeline.inner_text(), data)
    timeline.scroll_into_view_if_needed()
    screenshot("messages-order-timeline-en")

    _switch(page, "zh-hans")
    with translation.override("zh-hans"):
        passed = translation.gettext("QC: %(result)s") % {"result": translation.gettext("Passed")}
    expect(timeline).to_contain_text(passed)
    assert "Allocated to" not in timeline.inner_text()
    screenshot("messages-order-timeline-zh")
    page.goto(f"{live_server.url}/notifications/")
    assert CJK.search(page.locator("main").inner_text().replace(order.number, ""))
    screenshot("messages-assistant-notifications-zh")
