"""Strict bundle input: what kb-bundle/1 does not allow is refused with its place and nothing is
written, on SQLite and PostgreSQL alike and never as a traceback; and a field an entry leaves
out leaves the stored value as it is."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.bundles import BundleInvalid, bundle_import, bundle_parse
from claims.bundles.reading import (
    AMOUNT_TOO_LARGE,
    GIVEN_TWICE,
    NESTED_TOO_DEEPLY,
    NOT_A_JSON_NUMBER,
    TOLERANCE_RANGE,
)
from claims.bundles.schema import LONE_SURROGATE, NUL_IN_TEXT
from claims.models import Attribute, Claim
from kb.models import Entity
from sources.models import DERIVATION_CYCLE, Source
from tests.claims.test_bundles import database_state, small_bundle

pytestmark = pytest.mark.django_db

DATE_WORDS = 'is not a date such as "2023", "2023-05" or "2023-05-19"'


def refused(bundle) -> list[str]:
    """The problems of a bundle the importer refuses, each "place: message"."""
    with pytest.raises(BundleInvalid) as error:
        bundle_import(bundle=bundle)
    return [str(problem) for problem in error.value.problems]


def refused_text(text: str) -> list[str]:
    with pytest.raises(BundleInvalid) as error:
        bundle_parse(text)
    return [str(problem) for problem in error.value.problems]


def spoiled(change) -> dict:
    bundle = small_bundle()
    change(bundle)
    return bundle


# Dates: ISO at year, month or day precision, nothing read some other way


@pytest.mark.parametrize("text", ["2023-00-10", "2023-02-30", "2023-13"])
def test_a_date_that_does_not_exist_is_refused_with_its_place(text):
    bundle = spoiled(lambda b: b["claims"][0].update(valid_from=text))

    assert refused(bundle) == [f'claims[0].valid_from: "{text}" is not a real date']


@pytest.mark.parametrize(
    "text", ["-2024", "2024-1-1", "2024-02-29T10:00", "May 2024", "2024/05/01", " 2024", "20245"]
)
@pytest.mark.parametrize(
    ("section", "index", "name"),
    [
        ("sources", 0, "published_on"),
        ("claims", 0, "valid_from"),
        ("claims", 0, "valid_to"),
        ("claims", 0, "claimed_on"),
    ],
)
def test_a_date_not_in_iso_form_is_refused_not_rewritten(section, index, name, text):
    bundle = spoiled(lambda b: b[section][index].update({name: text}))

    assert refused(bundle) == [f"{section}[{index}].{name}: {json.dumps(text)} {DATE_WORDS}"]


def test_a_date_value_takes_the_iso_form_too():
    bundle = spoiled(lambda b: b["claims"][3].update(value={"date": "2026-1-15"}))

    assert refused(bundle) == [f'claims[3].value.date: "2026-1-15" {DATE_WORDS}']


def test_the_29th_of_february_of_a_leap_year_is_a_date():
    bundle_import(bundle=spoiled(lambda b: b["claims"][0].update(claimed_on="2024-02-29")))

    assert Claim.objects.get(key="wh-callao-180m").claimed_on.isoformat() == "2024-02-29"


# JSON that is not quite what it seems


def test_a_member_given_twice_is_refused_with_its_place():
    text = json.dumps(small_bundle()).replace(
        '"amount": "180000000",', '"amount": "180000000", "amount": "1500000000",'
    )

    assert refused_text(text) == [f"claims[0].value.amount: {GIVEN_TWICE}"]


def test_a_section_given_twice_is_refused_too():
    text = '{"format": "kb-bundle/1", "claims": [], "claims": []}'

    assert refused_text(text) == [f"claims: {GIVEN_TWICE}"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_numbers_json_does_not_allow_are_refused(constant):
    text = json.dumps(small_bundle()).replace('"tolerance": 0,', f'"tolerance": {constant},')

    assert refused_text(text) == [f"bundle: {NOT_A_JSON_NUMBER.format(name=constant)}"]


def test_a_bundle_nested_beyond_reason_is_refused():
    assert refused_text("[" * 100_000 + "]" * 100_000) == [f"bundle: {NESTED_TOO_DEEPLY}"]


# Meaning


def test_a_circle_of_derivations_within_the_bundle_is_refused():
    def circle(bundle):
        bundle["sources"][0]["derived_from"] = "dt-2026-01"
        bundle["sources"][1]["derived_from"] = "wh-2024-11-fact-sheet"

    chain = "“wh-2024-11-fact-sheet” → “dt-2026-01” → “wh-2024-11-fact-sheet”"
    assert f"sources[0].derived_from: {DERIVATION_CYCLE.format(chain=chain)}" in refused(
        spoiled(circle)
    )


def test_a_circle_closed_through_the_database_is_refused():
    bundle_import(
        bundle=spoiled(lambda b: b["sources"][1].update(derived_from=b["sources"][0]["key"]))
    )
    before = database_state()
    closing = {
        "format": "kb-bundle/1",
        "sources": [{"key": "wh-2024-11-fact-sheet", "title": "Fact sheet", "kind": "official",
                     "derived_from": "dt-2026-01"}],
    }  # fmt: skip

    chain = "“wh-2024-11-fact-sheet” → “dt-2026-01” → “wh-2024-11-fact-sheet”"
    assert refused(closing) == [f"sources[0].derived_from: {DERIVATION_CYCLE.format(chain=chain)}"]
    assert database_state() == before


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_entity_name_is_refused(name):
    bundle = spoiled(lambda b: b["entities"][1].update(name=name))

    message = "must not be empty" if name == "" else "must not be blank"
    assert refused(bundle) == [f"entities[1].name: {message}"]


def test_a_blank_alias_is_refused():
    bundle = spoiled(lambda b: b["entities"][0].update(aliases=["Base Naval del Callao", "  "]))

    assert refused(bundle)[0] == "entities[0].aliases[1]: must not be blank"


@pytest.mark.parametrize(
    ("name", "value", "high"),
    [
        ("tolerance", -0.1, 10),
        ("tolerance", 10, 10),
        ("tolerance", "12345678", 10),
        ("tolerance", "0.1234567", 10),
        ("approx_tolerance", 1, 1),
        ("approx_tolerance", "-0.5", 1),
        ("approx_tolerance", "1e30", 1),
    ],
)
def test_a_tolerance_outside_its_range_is_refused(name, value, high):
    bundle = spoiled(lambda b: b["attributes"][0].update({name: value}))

    assert refused(bundle) == [f"attributes[0].{name}: {TOLERANCE_RANGE.format(high=high)}"]


def test_an_unknown_value_type_is_refused_naming_the_known_ones():
    bundle = spoiled(lambda b: b["attributes"][0].update(value_type="currency"))

    (problem,) = [p for p in refused(bundle) if p.startswith("attributes[0]")]
    assert problem.startswith('attributes[0].value_type: unknown value type "currency": use one of')


@pytest.mark.parametrize("amount", ["1e30", "1e9999", 10**22, "99999999999999999999999"])
def test_an_amount_beyond_what_is_stored_is_refused(amount):
    bundle = spoiled(lambda b: b["claims"][0]["value"].update(amount=amount))

    assert refused(bundle) == [f"claims[0].value.amount: {AMOUNT_TOO_LARGE}"]


def test_an_amount_a_tolerance_widens_beyond_what_is_stored_is_refused():
    def widened(bundle):
        bundle["attributes"][0]["tolerance"] = "9.5"
        bundle["claims"][0]["value"]["amount"] = "9000000000000000000000"

    assert refused(spoiled(widened)) == [f"claims[0].value: {AMOUNT_TOO_LARGE}"]


def test_a_worded_amount_beyond_what_is_stored_is_refused():
    bundle = spoiled(lambda b: b["claims"][1].update(value="$9000000000000000000000000 million"))

    assert f"claims[1].value: {AMOUNT_TOO_LARGE}" in refused(bundle)


# Text no database keeps, and names longer than their columns


@pytest.mark.parametrize(
    ("change", "place", "message"),
    [
        (lambda b: b["sources"][0].update(title="Fact\x00sheet"), "sources[0].title", NUL_IN_TEXT),
        (lambda b: b["claims"][0].update(quote="a $180\x00"), "claims[0].quote", NUL_IN_TEXT),
        (
            lambda b: b["entities"][0]["aliases"].append("Callao\ud800"),
            "entities[0].aliases[1]",
            LONE_SURROGATE.format(code="\\ud800"),
        ),
        (
            lambda b: b["claims"][1].update(subject="callao\udfff"),
            "claims[1].subject",
            LONE_SURROGATE.format(code="\\udfff"),
        ),
        (
            lambda b: b["claims"][0]["value"].update({"curr\x00ency": "USD"}),
            "claims[0].value",
            f"a field's name {NUL_IN_TEXT}",
        ),
    ],
)
def test_text_no_database_can_keep_is_refused_with_its_place(change, place, message):
    assert refused(spoiled(change)) == [f"{place}: {message}"]


def test_text_that_only_spells_out_an_escape_is_kept_as_written():
    # The six characters \u0000 (JSON "\\u0000"), not a NUL: nothing to refuse.
    bundle = spoiled(lambda b: b["sources"][0].update(notes="JSON writes NUL as \\u0000"))
    bundle_import(bundle=bundle)
    assert Source.objects.get(key=bundle["sources"][0]["key"]).notes == (
        "JSON writes NUL as \\u0000"
    )


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (lambda b: b["entities"][0].update(name="N" * 301), "entities[0].name"),
        (lambda b: b["entities"][0]["aliases"].append("A" * 301), "entities[0].aliases[1]"),
        (lambda b: b["claims"][0].update(subject="s" * 301), "claims[0].subject"),
        (lambda b: b["sources"][0].update(publisher="P" * 301), "sources[0].publisher"),
    ],
)
def test_a_name_longer_than_its_column_is_refused(change, place):
    problems = refused(spoiled(change))

    assert f"{place}: longer than 300 characters" in problems
    # What no longer names anything is said too, in a few words.
    assert all(len(problem) < 200 for problem in problems)


# Through the command, on either database: a clear error, never a traceback

BAD_BUNDLES = {
    "a NUL": lambda b: b["entities"][0].update(name="Callao\x00"),
    "a lone surrogate": lambda b: b["sources"][0].update(text="\udc80"),
    "an over-long alias": lambda b: b["entities"][0]["aliases"].append("A" * 400),
    "a huge amount": lambda b: b["claims"][0]["value"].update(amount="1e40"),
    "a huge tolerance": lambda b: b["attributes"][0].update(tolerance="1e12"),
    "a date with a time": lambda b: b["claims"][0].update(claimed_on="2024-11-05T10:00"),
    "a long Wikidata id": lambda b: b["entities"][0].update(wikidata="Q" + "4" * 40),
}


@pytest.mark.parametrize("spoil", BAD_BUNDLES.values(), ids=BAD_BUNDLES)
def test_the_command_refuses_each_with_its_place_and_writes_nothing(spoil, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(spoiled(spoil)), encoding="utf-8")
    err = io.StringIO()
    before = database_state()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().startswith(f"{path}: ")
    assert database_state() == before


# A field an entry leaves out leaves the stored value as it is


@pytest.fixture
def stored():
    bundle = small_bundle()
    bundle["sources"][1]["derived_from"] = "wh-2024-11-fact-sheet"
    bundle["sources"][1]["notes"] = "Read in January."
    bundle["publishers"] = [{"name": "Defence Talks", "url": "https://dt.example"}]
    bundle["attributes"][0]["unit"] = None
    bundle["attributes"][0]["tolerance"] = "0.05"
    bundle["claims"][0].update(rank="preferred", notes="Checked.", valid_to="2026")
    bundle_import(bundle=bundle)
    return bundle


def bare(entry: dict, *keep: str) -> dict:
    return {name: value for name, value in entry.items() if name in keep}


def test_an_entry_that_leaves_fields_out_changes_only_what_it_gives(stored):
    before = Claim.objects.get(key="wh-callao-180m")
    sparse = {
        "format": "kb-bundle/1",
        "publishers": [{"name": "Defence Talks"}],
        "sources": [
            {**bare(stored["sources"][1], "key", "title", "kind"), "title": "Analysis, revised"}
        ],
        "entities": [bare(stored["entities"][0], "key", "kind", "name")],
        "attributes": [bare(stored["attributes"][0], "code", "label", "value_type")],
        "claims": [
            {**bare(stored["claims"][0], "key", "subject", "attribute", "value", "source",
                    "quote", "credibility"), "credibility": 1}
        ],
    }  # fmt: skip

    report = bundle_import(bundle=sparse)

    source = Source.objects.select_related("publisher", "derived_from").get(key="dt-2026-01")
    assert source.title == "Analysis, revised"
    assert (source.notes, source.publisher.name, source.derived_from.key) == (
        "Read in January.",
        "Defence Talks",
        "wh-2024-11-fact-sheet",
    )
    assert source.published_on.isoformat() == "2026-01-15"
    assert source.publisher.url == "https://dt.example"
    entity = Entity.objects.get(key="callao-naval-base")
    assert (entity.country, [a.name for a in entity.aliases.all()]) == (
        "PE",
        ["Base Naval del Callao"],
    )
    assert str(Attribute.objects.get(code="fms_case_value").tolerance) == "0.050000"
    claim = Claim.objects.get(key="wh-callao-180m")
    assert claim.credibility == 1
    assert (claim.rank, claim.notes) == ("preferred", "Checked.")
    assert (claim.valid_from, claim.valid_to, claim.claimed_on) == (
        before.valid_from,
        before.valid_to,
        before.claimed_on,
    )
    assert (claim.period_start, claim.period_end) == (before.period_start, before.period_end)
    assert report.updated["claims"] == 1 and report.updated["sources"] == 1
    assert report.unchanged["entities"] == 1 and report.unchanged["attributes"] == 1


def test_a_field_given_as_null_clears_the_stored_value(stored):
    cleared = copy.deepcopy(stored)
    cleared["sources"][1].update(notes=None, derived_from=None)
    cleared["claims"][0].update(notes=None, valid_to=None)

    bundle_import(bundle=cleared)

    source = Source.objects.get(key="dt-2026-01")
    assert (source.notes, source.derived_from) == ("", None)
    claim = Claim.objects.get(key="wh-callao-180m")
    assert (claim.notes, claim.valid_to) == ("", None)


def test_a_new_row_takes_the_defaults_of_the_fields_it_leaves_out(stored):
    bundle_import(
        bundle={
            "format": "kb-bundle/1",
            "attributes": [{"code": "staff", "label": "Staff", "value_type": "count"}],
        }
    )

    attribute = Attribute.objects.get(code="staff")
    assert (attribute.single_valued, str(attribute.approx_tolerance)) == (True, "0.100000")


def test_a_kept_date_that_the_new_one_contradicts_is_refused_with_its_place(stored):
    # The stored period ends in 2026; a start in 2027 would end it before it starts.
    later = {
        "format": "kb-bundle/1",
        "claims": [{**bare(stored["claims"][0], "key", "subject", "attribute", "value", "source",
                           "quote", "credibility"), "valid_from": "2027"}],
    }  # fmt: skip

    assert refused(later) == ["claims[0].valid_to: the valid period ends before it starts"]


# Whatever a field holds, the answer is an import or a list of problems


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", " ", "\x00", "\ud800", "2024-02-30", "1e999", "-1", "x" * 2001]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = [
    (section, index, name)
    for section, entries in small_bundle().items()
    if isinstance(entries, list)
    for index, entry in enumerate(entries)
    for name in [*entry, "value.amount", "value.currency"]
    if section == "claims" or not name.startswith("value.")
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=JSON)
def test_any_value_in_any_field_is_imported_or_refused_with_places(field, value):
    section, index, name = field
    bundle = small_bundle()
    entry = bundle[section][index]
    if name.startswith("value."):
        if not isinstance(entry["value"], dict):
            entry["value"] = {}
        entry["value"][name.removeprefix("value.")] = value
    else:
        entry[name] = value

    try:
        bundle_import(bundle=bundle)
    except BundleInvalid as error:
        assert error.problems
        assert all(problem.place and problem.message for problem in error.problems)
