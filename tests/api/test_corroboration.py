"""Independent corroboration in the API: each position of a contradiction and each claim say
how many independent sources back them, naming each origin and its copies."""

from __future__ import annotations

import csv
import io

import pytest

from claims.bundles import bundle_import
from sources.models import Source
from tests.api.conftest import claim, count_queries

pytestmark = pytest.mark.django_db

SUBJECTS = ("deal-x", "deal-y", "deal-z")

# The wire story, a copy of it and a copy of that copy; an independent paper; in the other
# camp, one more source and a copy of the wire story that gives the other value.
SOURCES = [
    {"key": "wire", "title": "Wire story", "kind": "news", "reliability": "B"},
    {"key": "copy", "title": "Paper copying the wire", "kind": "news", "reliability": "A",
     "derived_from": "wire"},
    {"key": "copy-of-copy", "title": "Blog copying the paper", "kind": "opinion",
     "reliability": "C", "derived_from": "copy"},
    {"key": "indep", "title": "Independent paper", "kind": "news", "reliability": "C"},
    {"key": "other", "title": "Other camp", "kind": "analysis", "reliability": "D"},
    {"key": "cross", "title": "Wire copy, other figure", "kind": "aggregator",
     "reliability": "E", "derived_from": "wire"},
]  # fmt: skip
VALUES = {"wire": "$5 million", "copy": "$5 million", "copy-of-copy": "$5 million",
          "indep": "$5 million", "other": "$9 million", "cross": "$9 million"}  # fmt: skip


@pytest.fixture
def copied(db):
    bundle_import(
        bundle={
            "format": "kb-bundle/1",
            "sources": SOURCES,
            "entities": [{"key": key, "kind": "agreement", "name": key} for key in SUBJECTS],
            "attributes": [{"code": "deal_value", "label": "Deal value", "value_type": "money"}],
            "claims": [
                {
                    "key": f"{subject}-{source}",
                    "subject": subject,
                    "attribute": "deal_value",
                    "value": value,
                    "source": source,
                    "credibility": 3,
                    "quote": value,
                }
                for subject in SUBJECTS
                for source, value in VALUES.items()
            ],
        }
    )


def names(origin: dict) -> tuple:
    return origin["key"], [copy["key"] for copy in origin["copies"]]


def positions_of(api, subject: str) -> list[dict]:
    response = api.get("/api/v1/contradictions/", {"subject_key": subject})
    assert response.status_code == 200, response.content
    (contradiction,) = response.json()["results"]
    return contradiction["positions"]


def test_a_chain_of_copies_in_a_position_counts_once_naming_its_origin(api, copied):
    first, _ = positions_of(api, "deal-x")

    assert first["display"] == "$5 million"
    corroboration = first["corroboration"]
    assert corroboration["independent"] == 2
    assert [names(origin) for origin in corroboration["origins"]] == [
        ("wire", ["copy", "copy-of-copy"]),
        ("indep", []),
    ]


def test_the_best_grade_is_the_origins_not_a_better_graded_copys(api, copied):
    first, _ = positions_of(api, "deal-x")

    # The copy is graded A, the wire story it repeats B.
    assert first["corroboration"]["best_grade"] == "B"
    assert [origin["grade"] for origin in first["corroboration"]["origins"]] == ["B", "C"]


def test_a_copy_whose_origin_is_in_the_other_position_counts_for_itself(api, copied):
    _, second = positions_of(api, "deal-x")

    corroboration = second["corroboration"]
    assert corroboration["independent"] == 2
    assert corroboration["best_grade"] == "D"
    cross = next(o for o in corroboration["origins"] if o["key"] == "cross")
    assert cross["repeats"] == {"id": cross["repeats"]["id"], "key": "wire", "title": "Wire story"}


def test_a_claim_counts_the_independent_sources_giving_its_value(api, copied):
    data = api.get(f"/api/v1/claims/{claim('deal-x-copy-of-copy').pk}/").json()

    assert data["corroboration"]["independent"] == 2
    assert [names(o) for o in data["corroboration"]["origins"]] == [
        ("wire", ["copy", "copy-of-copy"]),
        ("indep", []),
    ]
    # Only the claims of the same subject count.
    assert all(o["key"] != "deal-y" for o in data["corroboration"]["origins"])


def test_a_claim_with_no_copies_around_counts_one(api, small):
    data = api.get(f"/api/v1/claims/{claim('c-motto').pk}/").json()

    assert data["corroboration"] == {
        "independent": 1,
        "best_grade": "C",
        "origins": [
            {"id": claim("c-motto").source_id, "key": "s-news",
             "title": "Daily report on the navy", "grade": "C", "copies": [], "repeats": None}
        ],
    }  # fmt: skip


def test_the_claims_csv_carries_the_count_and_the_origins(api, copied):
    response = api.get("/api/v1/claims/", {"format": "csv", "key": "deal-x-copy"})
    (row,) = csv.DictReader(io.StringIO(response.content.decode()))

    assert row["corroboration.independent"] == "2"
    assert row["corroboration.best_grade"] == "B"
    sources = {source.key: source.pk for source in Source.objects.all()}
    assert row["corroboration.origins"] == f"{sources['wire']};{sources['indep']}"


def test_the_contradictions_list_costs_the_same_queries_with_copies_around(api, copied):
    one_row = count_queries(lambda: api.get("/api/v1/contradictions/", {"page_size": 1}))
    many_rows = count_queries(lambda: api.get("/api/v1/contradictions/", {"page_size": 100}))

    # The data's version, the page, its positions, the claims giving their values, their
    # sources' derivation chains, the decisions.
    assert one_row == many_rows <= 6


def test_the_claims_list_costs_the_same_queries_with_copies_around(api, copied):
    one_row = count_queries(lambda: api.get("/api/v1/claims/", {"page_size": 1}))
    many_rows = count_queries(lambda: api.get("/api/v1/claims/", {"page_size": 100}))

    # The data's version, the page, the claims giving their values, the derivation chains.
    assert one_row == many_rows <= 4


def test_an_entitys_facts_cost_the_same_queries_with_copies_around(
    api, copied, django_assert_max_num_queries
):
    from kb.models import Entity

    entity = Entity.objects.get(key="deal-x")
    with django_assert_max_num_queries(6):
        facts = api.get(f"/api/v1/entities/{entity.pk}/facts/").json()["facts"]

    best = facts[0]["best"]["claims"][0]
    assert best["corroboration"]["independent"] == 2


def test_the_planned_representations_match_drfs_walk(api, copied, editor, monkeypatch):
    from rest_framework import serializers

    from claims.models import Contradiction
    from claims.serializers import PlannedSerializer
    from claims.services import contradiction_resolve

    contradiction = Contradiction.objects.order_by("id").first()
    contradiction_resolve(
        contradiction=contradiction, outcome="sources_disagree", note="Unsettled.", user=editor,
        version=contradiction.version,
    )  # fmt: skip
    urls = ["/api/v1/contradictions/", "/api/v1/claims/?page_size=100"]
    planned = [api.get(url).json() for url in urls]
    monkeypatch.setattr(
        PlannedSerializer,
        "to_representation",
        lambda self, instance: serializers.Serializer.to_representation(self, instance),
    )

    assert [api.get(url).json() for url in urls] == planned
    assert planned[0]["results"][0]["decisions"][0]["by"] == "eddie"
    assert any(o["copies"] for c in planned[1]["results"] for o in c["corroboration"]["origins"])
