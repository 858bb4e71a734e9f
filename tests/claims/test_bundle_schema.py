"""The structure of kb-bundle/1 as a JSON Schema: every structural error is said once, in the
words of one table, at its place in the bundle."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from claims.bundles import BUNDLE_SCHEMA, MESSAGES, BundleInvalid, bundle_export, bundle_import
from claims.bundles.schema import SECTIONS, bundle_check, item_check, problems_of
from claims.models import Claim
from tests.claims.test_bundles import small_bundle

pytestmark = pytest.mark.django_db

# Keywords that shape the schema rather than test a value: they need no message.
ANNOTATIONS = {"$schema", "$defs", "$ref", "title", "description", "properties", "items"}


def keywords(schema) -> set[str]:
    """Every keyword the schema uses, at any depth (property names are not keywords)."""
    if isinstance(schema, list):
        return set().union(*map(keywords, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for name, value in schema.items():
        if name in ("properties", "$defs"):
            found |= set().union(*map(keywords, value.values()))
        elif name not in ("enum", "const", "required"):
            found |= keywords(value)
    return found


def refused(bundle) -> list[str]:
    with pytest.raises(BundleInvalid) as error:
        bundle_import(bundle=bundle)
    return [str(problem) for problem in error.value.problems]


def test_the_schema_is_a_valid_json_schema_of_draft_2020_12():
    Draft202012Validator.check_schema(BUNDLE_SCHEMA)


def test_every_keyword_the_schema_tests_values_with_has_its_message_in_the_table():
    assert keywords(BUNDLE_SCHEMA) - ANNOTATIONS <= set(MESSAGES)


def test_the_demo_and_its_export_fit_the_schema(demo_bundle):
    bundle_import(bundle=demo_bundle)

    validator = Draft202012Validator(BUNDLE_SCHEMA)
    assert list(validator.iter_errors(demo_bundle)) == []
    assert list(validator.iter_errors(bundle_export())) == []


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda b: b["sources"][1].pop("kind"), 'sources[1]: missing "kind"'),
        (lambda b: b.update(colour="red"), "colour: unknown section"),
        (lambda b: b["claims"][0].update(colour="red"), "claims[0].colour: unknown field"),
        (lambda b: b["claims"][0]["value"].update(colour="red"), "claims[0].value.colour: unknown field"),
        (lambda b: b.update(claims={}), "claims: expected a list"),
        (lambda b: b["claims"].append("a claim"), "claims[4]: expected a JSON object"),
        (lambda b: b["claims"][0].update(credibility="2"), "claims[0].credibility: expected a whole number"),
        (lambda b: b["claims"][0].update(credibility=0), "claims[0].credibility: credibility must be a whole number from 1 to 6"),
        (lambda b: b["claims"][0].update(value=12), "claims[0].value: expected a string or a JSON object"),
        (lambda b: b["claims"][0]["value"].update(currency=840), 'claims[0].value.currency: expected an ISO 4217 code such as "USD"'),
        (lambda b: b["claims"][0]["value"].update(amount="lots"), 'claims[0].value.amount: "lots" is not a number such as "180000000"'),
        (lambda b: b["claims"][0]["value"].update(qualifier="roughly"), 'claims[0].value.qualifier: unknown qualifier "roughly": use one of exact, approximately, at_least, at_most, range'),
        (lambda b: b["sources"][1].update(published_on=2026), 'sources[1].published_on: expected a date such as "2023", "2023-05" or "2023-05-19"'),
        (lambda b: b.update(format="kb-bundle/2"), 'format: expected "kb-bundle/1", not "kb-bundle/2"'),
        (lambda b: b["sources"][0].update(reliability="G"), 'sources[0].reliability: unknown reliability grade "G": use one of A, B, C, D, E, F'),
        (lambda b: b["attributes"][0].update(value_type="float"), 'attributes[0].value_type: unknown value type "float": use one of money'),
        (lambda b: b["entities"][0].update(country="Peru"), 'entities[0].country: "Peru" is not an ISO 3166 alpha-2 code such as "PE"'),
        (lambda b: b["entities"][0].update(aliases=["Callao", 7]), "entities[0].aliases[1]: expected a string"),
        (lambda b: b["attributes"][0].update(code="FMS"), "attributes[0].code: \"FMS\" is not an attribute code (lower-case letters, digits and '_' only)"),
        (lambda b: b["sources"][0].update(key="fact-sheet\n"), 'sources[0].key: "fact-sheet\\n" is not a key'),
        (lambda b: b["claims"][0].update(quote=""), "claims[0].quote: must not be empty"),
        (lambda b: b["claims"][0].update(key="k" * 201), "claims[0].key: longer than 200 characters"),
    ],
)  # fmt: skip
def test_a_structural_error_is_said_in_the_words_of_the_table_at_its_place(spoil, expected):
    bad = copy.deepcopy(small_bundle())
    spoil(bad)

    problems = refused(bad)

    assert any(problem.startswith(expected) for problem in problems), problems
    assert Claim.objects.count() == 0


def test_a_field_of_the_wrong_type_is_reported_once_and_not_read_for_its_meaning():
    bad = small_bundle()
    bad["sources"][1]["published_on"] = 2026
    bad["claims"][0]["value"]["amount"] = "lots"

    problems = refused(bad)

    assert [p for p in problems if p.startswith("sources[1].published_on")] == [
        'sources[1].published_on: expected a date such as "2023", "2023-05" or "2023-05-19"'
    ]
    assert [p for p in problems if p.startswith("claims[0].value")] == [
        'claims[0].value.amount: "lots" is not a number such as "180000000"'
    ]


def test_structure_and_meaning_are_both_reported_in_one_refusal():
    bad = small_bundle()
    bad["sources"][0]["reliability"] = "Z"  # structure: not a grade
    bad["claims"][2]["subject"] = "atlantis"  # meaning: no such entity

    problems = refused(bad)

    assert problems == [
        'sources[0].reliability: unknown reliability grade "Z": use one of A, B, C, D, E, F',
        'claims[2].subject: unknown entity "atlantis"',
    ]


def test_a_bundle_that_is_not_an_object_is_refused_at_once():
    assert refused([small_bundle()]) == ["bundle: expected a JSON object"]


def test_item_by_item_checks_find_what_the_whole_schema_finds():
    """The importer checks item by item (to show progress); the schema document as a whole
    finds the same problems, so it can be handed to anyone who writes bundles."""
    bad = small_bundle()
    bad["extra"] = 1
    bad["sources"][0].pop("kind")
    bad["entities"][1]["aliases"] = "Iquitos"
    bad["claims"][0]["value"]["qualifier"] = "roughly"
    bad["claims"][3]["credibility"] = 9

    whole = problems_of(Draft202012Validator(BUNDLE_SCHEMA).iter_errors(bad))
    piecewise = bundle_check(bad).problems + [
        problem
        for section in SECTIONS
        for index, item in enumerate(bad.get(section, []))
        for problem in item_check(item, section, index).problems
    ]

    assert sorted(map(str, whole)) == sorted(map(str, piecewise))
    assert len(whole) == 5
