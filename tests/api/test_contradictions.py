"""The contradictions list and detail: positions side by side, filters, withdrawn ones."""

from __future__ import annotations

import pytest
from django.utils import timezone

from claims.models import Contradiction
from claims.services import claim_create, value_parse
from tests.api.conftest import claim, contradiction_of, count_queries

pytestmark = pytest.mark.django_db

CONTRADICTIONS = "/api/v1/contradictions/"
FIELDS = {
    "id", "status", "outcome", "note", "subject", "attribute", "detected_at", "resolved_at",
    "positions",
}  # fmt: skip


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def resolve(contradiction: Contradiction, outcome: str, status: str = "resolved") -> None:
    Contradiction.objects.filter(pk=contradiction.pk).update(
        status=status, outcome=outcome, note="Checked.", resolved_at=timezone.now()
    )


def test_a_contradiction_has_exactly_the_fields_of_spec_section_5(api, small):
    contradiction = contradiction_of("deal_value")

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    assert set(data) == FIELDS
    assert data["status"] == "open"
    assert data["outcome"] is None
    assert data["resolved_at"] is None
    assert data["subject"]["key"] == "deal-beta"
    assert data["attribute"] == {"code": "deal_value", "label": "Deal value"}


def test_the_callao_contradiction_lays_its_positions_side_by_side(api, demo):
    contradiction = contradiction_of("fms_case_value")

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    assert [position["display"] for position in data["positions"]] == [
        "$180 million",
        "$1.5 billion",
    ]
    first, second = data["positions"]
    assert [c["source"]["key"] for c in first["claims"]] == ["wh-2024-11-fact-sheet"]
    assert [c["source"]["key"] for c in second["claims"]] == ["defencetalks-2026-callao-fms"]
    # The claims are whole claims, as the claims endpoint gives them.
    assert set(first["claims"][0]) >= {"quote", "value", "credibility", "contradictions"}
    assert first["claims"][0]["contradictions"] == [contradiction.pk]


@pytest.mark.parametrize(
    ("params", "attributes"),
    [
        ({}, ["deal_value", "lethal"]),
        ({"status": "open"}, ["lethal"]),
        ({"status": "resolved"}, ["deal_value"]),
        ({"status": "dismissed"}, []),
        ({"outcome": "one_is_wrong"}, ["deal_value"]),
        ({"attribute": "lethal"}, ["lethal"]),
        ({"subject_key": "deal-beta"}, ["deal_value"]),
    ],
)
def test_the_contradictions_list_filters(api, small, params, attributes):
    resolve(contradiction_of("deal_value"), "one_is_wrong")
    expected = [contradiction_of(code).pk for code in attributes]

    assert ids(api.get(CONTRADICTIONS, params)) == sorted(expected)


def test_the_subject_filter_takes_an_id(api, small):
    lethal = contradiction_of("lethal")

    assert ids(api.get(CONTRADICTIONS, {"subject": lethal.subject_id})) == [lethal.pk]


def test_withdrawn_contradictions_are_left_out_unless_asked_for(api, small):
    withdrawn = contradiction_of("lethal")
    Contradiction.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    current = contradiction_of("deal_value")

    assert ids(api.get(CONTRADICTIONS)) == [current.pk]
    assert ids(api.get(CONTRADICTIONS, {"withdrawn": "true"})) == [withdrawn.pk]
    assert ids(api.get(CONTRADICTIONS, {"withdrawn": "any"})) == sorted([current.pk, withdrawn.pk])
    assert api.get(f"{CONTRADICTIONS}{withdrawn.pk}/").status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"status": "closed"}, {"outcome": "nobody"}, {"subject": "x"}, {"withdrawn": "perhaps"}],
)
def test_a_bad_contradiction_filter_is_a_400_that_names_it(api, small, params):
    response = api.get(CONTRADICTIONS, params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_a_position_groups_the_claims_that_agree(api, small):
    # A third claim agreeing with $180 million joins its position.
    first = claim("c-value-180m")
    claim_create(
        key="c-value-180m-again", subject=first.subject, attribute=first.attribute,
        source=claim("c-operator").source, value=value_parse(attribute=first.attribute,
        text="$180 million"), quote="180 million dollars", credibility=3,
    )  # fmt: skip

    data = api.get(f"{CONTRADICTIONS}{contradiction_of('deal_value').pk}/").json()

    assert [[c["key"] for c in p["claims"]] for p in data["positions"]] == [
        ["c-value-180m", "c-value-180m-again"],
        ["c-value-1-5bn"],
    ]


def test_the_contradictions_list_costs_the_same_queries_whatever_the_page_size(api, demo):
    one_row = count_queries(lambda: api.get(CONTRADICTIONS, {"page_size": 1}))
    many_rows = count_queries(lambda: api.get(CONTRADICTIONS, {"page_size": 100}))

    assert one_row == many_rows <= 3
