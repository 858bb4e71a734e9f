"""In a real browser: the API's documentation (Swagger UI at /api/docs/, where /api/redoc/ leads
too) loads nothing from outside the site, and Swagger UI's filters start empty."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

# The browser fixture, and the marks: a live server's database, skipped without Chromium.
from tests.test_browser import browser, pytestmark  # noqa: F401


@pytest.fixture
def watched(browser, live_server):  # noqa: F811  (the fixture imported above)
    """A page, and every http(s) request it, its frames and its workers make to a host other
    than the live server's (fonts, logos, a validator badge, a CDN): the test fails on any."""
    context = browser.new_context()
    outside: list[str] = []
    here = urlsplit(live_server.url).netloc

    def note(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != here:
            outside.append(request.url)

    context.on("request", note)
    page = context.new_page()
    yield page, outside
    context.close()


def test_swagger_ui_loads_only_from_the_site_and_leaves_the_filters_empty(watched, live_server):
    page, outside = watched
    page.goto(f"{live_server.url}/api/docs/")
    claims = page.locator('.opblock-get:has(.opblock-summary-path[data-path="/api/v1/claims/"])')
    claims.locator(".opblock-summary").click()
    claims.locator(".try-out__btn").click()

    filters = claims.locator(".parameters input[type=text]")
    filters.first.wait_for()
    assert filters.count() >= 10  # every claims filter: subject, attribute, dates, q, ...
    assert [filters.nth(n).input_value() for n in range(filters.count())] == [""] * filters.count()
    page.wait_for_load_state("networkidle")
    assert outside == []


def test_the_redoc_address_leads_to_swagger_ui_and_nothing_outside(watched, live_server):
    # Redoc shows its maker's logo from cdn.redoc.ly whatever its options: it is not served.
    page, outside = watched
    page.goto(f"{live_server.url}/api/redoc/")

    page.locator(".opblock-summary-path").first.wait_for()
    assert page.url == f"{live_server.url}/api/docs/"
    page.wait_for_load_state("networkidle")
    assert outside == []
