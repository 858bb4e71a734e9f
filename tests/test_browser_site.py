"""In a real browser (Debian's headless Chromium driven by Playwright): a reader walks from the
home page to an entity through the sources index, a source, a claim and its contradiction;
searches the three phrases a reader of the demo would try; finds a decision under "Resolved"
on the editors' queue; and on a phone's 390 px no page scrolls sideways. With KB_SCREENSHOTS
set to a folder (docs/ for the README), it keeps screenshots of the home page and a claim."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claims.models import Claim, Contradiction
from claims.services import contradiction_resolve
from sources.models import Source
from tests.test_browser import CHROMIUM, browser, people, sign_in  # noqa: F401 (fixtures)

pytestmark = [
    # serialized_rollback keeps the roles the migrations made across the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests",
    ),
]

PHONE = {"width": 390, "height": 844}


def shoot(page, name: str) -> None:
    folder = os.environ.get("KB_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_a_reader_walks_from_home_to_an_entity_through_a_source_a_claim_and_its_contradiction(
    browser,  # noqa: F811
    live_server,
    people,  # noqa: F811
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url)
    assert "90 claims" in page.inner_text("#totals")
    shoot(page, "home.png")

    page.click("#totals >> text=sources")
    page.wait_for_url(f"{live_server.url}/sources/")
    assert page.title().startswith("Sources ·")

    page.click("#sources >> text=Fact sheet: the United States-Peru partnership")
    page.wait_for_selector("#source-text")
    assert page.title().startswith("Source: Fact sheet: the United States-Peru partnership")

    claim = Claim.objects.get(key="wh-callao-fms-180m")
    page.click(f"#claim-{claim.pk} a.value")
    page.wait_for_url(f"{live_server.url}/claims/{claim.pk}/")
    assert "$180 million" in page.inner_text("#value")
    assert "180,000,000 USD" in page.inner_text("#interval")
    # The quote, marked, in the rest of its sentence.
    assert "which may lead to a $1 billion effort" in page.inner_text("#source .quote")
    assert claim.quote in page.inner_text("#source .quote mark")
    shoot(page, "claim.png")

    callao = Contradiction.objects.get(attribute__code="fms_case_value")
    page.click(f"#contradictions >> text=#{callao.pk} FMS case value")
    page.wait_for_selector(".positions")
    assert page.locator(".position").count() == 2

    page.click("h1 a")
    page.wait_for_url(f"{live_server.url}/entities/{callao.subject_id}/")
    assert "Callao naval port Foreign Military Sales case" in page.inner_text("h1")
    assert f"see contradiction #{callao.pk}" in page.inner_text("#attribute-fms_case_value")


@pytest.mark.parametrize(
    ("phrase", "group", "expected"),
    [
        ("namru south", "#entities", "U.S. Naval Medical Research Unit SOUTH"),
        ("1.5 billion", "#claims", "$1.5 billion"),
        ("Black Hawk", "#claims", "nine Black Hawk helicopters"),
        ("Black Hawk", "#entities", "Transfer of nine UH-60 Black Hawk helicopters to Peru"),
    ],
)
def test_the_header_search_box_finds_what_a_reader_expects(
    browser,  # noqa: F811
    live_server,
    people,  # noqa: F811
    phrase,
    group,
    expected,
):
    page = browser.new_page()
    page.goto(live_server.url)

    page.fill(".site-search input[name=q]", phrase)
    page.press(".site-search input[name=q]", "Enter")
    page.wait_for_selector("#summary")

    assert expected in page.inner_text(group)
    assert page.locator(f"{group} mark").count() >= 1


def test_a_decision_is_found_under_resolved_on_the_editors_queue(
    browser,  # noqa: F811
    live_server,
    people,  # noqa: F811
    django_user_model,
):
    callao = Contradiction.objects.get(attribute__code="fms_case_value")
    contradiction_resolve(
        contradiction=callao, outcome="one_is_wrong", position=0, version=callao.version,
        note="The fact sheet names the case.", user=django_user_model.objects.get(username="eddie"),
    )  # fmt: skip
    page = browser.new_page()
    page.goto(f"{live_server.url}/contradictions/")
    assert "FMS case value" not in page.inner_text("#queue")

    page.click("#statuses >> text=Resolved")
    page.wait_for_url("**/contradictions/?status=resolved")

    row = page.inner_text(f"#contradiction-{callao.pk}")
    assert "FMS case value" in row
    assert "One position is wrong" in row and "The fact sheet names the case." in row
    assert page.inner_text("#statuses [aria-current=page]") == "Resolved 1"


def test_no_page_scrolls_sideways_on_a_phone(
    browser,  # noqa: F811
    live_server,
    people,  # noqa: F811
):
    claim = Claim.objects.get(key="wh-callao-fms-180m")
    source = Source.objects.get(key="wh-2024-11-fact-sheet")
    callao = Contradiction.objects.get(attribute__code="fms_case_value")
    pages = [
        "/",
        "/entities/",
        f"/entities/{claim.subject_id}/",
        "/sources/",
        f"/sources/{source.pk}/",
        f"/publishers/{source.publisher_id}/",
        f"/claims/{claim.pk}/",
        "/contradictions/",
        f"/contradictions/{callao.pk}/",
        "/search/?q=Peru",
        "/no/such/page/",
    ]
    analysts_pages = [f"/sources/{source.pk}/candidates/", "/sources/ingest/"]
    page = browser.new_page(viewport=PHONE)

    def width_of(path: str) -> int:
        page.goto(live_server.url + path)
        return page.evaluate("document.documentElement.scrollWidth")

    wide = {path: width for path in pages if (width := width_of(path)) > PHONE["width"]}
    sign_in(page, live_server, "ana")
    wide |= {
        path: width
        for path in analysts_pages + pages[:3]
        if (width := width_of(path)) > PHONE["width"]
    }

    assert wide == {}
