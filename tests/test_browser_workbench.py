"""In a real browser: an analyst ingests a seed document, accepts the "$1.5 billion" candidate
as a claim on the Callao case, sees it highlighted on the source page, and finds the resulting
contradiction on the editors' queue. Set KB_SCREENSHOTS to a folder to keep screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claims.bundles import bundle_import
from claims.models import Claim, Contradiction
from tests.test_browser import CHROMIUM, browser  # noqa: F401 (the fixture)

SEED = Path(__file__).resolve().parents[2] / "shared/seeds/000_2f196c5c80a02f0c.txt"

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests",
    ),
    pytest.mark.skipif(not SEED.exists(), reason="../shared/seeds is not beside the project"),
]


def shoot(page, name: str) -> None:
    folder = os.environ.get("KB_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name))


def test_an_analyst_turns_a_seed_document_into_a_claim_that_reaches_the_queue(
    browser,  # noqa: F811
    live_server,
    django_user_model,
    demo_bundle,
):
    from django.contrib.auth.models import Group

    bundle_import(bundle=demo_bundle)
    analyst = django_user_model.objects.create_user("ana", password="a long test password")
    analyst.groups.add(Group.objects.get(name="Analyst"))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "a long test password")
    page.click("button[type=submit]")

    # Ingest the document by pasting it.
    page.goto(f"{live_server.url}/sources/ingest/")
    page.fill("#id_title", "US approves potential $1.5 billion FMS to Peru (pasted)")
    page.select_option("#id_kind", "analysis")
    page.fill("#id_publisher", "Defence Talks")
    page.fill("#id_published_on", "January 2026")
    page.fill("#id_text", SEED.read_text(encoding="utf-8"))
    shoot(page, "ingest.png")
    page.click("#ingest button[type=submit]")
    page.wait_for_selector("#candidates")

    # Accept the first "$1.5 billion" candidate as the Callao FMS case's value.
    row = page.locator("#candidates tbody tr", has_text="$1.5 billion").first
    row.locator("input[name$=-subject]").fill("callao-fms-case")
    row.locator("select[name$=-attribute]").select_option("fms_case_value")
    quote = row.locator("textarea[name$=-quote]")
    quote.fill("approved a potential $1.5 billion Foreign Military Sale (FMS) to Peru")
    row.locator("button", has_text="Save claim").click()
    # Back on the list, the message links to the claim on the source page.
    page.click("ul.messages a")

    # The source page shows the quote highlighted, linked to the claim.
    page.wait_for_selector("#source-text")
    claim = Claim.objects.get(source__title__endswith="(pasted)")
    highlight = page.locator(f'#source-text a[data-claims~="{claim.pk}"] mark')
    assert "approved a potential $1.5 billion Foreign Military Sale" in highlight.first.inner_text()
    shoot(page, "source.png")

    # The claim stands in the Callao contradiction on the editors' queue.
    page.goto(f"{live_server.url}/contradictions/?attribute=fms_case_value")
    page.get_by_role("link", name="Callao naval port Foreign Military Sales case").click()
    page.wait_for_selector(".positions")
    assert f"claim-{claim.pk}" in page.content()
    assert "(pasted)" in page.inner_text(".positions")
    shoot(page, "side-by-side.png")
    contradiction = Contradiction.objects.get(
        attribute__code="fms_case_value", withdrawn_at__isnull=True
    )
    assert contradiction.claims.filter(pk=claim.pk).exists()
