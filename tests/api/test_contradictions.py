"""The contradictions list and detail: positions side by side, filters, withdrawn ones."""

from __future__ import annotations

import pytest
from django.utils import timezone

from claims.models import Claim, Contradiction
from claims.services import claim_create, contradiction_flag, contradiction_resolve, value_parse
from kb.models import Entity
from tests.api.conftest import claim, contradiction_of, count_queries

pytestmark = pytest.mark.django_db

CONTRADICTIONS = "/api/v1/contradictions/"
FIELDS = {
    "id", "status", "outcome", "note", "subject", "attribute", "detected_at", "resolved_at",
    "positions",
}  # fmt: skip
# Beyond SPEC section 5: what the contradiction's page says.
EXTENDED_FIELDS = {
    "origin", "flag_note", "flagged_by", "resolved_by", "reopened_at", "reopen_reason",
    "withdrawn_at", "withdrawn_reason", "decisions",
}  # fmt: skip


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def resolve(contradiction: Contradiction, outcome: str, status: str = "resolved") -> None:
    Contradiction.objects.filter(pk=contradiction.pk).update(
        status=status, outcome=outcome, note="Checked.", resolved_at=timezone.now()
    )


def test_a_contradiction_has_the_fields_of_spec_section_5_and_its_extensions_only(api, small):
    contradiction = contradiction_of("deal_value")

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    assert set(data) == FIELDS | EXTENDED_FIELDS
    assert set(data["positions"][0]) == {"display", "corroboration", "claims"}
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


def test_a_contradictions_claims_show_its_subject_and_attribute(api, demo):
    contradiction = contradiction_of("fms_case_value")

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    for position in data["positions"]:
        for shown in position["claims"]:
            assert shown["subject"] == data["subject"]
            assert shown["attribute"] == data["attribute"]
            # As the claims endpoint shows the same claim.
            alone = api.get(f"/api/v1/claims/{shown['id']}/").json()
            assert (shown["subject"], shown["attribute"]) == (alone["subject"], alone["attribute"])


def test_a_claim_naming_another_subject_than_its_contradiction_shows_its_own(api, demo):
    # Never written so (detection and flags keep a contradiction to one subject and
    # attribute), but should a claim be moved behind the service's back, it reads as it is.
    contradiction = contradiction_of("fms_case_value")
    moved = contradiction.claims.order_by("pk").first()
    other = Entity.objects.exclude(pk=contradiction.subject_id).order_by("pk").first()
    Claim.objects.filter(pk=moved.pk).update(subject=other)

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    shown = {c["id"]: c for p in data["positions"] for c in p["claims"]}
    assert shown[moved.pk]["subject"]["key"] == other.key
    assert {c["subject"]["key"] for i, c in shown.items() if i != moved.pk} == {
        data["subject"]["key"]
    }


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

    # The data's version, the page, its positions, the claims giving their values, their
    # sources with their derivation chains, the decisions.
    assert one_row == many_rows <= 6


# What the contradiction's page says, the API says too.


def test_a_detected_contradiction_says_so_and_has_no_decisions(api, small):
    data = api.get(f"{CONTRADICTIONS}{contradiction_of('deal_value').pk}/").json()

    assert data["origin"] == "automatic"
    assert (data["flag_note"], data["flagged_by"]) == ("", None)
    assert (data["reopened_at"], data["reopen_reason"]) == (None, "")
    assert (data["withdrawn_at"], data["withdrawn_reason"]) == (None, "")
    assert (data["resolved_by"], data["decisions"]) == (None, [])


def test_a_hand_flag_carries_its_note_and_who_flagged(api, small, analyst):
    flagged = contradiction_flag(
        claims=[claim("c-staff-nearly-180"), claim("c-staff-range")],
        note="Two names for one unit.",
        user=analyst,
        key=None,
    )

    data = api.get(f"{CONTRADICTIONS}{flagged.pk}/").json()

    assert data["origin"] == "manual"
    assert data["flag_note"] == "Two names for one unit."
    assert data["flagged_by"] == "ana"


def decide(contradiction, user, outcome: str, note: str, position: int | None = 0):
    contradiction.refresh_from_db()
    return contradiction_resolve(
        contradiction=contradiction, outcome=outcome, note=note, user=user,
        version=contradiction.version, position=position,
    )  # fmt: skip


