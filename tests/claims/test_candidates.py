"""The candidates page: an analyst turns a found amount into a sourced, quoted claim.

Every POST here is what the browser sends: the page is fetched, its form read field by field
(hidden ones and the CSRF token included, with CSRF checks on), the analyst's typing applied,
and the pressed button's name and value added.
"""

from __future__ import annotations

import io
from html import escape
from html.parser import HTMLParser

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from claims.bundles import bundle_import
from claims.forms import AMBIGUOUS_SUBJECT, UNKNOWN_SUBJECT
from claims.models import Candidate, Claim, Contradiction
from claims.selectors.candidates import entity_names
from claims.services import (
    claim_create,
    source_ingest_with_candidates,
    source_save_with_quotes,
    value_parse,
)
from claims.services.candidates import candidates_of_text
from claims.views import (
    CANDIDATE_ALREADY_SAVED,
    CANDIDATE_GONE,
    NOT_ALLOWED_TO_CLAIM,
    NOT_ALLOWED_TO_SEE_CANDIDATES,
)
from kb.models import Entity, EntityAlias
from sources.models import Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "WASHINGTON. The State Department approved a potential $1.5 billion Foreign Military Sale "
    "to Peru for the Callao Naval Base. Nine helicopters follow."
)
START = TEXT.index("$1.5 billion")
QUOTE = "approved a potential $1.5 billion Foreign Military Sale"
CALLAO_CASE = {"subject": "callao-fms-case", "attribute": "fms_case_value", "quote": QUOTE}


@pytest.fixture
def source(demo):
    source, _ = source_ingest_with_candidates(title="Sale", kind="news", text=TEXT)
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


def test_the_page_lists_amounts_with_their_sentence_and_suggests_a_subject(source, analyst):
    page = page_of(browser(analyst), source)

    assert "$1.5 billion" in page
    assert "The State Department approved a potential $1.5 billion" in page
    form = read_form(page, START)
    assert form.fields[f"c{START}-subject"] == "peru"  # the first entity its sentence names


def test_the_page_lists_what_it_finds_in_a_fixed_number_of_queries(
    source, analyst, django_assert_max_num_queries
):
    client = browser(analyst)

    # Session, user, permissions, groups (5); source, candidate count, the page's candidates,
    # the claims around them, the entities they mention, those entities, attributes (7).
    # Not one per candidate: the form's attribute choices are read once for the page.
    with django_assert_max_num_queries(12):
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


def test_a_demo_claim_covering_a_candidate_with_its_value_marks_it_saved(demo, analyst):
    sheet = Source.objects.get(key="wh-2024-11-fact-sheet")
    start = sheet.text.index("$180 million")

    row = row_of(page_of(browser(analyst), sheet), start)

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
    source, _ = source_ingest_with_candidates(title="Dateline", kind="news", text=text)
    form = read_form(page_of(browser(analyst), source), text.index("a dozen"))

    assert form.fields[f"c{text.index('a dozen')}-subject"] == "peru"


def test_a_dozen_helicopters_not_nine_offers_both_counts_and_saves_twelve(demo, analyst):
    text = "LIMA, March 12 - Peru will receive a dozen Black Hawk helicopters, not nine."
    source, _ = source_ingest_with_candidates(title="Dateline", kind="news", text=text)
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


def test_an_anonymous_visitor_is_sent_to_sign_in_and_cannot_record(source, analyst):
    url, data = analyst_browser_post(source, browser(analyst))
    client = Client()  # CSRF is not what refuses here: the page does
    page_url = reverse("candidates", args=[source.pk])

    looked = client.get(page_url)
    response = client.post(url, data)

    for answer in (looked, response):
        assert answer.status_code == 302
        assert answer.url == f"{reverse('login')}?next={page_url}"
    assert not Claim.objects.filter(source=source).exists()


def test_a_reader_without_a_role_may_neither_look_nor_record(source, analyst, researcher):
    url, data = analyst_browser_post(source, browser(analyst))
    client = browser(researcher)
    client.get(reverse("home"))  # the reader's own CSRF cookie
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value

    looked = client.get(reverse("candidates", args=[source.pk]))
    response = client.post(url, data)

    assert looked.status_code == 403
    assert escape(NOT_ALLOWED_TO_SEE_CANDIDATES) in looked.content.decode()
    assert "$1.5 billion" not in looked.content.decode()
    assert response.status_code == 403
    assert NOT_ALLOWED_TO_CLAIM in response.content.decode()
    assert not Claim.objects.filter(source=source).exists()


# Stored once, read a page at a time


def test_the_candidates_are_stored_when_the_document_is_ingested(source):
    stored = {(c.kind, c.text) for c in Candidate.objects.filter(source=source)}

    assert ("money", "$1.5 billion") in stored
    assert ("count", "Nine helicopters") in stored
    assert ("entity", "Peru") in stored


def test_a_changed_text_gets_the_candidates_of_its_new_words(source, analyst):
    source.text = "WASHINGTON. Peru will buy 24 tanks for $300 million."
    source_save_with_quotes(source=source, user=analyst)

    page = page_of(browser(analyst), source)

    assert "$300 million" in page and "24 tanks" in page
    assert "$1.5 billion" not in page


def test_a_bundle_that_brings_or_changes_a_text_stores_its_candidates(demo):
    sheet = Source.objects.get(key="wh-2024-11-fact-sheet")
    assert Candidate.objects.filter(source=sheet, text="$180 million").exists()

    bundle_import(
        bundle={
            "format": "kb-bundle/1",
            "sources": [
                {
                    "key": "wh-2024-11-fact-sheet",
                    "title": sheet.title,
                    "kind": sheet.kind,
                    "text": sheet.text + " It adds 40 trucks.",
                },
            ],
        }  # fmt: skip
    )

    assert Candidate.objects.filter(source=sheet, text="40 trucks").exists()
    assert Candidate.objects.filter(source=sheet, text="$180 million").exists()


