"""/api/v1/docs renders Swagger UI from the portal's own files under the content security
policy: every operation is listed and nothing is blocked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_the_docs_page_lists_the_operations_with_nothing_blocked(page, live_server):
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )

    response = page.goto(f"{live_server.url}/api/v1/docs")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .title")).to_contain_text("Order Portal API", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs-top.png"), full_page=False)
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/orders/{order_id}/approve")
    ).to_be_visible(timeout=30_000)
    page.locator(
        ".opblock-summary-path", has_text="/api/v1/orders/{order_id}/approve"
    ).first.click()
    expect(page.locator(".opblock-body").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
    assert problems == []
    assert outside == []
