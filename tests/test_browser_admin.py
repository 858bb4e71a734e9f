"""In a real browser, through the admin: an analyst adds a source and a claim that contradicts
the demo, the contradiction reaches the queue, an editor resolves it, and loading the demo
again (as `make run` does) leaves the decision and the ranks as they were."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from claims.models import Claim, Contradiction, ContradictionStatus, Rank
from sources.models import Source
from tests.test_browser import CHROMIUM, browser  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests",
    ),
]

PASSWORD = "a long test password"
TEXT = (
    "LIMA, March 12 - Peru's navy said on Tuesday that the Callao port works under the U.S. "
    "Foreign Military Sales case are worth $900 million, far more than first reported."
)


@pytest.fixture
def people(django_user_model, demo_bundle):
    """The demo, an analyst and an editor: ordinary accounts, as grant_role --create makes."""
    from django.contrib.auth.models import Group

    from claims.bundles import bundle_import

    bundle_import(bundle=demo_bundle)
    for name, group in (("eddie", "Editor"), ("ana", "Analyst")):
        user = django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))


def admin_sign_in(page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def autocomplete(page, field: str, text: str, choice: str) -> None:
    """Pick a choice in one of the admin's autocomplete (select2) fields, as a person does."""
    page.click(f"#{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.locator(".select2-results__option", has_text=choice).first.click()


def test_an_analyst_adds_a_contradicting_claim_and_an_editors_decision_survives_reloading(
    browser,  # noqa: F811
    live_server,
    people,
):
    errors = []
    page = browser.new_page()
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))

    # The analyst adds a source with its text ("Save and continue editing").
    admin_sign_in(page, live_server, "ana")
    page.goto(f"{live_server.url}/admin/sources/source/add/")
    page.fill("#id_title", "Navy says Callao works cost $900 million")
    page.fill("#id_key", "navy-callao-900m")
    page.select_option("#id_kind", "news")
    page.locator("fieldset:has(#id_text) summary").click()
    page.fill("#id_text", TEXT)
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/admin/sources/source/\d+/change/"))
    assert "was added successfully" in page.inner_text(".messagelist")
    source = Source.objects.get(key="navy-callao-900m")

    # ... and a claim that disagrees with both demo figures for the Callao case.
    page.goto(f"{live_server.url}/admin/claims/claim/add/")
    page.fill("#id_key", "navy-callao-fms-900m")
    autocomplete(page, "id_subject", "Callao naval port", "Foreign Military Sales case")
    autocomplete(page, "id_attribute", "FMS case", "FMS case value")
    autocomplete(page, "id_source", "Navy says", "Navy says Callao works")
    page.fill("#id_value_text", "$900 million")
    page.fill("#id_quote", "are worth $900 million")
    page.fill("#id_credibility", "3")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/claims/claim/$"))
    assert "was added successfully" in page.inner_text(".messagelist")
    claim = Claim.objects.get(key="navy-callao-fms-900m")
    assert (claim.source_id, claim.low, claim.created_by.username) == (
        source.pk,
        900_000_000,
        "ana",
    )

    # The contradiction is on the editors' queue, with the new figure side by side.
    page.goto(f"{live_server.url}/contradictions/?attribute=fms_case_value")
    page.get_by_role("link", name="Callao naval port Foreign Military Sales case").click()
    page.wait_for_selector(".positions")
    assert page.locator(".position").count() == 3
    assert "$900 million" in page.inner_text(".positions")
    assert page.locator("#resolve").count() == 0  # analysts do not decide
    contradiction_url = page.url

    # An editor resolves it: the White House figure holds.
    editor = browser.new_page()
    editor.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    admin_sign_in(editor, live_server, "eddie")
    editor.goto(contradiction_url)
    editor.select_option("#id_outcome", "one_is_wrong")
    editor.select_option("#id_position", "0")
    editor.fill("#id_note", "The fact sheet is the primary record; the others count more work.")
    editor.click("text=Record the decision")
    editor.wait_for_selector("#decision")
    contradiction = Contradiction.objects.get(attribute__code="fms_case_value")
    assert contradiction.status == ContradictionStatus.RESOLVED
    ranks = dict(contradiction.claims.values_list("key", "rank"))
    assert ranks["wh-callao-fms-180m"] == Rank.PREFERRED
    assert ranks["navy-callao-fms-900m"] == Rank.DEPRECATED

    # `make run` again: its import step, then the demo imported in full once more.
    call_command("import_bundle", "--if-empty", str(settings.KB_DEMO_BUNDLE))
    call_command("import_bundle", str(settings.KB_DEMO_BUNDLE))

    contradiction.refresh_from_db()
    assert contradiction.status == ContradictionStatus.RESOLVED
    assert dict(contradiction.claims.values_list("key", "rank")) == ranks
    editor.goto(contradiction_url)
    assert "Resolved" in editor.inner_text("#status")
    assert errors == []