def test_every_decision_is_listed_oldest_first_with_who_and_why(api, small, editor):
    contradiction = contradiction_of("deal_value")
    decide(contradiction, editor, "one_is_wrong", "The fact sheet is primary.")
    decide(contradiction, editor, "sources_disagree", "On reflection, unsettled.", None)

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    assert [(d["by"], d["status"], d["outcome"], d["note"]) for d in data["decisions"]] == [
        ("eddie", "resolved", "one_is_wrong", "The fact sheet is primary."),
        ("eddie", "resolved", "sources_disagree", "On reflection, unsettled."),
    ]
    assert data["decisions"][-1]["decided_at"] == data["resolved_at"]
    assert data["resolved_by"] == "eddie"


def test_a_reopened_contradiction_says_which_claim_reopened_it(api, small, editor):
    contradiction = contradiction_of("deal_value")
    decide(contradiction, editor, "one_is_wrong", "The fact sheet is primary.")
    blog = claim("c-value-1-5bn")
    claim_create(
        key="c-value-1-5bn-again", subject=blog.subject, attribute=blog.attribute,
        source=claim("c-operator").source, quote="1.5 billion dollars", credibility=3,
        value=value_parse(attribute=blog.attribute, text="$1.5 billion"),
    )  # fmt: skip

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    assert data["status"] == "open"
    assert "c-value-1-5bn-again" in data["reopen_reason"]
    assert data["reopened_at"] is not None
    # The decision it was reopened from stays on record.
    assert [d["outcome"] for d in data["decisions"]] == ["one_is_wrong"]


def test_a_withdrawn_contradiction_says_when_and_why(api, small):
    contradiction = contradiction_of("lethal")
    Contradiction.objects.filter(pk=contradiction.pk).update(
        withdrawn_at=timezone.now(), withdrawn_reason="The claims no longer conflict."
    )

    data = api.get(f"{CONTRADICTIONS}{contradiction.pk}/").json()

    assert data["withdrawn_at"] is not None
    assert data["withdrawn_reason"] == "The claims no longer conflict."


def test_a_claim_lists_every_contradiction_it_stands_in_with_its_status(api, small):
    decided, withdrawn = contradiction_of("deal_value"), contradiction_of("lethal")
    resolve(decided, "sources_disagree")
    Contradiction.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())

    first = api.get(f"/api/v1/claims/{claim('c-value-1-5bn').pk}/").json()
    second = api.get(f"/api/v1/claims/{claim('c-lethal-no').pk}/").json()

    # SPEC section 5's open ones: none; every one, with its status and the claim's position.
    assert first["contradictions"] == second["contradictions"] == []
    assert first["all_contradictions"] == [
        {"id": decided.pk, "status": "resolved", "outcome": "sources_disagree",
         "withdrawn": False, "position": 1}
    ]  # fmt: skip
    assert second["all_contradictions"] == [
        {"id": withdrawn.pk, "status": "open", "outcome": None, "withdrawn": True,
         "position": 0}
    ]  # fmt: skip


def test_decisions_cost_one_query_for_a_whole_page(api, small, editor):
    for code in ("deal_value", "lethal"):
        decide(contradiction_of(code), editor, "sources_disagree", "Unsettled.", None)

    one_row = count_queries(lambda: api.get(CONTRADICTIONS, {"page_size": 1}))
    many_rows = count_queries(lambda: api.get(CONTRADICTIONS, {"page_size": 100}))

    assert one_row == many_rows <= 6
    found = api.get(CONTRADICTIONS).json()["results"]
    assert [len(row["decisions"]) for row in found] == [1, 1]


def test_a_contradiction_never_decided_reads_no_decision_history(api, small, editor):
    undecided, other = contradiction_of("deal_value"), contradiction_of("lethal")
    path = f"{CONTRADICTIONS}{undecided.pk}/"

    before = count_queries(lambda: api.get(path))
    decide(other, editor, "sources_disagree", "Unsettled.", None)
    decide(undecided, editor, "one_is_wrong", "The fact sheet is primary.")
    after = count_queries(lambda: api.get(path))

    assert after == before + 1  # the decision history, read only once there is one
    assert len(api.get(path).json()["decisions"]) == 1
