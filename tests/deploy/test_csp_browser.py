"""In Debian's headless Chromium, under gunicorn with DEBUG off: the admin (a staff analyst adds
a claim, picking its subject with select2), the site's pages and Swagger UI at /api/docs/ work
under the Content-Security-Policy, with no violation reported and no file missing."""

from __future__ import annotations

import pytest
import requests

from tests import test_browser
from tests.deploy.server import database_url, manage, production_environment, serving

PASSWORD = "a long test password"
# Chromium fires this event for every blocked resource and inline code; the page reports it on
# the console, where the test collects it across navigations.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    console.error("securitypolicyviolation: " + event.violatedDirective + " " + event.blockedURI);
});
"""

# As the other browser tests: transactional (the server writes to the test database on
# PostgreSQL; the roles come back after the flush), and skipped, saying why, without Chromium.
pytestmark = test_browser.pytestmark


@pytest.fixture
def site(tmp_path, static_root):
    """The production server with the demo loaded and ana, an analyst (staff, no superuser)."""
    environment = production_environment(database_url(tmp_path), STATIC_ROOT=str(static_root))
    with serving(environment, tmp_path / "server.log") as url:
        manage(environment, "import_bundle", "kb/demo/peru.json")
        manage(environment, "grant_role", "ana", "analyst", "--create", "--password-from-env",
               KB_PASSWORD=PASSWORD)  # fmt: skip
        yield url


@pytest.fixture
def page(browser):
    """A page that records CSP violations and failed requests as `page.problems`."""
    page = browser.new_page()
    problems = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            ("Content Security Policy" in message.text or "securitypolicyviolation" in message.text)
            and problems.append(f"{page.url}: {message.text}")
        ),
    )
    page.on(
        "response",
        lambda response: response.status == 404 and problems.append(f"404 {response.url}"),
    )
    page.problems = problems
    return page


def _first_id(site: str, path: str) -> int:
    return requests.get(site + path, timeout=30).json()["results"][0]["id"]


def test_the_admin_the_pages_and_the_api_docs_run_under_the_policy(site, page):
    response = page.goto(f"{site}/admin/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "ana")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")

    # The claim add page: the subject is picked with select2, which asks the admin's
    # autocomplete view as the analyst types.
    page.goto(f"{site}/admin/claims/claim/add/")
    page.locator("#id_subject + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("Callao")
    page.locator(".select2-results__option", has_text="Callao Naval Base").first.click()
    assert "Callao Naval Base" in page.inner_text("#id_subject + .select2")
    assert page.eval_on_selector("#id_subject", "select => select.value") != ""

    entity = _first_id(site, "/api/v1/entities/?q=callao")
    page.goto(f"{site}/entities/{entity}/")
    assert page.locator("h1").count() == 1

    contradiction = _first_id(site, "/api/v1/contradictions/?attribute=fms_case_value")
    page.goto(f"{site}/contradictions/{contradiction}/")
    assert page.locator(".position").count() == 2  # laid out by an inline style attribute

    page.goto(f"{site}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Claim-tracking knowledge base" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")  # Swagger UI read the schema and drew its sections

    assert page.problems == []
