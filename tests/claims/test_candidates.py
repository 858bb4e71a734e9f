"""The candidates page: an analyst turns a found amount into a sourced, quoted claim.

Every POST here is what the browser sends: the page is fetched, its form read field by field
(hidden ones and the CSRF token included, with CSRF checks on), the analyst's typing applied,
and the pressed button's name and value added.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from claims.bundles import bundle_import
from claims.forms import AMBIGUOUS_SUBJECT, UNKNOWN_SUBJECT
from claims.models import Claim, Contradiction
from claims.services import claim_create, value_parse
from claims.views import CANDIDATE_ALREADY_SAVED, NOT_ALLOWED_TO_CLAIM
from kb.models import Entity, EntityAlias
from sources.models import Source
from sources.services import source_ingest

pytestmark = pytest.mark.django_db

TEXT = (
    "WASHINGTON. The State Department approved a potential $1.5 billion Foreign Military Sale "
    "to Peru for the Callao Naval Base. Nine helicopters follow."
)
START = TEXT.index("$1.5 billion")
QUOTE = "approved a potential $1.5 billion Foreign Military Sale"
CALLAO_CASE = {"subject": "callao-fms-case", "attribute": "fms_case_value", "quote": QUOTE}


@pytest.fixture
def demo(demo_bundle):
    bundle_import(bundle=demo_bundle)


@pytest.fixture
def source(demo):
    source, _ = source_ingest(title="Sale", kind="news", text=TEXT)
    return source


def browser(user=None) -> Client:
    """A client that checks CSRF tokens as the site does for a browser."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


