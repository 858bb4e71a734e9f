"""Quotes: anchored in their source's text, refused when absent, marked drifted when the text
changes under them, and shown in the sentence around them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from claims.anchoring import anchor, reanchor
from claims.bundles import BundleInvalid, bundle_import
from claims.extraction import extract_candidates
from claims.models import Claim
from claims.quotes import quote_in_context
from claims.services import (
    QUOTE_NOT_IN_SOURCE,
    attribute_create,
    claim_create,
    source_save_with_quotes,
    value_parse,
)
from tests.factories import EntityFactory, SourceFactory

TEXT = "The US approved a $180 million case. Peru thanked the US. The case is $180 million."


def test_a_quote_is_anchored_with_its_offsets_and_context():
    found = anchor(TEXT, "$180 million case")

    assert TEXT[found.start : found.end] == "$180 million case"
    assert found.prefix.endswith("approved a ")
    assert found.suffix.startswith(". Peru")


def test_a_quote_absent_from_the_text_has_no_anchor():
    assert anchor(TEXT, "$1.5 billion") is None


def test_reanchoring_follows_the_words_when_the_text_moves():
    old = anchor(TEXT, "Peru thanked the US")
    new_text = "Preface added. " + TEXT

    found = reanchor(new_text, "Peru thanked the US", old.prefix, old.suffix)

    assert new_text[found.start : found.end] == "Peru thanked the US"
    assert found.start == old.start + len("Preface added. ")


def test_reanchoring_chooses_among_repeats_by_context():
    second = TEXT.rindex("$180 million")
    old_prefix, old_suffix = TEXT[second - 20 : second], TEXT[second + 12 : second + 30]
    new_text = "Intro. " + TEXT

    found = reanchor(new_text, "$180 million", old_prefix, old_suffix)

    assert found.start == second + len("Intro. ")


def test_reanchoring_never_moves_a_quote_to_a_lookalike():
    assert reanchor("The US approved a $190 million case.", "$180 million case", "", "") is None


def test_the_quote_is_shown_in_its_sentence():
    shown = quote_in_context(TEXT, "thanked")

    assert (shown.before, shown.quote, shown.after) == ("Peru ", "thanked", " the US.")


@pytest.fixture
def setup(db):
    attribute = attribute_create(code="fms_case_value", label="FMS case value", value_type="money")
    return {
        "subject": EntityFactory(),
        "attribute": attribute,
        "source": SourceFactory(text=TEXT, text_sha256="x"),
    }


def make_claim(setup, quote: str, key: str = "c1") -> Claim:
    return claim_create(
        key=key,
        subject=setup["subject"],
        attribute=setup["attribute"],
        source=setup["source"],
        value=value_parse(attribute=setup["attribute"], text="$180 million"),
        quote=quote,
        credibility=2,
    )


def test_a_claim_whose_quote_is_not_in_the_source_text_is_refused(setup):
    with pytest.raises(ValidationError) as error:
        make_claim(setup, "a $1.5 billion case")

    assert error.value.message_dict["quote"] == [QUOTE_NOT_IN_SOURCE]
    assert not Claim.objects.exists()


def test_a_claim_whose_quote_is_in_the_text_is_anchored(setup):
    claim = make_claim(setup, "approved a $180 million case")

    assert claim.quote_status == "anchored"
    assert TEXT[claim.quote_start : claim.quote_end] == "approved a $180 million case"


def test_a_claim_on_a_source_without_text_stays_unchecked(setup):
    setup["source"] = SourceFactory(text="")

    claim = make_claim(setup, "anything the analyst read elsewhere")

    assert claim.quote_status == "unchecked"


def test_replacing_the_text_marks_vanished_quotes_drifted_and_keeps_the_others(setup):
    gone = make_claim(setup, "Peru thanked the US", key="gone")
    kept = make_claim(setup, "approved a $180 million case", key="kept")
    source = setup["source"]

    source.text = "Intro. The US approved a $180 million case. Peru said nothing."
    source_save_with_quotes(source=source)

    gone.refresh_from_db()
    kept.refresh_from_db()
    assert gone.quote_status == "drifted" and gone.quote_start is None
    assert gone.history.first().history_change_reason == "quote drifted"
    assert kept.quote_status == "anchored"
    assert source.text[kept.quote_start : kept.quote_end] == "approved a $180 million case"


@pytest.mark.django_db
def test_a_bundle_claim_whose_quote_is_not_in_its_source_text_is_refused_with_its_place():
    bundle = {
        "format": "kb-bundle/1",
        "sources": [{"key": "s", "title": "S", "kind": "news", "text": TEXT}],
        "entities": [{"key": "e", "kind": "base", "name": "E"}],
        "attributes": [{"code": "v", "label": "V", "value_type": "money"}],
        "claims": [
            {"key": "ok", "subject": "e", "attribute": "v", "value": "$180 million",
             "source": "s", "quote": "a $180 million case", "credibility": 2},
            {"key": "bad", "subject": "e", "attribute": "v", "value": "$180 million",
             "source": "s", "quote": "a $181 million case", "credibility": 2},
        ],
    }  # fmt: skip

    with pytest.raises(BundleInvalid) as error:
        bundle_import(bundle=bundle)

    assert [str(p) for p in error.value.problems] == [f"claims[1].quote: {QUOTE_NOT_IN_SOURCE}"]
    assert not Claim.objects.exists()


REPEATED = (
    "Critics said the case is $180 million too little. "
    "The U.S. fact sheet says the case is $180 million for Callao."
)


def test_a_quote_that_occurs_twice_is_shown_in_the_sentence_where_it_is_anchored():
    second = REPEATED.rindex("the case is $180 million")

    shown = quote_in_context(REPEATED, "the case is $180 million", second)

    assert (shown.before, shown.after) == ("The U.S. fact sheet says ", " for Callao.")


def test_a_repeated_quote_is_anchored_at_the_occurrence_nearest_the_candidate():
    second = REPEATED.rindex("the case is $180 million")

    first = anchor(REPEATED, "the case is $180 million")
    near = anchor(REPEATED, "the case is $180 million", near=second + 12)

    assert first.start < second and near.start == second


def test_a_quote_without_an_anchor_is_shown_at_its_first_occurrence():
    shown = quote_in_context(REPEATED, "the case is $180 million")

    assert (shown.before, shown.after) == ("Critics said ", " too little.")


def test_a_sentence_holding_us_with_its_dots_is_shown_whole():
    text = "Peru agreed. The U.S. Navy thanked the U.S. Embassy in Lima for the $180 million case."

    shown = quote_in_context(text, "thanked")

    assert shown.before == "The U.S. Navy "
    assert shown.after == " the U.S. Embassy in Lima for the $180 million case."


def test_the_candidates_and_the_quotes_cut_the_same_sentences():
    text = "LIMA, Dec. 15, 2025 - The U.S. sent 40 soldiers.\nHeading\nThey stay until 2026."

    for candidate in extract_candidates(text):
        shown = quote_in_context(text, candidate.text, candidate.start)

        assert shown.before + shown.quote + shown.after == candidate.sentence


@pytest.mark.django_db
def test_the_side_by_side_page_shows_a_repeated_quote_in_its_anchored_sentence(client):
    attribute = attribute_create(code="fms_case_value", label="FMS case value", value_type="money")
    subject = EntityFactory()
    sheet = SourceFactory(text="The U.S. fact sheet says the case is $180 million for Callao.")
    claim_create(
        key="sheet",
        subject=subject,
        attribute=attribute,
        source=sheet,
        value=value_parse(attribute=attribute, text="$180 million"),
        quote="the case is $180 million",
        credibility=2,
    )
    claim_create(
        key="other",
        subject=subject,
        attribute=attribute,
        source=SourceFactory(text="A $1.5 billion case."),
        value=value_parse(attribute=attribute, text="$1.5 billion"),
        quote="A $1.5 billion case.",
        credibility=3,
    )
    sheet.text = REPEATED  # the quote now occurs twice, and stays anchored in the second
    source_save_with_quotes(source=sheet)
    claim = Claim.objects.get(key="sheet")
    assert claim.quote_start == REPEATED.rindex("the case is $180 million")

    page = client.get(reverse("contradiction", args=[claim.contradictions.get().pk]))

    assert (
        "The U.S. fact sheet says <mark>the case is $180 million</mark> for Callao."
        in page.content.decode()
    )
    assert "Critics said" not in page.content.decode()