def test_the_command_stores_the_candidates_of_sources_that_have_none(demo):
    Candidate.objects.all().delete()
    out = io.StringIO()

    call_command("extract_candidates", "--store", "--source", "wh-2024-11-fact-sheet", stdout=out)

    sheet = Source.objects.get(key="wh-2024-11-fact-sheet")
    assert Candidate.objects.filter(source=sheet, text="$180 million").exists()
    assert Candidate.objects.exclude(source=sheet).count() == 0
    assert "1 source(s)" in out.getvalue()


def test_the_command_names_a_source_key_it_does_not_know(demo):
    with pytest.raises(CommandError, match="no source with a stored text has the key atlantis"):
        call_command("extract_candidates", "--store", "--source", "atlantis")


def _sentences(count: int, filler: str = "") -> str:
    return " ".join(
        f"In {1900 + n % 120}, Peru bought {n + 2} trucks for ${n + 1} million.{filler}"
        for n in range(count)
    )


def test_a_long_text_is_listed_fifty_candidates_a_page(demo, analyst):
    text = _sentences(40)  # 120 candidates: a year, a count and an amount a sentence
    source, _ = source_ingest_with_candidates(title="Long", kind="news", text=text)
    client = browser(analyst)

    first = client.get(reverse("candidates", args=[source.pk])).content.decode()
    last = client.get(reverse("candidates", args=[source.pk]), {"page": 3}).content.decode()
    beyond = client.get(reverse("candidates", args=[source.pk]), {"page": "999"})

    assert first.count('<tr id="candidate-') == 50 and "page 1 of 3" in first
    assert last.count('<tr id="candidate-') == 20 and "page 3 of 3" in last
    assert 'rel="next"' in first and 'rel="prev"' in last
    assert "$40 million" in last and "$40 million" not in first
    assert beyond.status_code == 200 and "page 3 of 3" in beyond.content.decode()


def test_saving_a_candidate_on_a_later_page_comes_back_to_that_page(demo, analyst):
    text = _sentences(40)
    source, _ = source_ingest_with_candidates(title="Long", kind="news", text=text)
    start = text.index("$40 million")
    client = browser(analyst)
    page = client.get(reverse("candidates", args=[source.pk]), {"page": 3}).content.decode()
    form = read_form(page, start)
    data = {**form.fields, **form.buttons}
    data.update({f"c{start}-subject": "peru", f"c{start}-attribute": "fms_case_value"})

    response = client.post(form.action.split("#")[0], data)

    assert response.status_code == 302
    assert response.url == f"{reverse('candidates', args=[source.pk])}?page=3#candidate-{start}"
    assert Claim.objects.get(source=source).amount == 40_000_000


# The size of a document costs the page nothing


def big_source(size: int) -> Source:
    """A source of `size` characters with its candidates stored as ingest stores them: the
    extractor reads one block, whose candidates repeat, shifted, down the text."""
    # A year, a count, an amount and a mention of Peru in every 300 characters or so.
    filler = (
        " The talks went on, as they had all year, without a word to the press; the ministers"
        " met again in the spring and left the details to their staff, who wrote them down."
    )
    block = _sentences(20, filler=filler) + "\n"
    text = (block * (size // len(block) + 1))[:size]
    rows = candidates_of_text(block, entity_names())
    source = SourceFactory(key="big", title="A big document", text=text)
    copies = len(text) // len(block)
    Candidate.objects.bulk_create(
        [
            Candidate(
                source=source,
                **{
                    **row,
                    "start": row["start"] + shift,
                    "end": row["end"] + shift,
                    "sentence_start": row["sentence_start"] + shift,
                },
            )
            for shift in range(0, copies * len(block), len(block))
            for row in rows
        ],
        batch_size=5000,
    )
    return source


def test_a_ten_megabyte_document_is_listed_without_running_the_extractor(
    demo, analyst, monkeypatch, django_assert_max_num_queries
):
    source = big_source(10_000_000)
    total = Candidate.objects.filter(source=source).exclude(kind="entity").count()

    def refuse(*args, **kwargs):
        raise AssertionError("the candidates page ran the extractor")

    monkeypatch.setattr("claims.extraction.extract_candidates", refuse)
    monkeypatch.setattr("claims.services.candidates.extract_candidates", refuse)
    client = browser(analyst)
    last_page = (total + 49) // 50

    with django_assert_max_num_queries(12):
        first = client.get(reverse("candidates", args=[source.pk]))
    with django_assert_max_num_queries(12):
        last = client.get(reverse("candidates", args=[source.pk]), {"page": last_page})

    assert total > 100_000
    assert first.status_code == last.status_code == 200
    assert first.content.decode().count('<tr id="candidate-') == 50
    assert f"page {last_page} of {last_page}" in last.content.decode()
    # The page carries its 50 sentences, not the text.
    assert len(first.content) < 300_000


@pytest.mark.parametrize("start", ["not-a-number", "99999999999999999999", "-1", "1e5", ""])
def test_a_posted_start_out_of_any_range_records_nothing(source, analyst, start):
    client = browser(analyst)
    url, data = analyst_browser_post(source, client)

    response = client.post(url, {**data, "start": start}, follow=True)

    assert response.status_code == 200
    assert escape(CANDIDATE_GONE) in response.content.decode()
    assert not Claim.objects.filter(source=source).exists()


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "x", "1e5"])
def test_a_page_number_out_of_range_shows_a_page(source, analyst, page):
    response = browser(analyst).get(reverse("candidates", args=[source.pk]), {"page": page})

    assert response.status_code == 200
    assert "$1.5 billion" in response.content.decode()