class _FormReader(HTMLParser):
    """The fields a browser would send from the form inside <tr id="candidate-START">."""

    def __init__(self, row_id: str):
        super().__init__()
        self.row_id = row_id
        self.in_row = self.in_form = False
        self.action = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}
        self._textarea = self._select = None
        self._first_option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.in_row = attrs.get("id") == self.row_id
        if not self.in_row:
            return
        if tag == "form":
            self.in_form, self.action = True, attrs.get("action")
        elif not self.in_form:
            return
        elif tag == "input" and attrs.get("type") != "submit":
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "button" and attrs.get("name"):
            self.buttons[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select, self._first_option = attrs["name"], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = attrs.get("value", "")
                self.fields[self._select] = self._first_option
            if "selected" in attrs:
                self.fields[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Browsers drop the newline that follows <textarea>.
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.in_form = False
        elif tag == "tr":
            self.in_row = False


def read_form(page: str, start: int) -> _FormReader:
    reader = _FormReader(f"candidate-{start}")
    reader.feed(page)
    return reader


def save_candidate(client, source, start: int = START, **typed):
    """Open the page, fill the candidate's form as the analyst types `typed`, press Save."""
    page = client.get(reverse("candidates", args=[source.pk])).content.decode()
    form = read_form(page, start)
    assert form.action is not None, f"no form for the candidate at {start}"
    data = dict(form.fields)
    data.update({f"c{start}-{name}": value for name, value in typed.items()})
    data.update(form.buttons)
    return client.post(form.action.split("#")[0], data)


def page_of(client, source) -> str:
    return client.get(reverse("candidates", args=[source.pk])).content.decode()


def row_of(page: str, start: int) -> str:
    return page.split(f'id="candidate-{start}"')[1].split("</tr>")[0]


# Listing


def test_the_page_lists_amounts_with_their_sentence_and_suggests_a_subject(client, source):
    page = page_of(client, source)

    assert "$1.5 billion" in page
    assert "The State Department approved a potential $1.5 billion" in page


def test_the_page_lists_what_it_finds_in_a_fixed_number_of_queries(
    source, analyst, django_assert_max_num_queries
):
    client = browser(analyst)

    # Session, user, permissions, groups (5); source, entities, aliases, claims, attributes (5).
    # Not one per candidate: the form's attribute choices are read once for the page.
    with django_assert_max_num_queries(10):
        client.get(reverse("candidates", args=[source.pk]))


# Saving a candidate


def test_saving_a_candidate_records_a_claim_that_joins_the_callao_contradiction(source, analyst):
    response = save_candidate(browser(analyst), source, **CALLAO_CASE)

    assert response.status_code == 302
    claim = Claim.objects.get(source=source)
    assert (claim.amount, claim.currency, claim.quote_status) == (1500000000, "USD", "anchored")
    assert TEXT[claim.quote_start : claim.quote_end] == claim.quote
    assert claim.created_by == analyst
    callao = Contradiction.objects.get(attribute__code="fms_case_value", withdrawn_at__isnull=True)
    assert claim in callao.claims.all()


def test_after_saving_the_analyst_is_back_on_the_list_at_the_candidate_with_a_message(
    source, analyst
):
    client = browser(analyst)

    response = save_candidate(client, source, **CALLAO_CASE)

    assert response.url == f"{reverse('candidates', args=[source.pk])}#candidate-{START}"
    page = client.get(response.url).content.decode()
    claim = Claim.objects.get(source=source)
    assert f"Claim {claim.key} recorded." in page
    # The message links to the claim on the source page, where its quote is highlighted.
    assert f'<a href="{reverse("source", args=[source.pk])}#claim-{claim.pk}">' in page
    # The other candidates still have their form.
    assert "Save claim" in row_of(page, TEXT.index("Nine helicopters"))


def test_a_saved_candidate_is_marked_with_its_claim_and_offers_no_form(source, analyst):
    client = browser(analyst)
    save_candidate(client, source, **CALLAO_CASE)
    claim = Claim.objects.get(source=source)

    row = row_of(page_of(client, source), START)

    assert "Saved as claim" in row and claim.key in row
    assert f'href="{reverse("source", args=[source.pk])}#claim-{claim.pk}"' in row
    assert f'href="{reverse("entity", args=[claim.subject.pk])}#attribute-fms_case_value"' in row
    assert "Save claim" not in row and "<form" not in row


def test_saving_a_candidate_twice_from_a_stale_page_records_it_once_and_says_so(source, analyst):
    client = browser(analyst)
    url, data = analyst_browser_post(source, client)  # the page as it was first loaded
    client.post(url, data)

    response = client.post(url, data, follow=True)

    claim = Claim.objects.get(source=source)
    page = response.content.decode()
    assert CANDIDATE_ALREADY_SAVED.format(key=claim.key) in page
    assert "already exists" not in page
    assert Claim.objects.filter(source=source).count() == 1


def test_a_demo_claim_covering_a_candidate_with_its_value_marks_it_saved(client, demo):
    sheet = Source.objects.get(key="wh-2024-11-fact-sheet")
    start = sheet.text.index("$180 million")

    row = row_of(page_of(client, sheet), start)

    assert "Saved as claim" in row and "wh-callao-fms-180m" in row


def test_a_key_another_claim_already_has_gets_a_number_instead_of_an_error(source, analyst):
    other = Source.objects.get(key="wh-2024-11-fact-sheet")
    attribute = other.claims.get(key="wh-callao-fms-180m").attribute
    taken = f"{source.key}-{START}-fms_case_value"
    claim_create(
        key=taken,
        subject=Entity.objects.get(key="callao-fms-case"),
        attribute=attribute,
        source=other,
        value=value_parse(attribute=attribute, text="$180 million"),
        quote="$180 million",
        credibility=3,
    )

    response = save_candidate(browser(analyst), source, **CALLAO_CASE)

    assert response.status_code == 302
    assert Claim.objects.get(source=source).key == f"{taken}-2"


def test_a_quote_that_is_not_the_sources_words_is_refused_on_the_page(source, analyst):
    response = save_candidate(browser(analyst), source, **{**CALLAO_CASE, "quote": "a $1.5bn"})

    assert response.status_code == 400
    assert "does not occur in the source" in response.content.decode()
    assert not Claim.objects.filter(source=source).exists()


# The subject: suggested, completed, checked


def test_an_unknown_subject_is_refused_with_its_name(source, analyst):
    response = save_candidate(browser(analyst), source, **{**CALLAO_CASE, "subject": "Atlantis"})

    assert response.status_code == 400
    assert UNKNOWN_SUBJECT.format(name="Atlantis").replace('"', "&quot;") in (
        response.content.decode()
    )
    assert not Claim.objects.filter(source=source).exists()


def test_a_subject_that_fits_two_entities_is_refused_naming_both(source, analyst):
    EntityAlias.objects.create(entity=Entity.objects.get(key="callao"), name="The Port")
    EntityAlias.objects.create(entity=Entity.objects.get(key="callao-naval-base"), name="the port")

    response = save_candidate(browser(analyst), source, **{**CALLAO_CASE, "subject": "The Port"})

    assert response.status_code == 400
    message = AMBIGUOUS_SUBJECT.format(
        name="The Port", names="Callao [callao], Callao Naval Base [callao-naval-base]"
    )
    assert message.replace('"', "&quot;") in response.content.decode()
    assert not Claim.objects.filter(source=source).exists()


def test_a_subject_given_by_alias_is_accepted(source, analyst):
    response = save_candidate(
        browser(analyst), source, **{**CALLAO_CASE, "subject": "callao naval base fms"}
    )

    assert response.status_code == 302
    assert Claim.objects.get(source=source).subject.key == "callao-fms-case"


def test_the_subject_field_suggests_the_entities_the_text_names(source, analyst):
    page = page_of(browser(analyst), source)

    datalist = page.split('<datalist id="entity-names"')[1].split("</datalist>")[0]
    assert '<option value="peru">Peru' in datalist
    assert '<option value="callao-naval-base">Callao Naval Base' in datalist
    assert 'list="entity-names"' in row_of(page, START)
    assert "entity-autocomplete.js" in page and "//cdn" not in page


def test_a_dateline_is_not_suggested_as_the_subject(demo, analyst):
    text = "LIMA, March 12 - Peru will receive a dozen Black Hawk helicopters, not nine."
    source, _ = source_ingest(title="Dateline", kind="news", text=text)
    form = read_form(page_of(browser(analyst), source), text.index("a dozen"))

    assert form.fields[f"c{text.index('a dozen')}-subject"] == "peru"


def test_a_dozen_helicopters_not_nine_offers_both_counts_and_saves_twelve(demo, analyst):
    text = "LIMA, March 12 - Peru will receive a dozen Black Hawk helicopters, not nine."
    source, _ = source_ingest(title="Dateline", kind="news", text=text)
    client = browser(analyst)
    page = page_of(client, source)
    dozen, nine = text.index("a dozen"), text.index("nine")
    assert "Save claim" in row_of(page, dozen) and "Save claim" in row_of(page, nine)

    response = save_candidate(client, source, dozen, attribute="helicopter_count", quote=text)

    assert response.status_code == 302
    claim = Claim.objects.get(source=source)
    assert (claim.amount, claim.subject.key, claim.value_as_written) == (
        12,
        "peru",
        "a dozen Black Hawk helicopters",
    )


# Who may


def analyst_browser_post(source, client) -> tuple[str, dict]:
    """The URL and the fields an analyst's browser posts to save the $1.5 billion candidate."""
    form = read_form(page_of(client, source), START)
    data = {**form.fields, **{f"c{START}-{k}": v for k, v in CALLAO_CASE.items()}, **form.buttons}
    return form.action.split("#")[0], data


def test_an_anonymous_visitor_sees_no_form_and_cannot_record(source, analyst):
    url, data = analyst_browser_post(source, browser(analyst))
    client = Client()  # CSRF is not what refuses here: the page does
    assert "Save claim" not in page_of(client, source)

    response = client.post(url, data)

    assert response.status_code == 403
    assert NOT_ALLOWED_TO_CLAIM in response.content.decode()
    assert not Claim.objects.filter(source=source).exists()


def test_a_reader_without_a_role_may_look_but_not_record(source, analyst, researcher):
    url, data = analyst_browser_post(source, browser(analyst))
    client = browser(researcher)
    page = page_of(client, source)
    assert "Save claim" not in page and "entity-names" not in page
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value  # the reader's own token

    response = client.post(url, data)

    assert response.status_code == 403
    assert NOT_ALLOWED_TO_CLAIM in response.content.decode()
    assert not Claim.objects.filter(source=source).exists()
