"""In a real browser (Debian's headless Chromium driven by Playwright): an editor resolves the
Callao contradiction; an analyst and a reader cannot."""

from __future__ import annotations

import os
import shutil

import pytest

from claims.bundles import bundle_import
from claims.models import Contradiction

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    # serialized_rollback keeps the roles the migrations made across the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests",
    ),
]


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed"
    )
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def people(django_user_model, demo_bundle):
    from django.contrib.auth.models import Group

    bundle_import(bundle=demo_bundle)
    for name, group in (("eddie", "Editor"), ("ana", "Analyst")):
        user = django_user_model.objects.create_user(name, password="a long test password")
        user.groups.add(Group.objects.get(name=group))


def sign_in(page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", "a long test password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/contradictions/")


def open_callao(page, live_server) -> None:
    page.goto(f"{live_server.url}/contradictions/?attribute=fms_case_value")
    page.get_by_role("link", name="Callao naval port Foreign Military Sales case").click()
    page.wait_for_selector(".positions")


def test_an_editor_resolves_the_callao_contradiction_side_by_side(browser, live_server, people):
    page = browser.new_page()
    sign_in(page, live_server, "eddie")
    open_callao(page, live_server)

    columns = page.locator(".position")
    assert columns.count() == 2
    assert "$180 million" in columns.nth(0).inner_text()
    assert "foreign military sales case" in columns.nth(0).locator(".quote").inner_text()
    assert "$1.5 billion" in columns.nth(1).inner_text()
    assert "$1.5 billion Foreign Military Sale" in columns.nth(1).locator(".quote").inner_text()

    page.select_option("#id_outcome", "one_is_wrong")
    page.select_option("#id_position", "0")
    page.fill(
        "#id_note", "The White House fact sheet names the case; the $1.5B is the total effort."
    )
    page.click("text=Record the decision")

    page.wait_for_selector("#decision")
    assert "The decision is recorded." in page.inner_text(".messages")
    assert "Resolved" in page.inner_text("#status")
    history = page.inner_text("#history")
    assert "resolved: one_is_wrong" in history and "eddie" in history
    assert "the $1.5B is the total effort" in page.inner_text("#decision")
    assert Contradiction.objects.get(attribute__code="fms_case_value").status == "resolved"


def test_an_analyst_trying_to_resolve_is_refused(browser, live_server, people):
    page = browser.new_page()
    sign_in(page, live_server, "ana")
    open_callao(page, live_server)

    assert page.locator("#resolve").count() == 0
    # Posting the decision anyway, with the page's CSRF token, is refused.
    status = page.evaluate(
        """async () => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
            const body = new URLSearchParams({outcome: 'one_is_wrong', position: '0', note: 'x', version: '1'});
            const response = await fetch(location.pathname, {method: 'POST', body,
                headers: {'X-CSRFToken': token}});
            return response.status;
        }"""
    )
    assert status == 403
    assert Contradiction.objects.get(attribute__code="fms_case_value").status == "open"


def test_a_reader_sees_the_contradiction_but_no_resolve_button(browser, live_server, people):
    page = browser.new_page()
    open_callao(page, live_server)

    assert page.locator(".position").count() == 2
    assert page.locator("text=Record the decision").count() == 0
    assert "sign in" in page.inner_text("main").lower()
