"""The entities list and detail."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb import filters as kb_filters
from kb.models import Entity
from tests import reads
from tests.api.conftest import count_queries, keys

pytestmark = pytest.mark.django_db

ENTITIES = "/api/v1/entities/"


def test_an_entity_shows_its_aliases(api, small):
    entity = Entity.objects.get(key="port-alpha")

    data = api.get(f"{ENTITIES}{entity.pk}/").json()

    assert data["name"] == "Port Alpha"
    assert data["kind"] == "base"
    assert data["aliases"] == ["Alpha Harbour"]
    assert data["merged_into"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["port-alpha", "deal-beta", "org-gamma"]),
        ({"kind": "agreement"}, ["deal-beta"]),
        ({"q": "gamma"}, ["org-gamma"]),
        ({"q": "harbour"}, ["port-alpha"]),
        ({"q": "Alpha Harbour"}, ["port-alpha"]),
        ({"q": "beta", "kind": "base"}, []),
        ({"key": "deal-beta"}, ["deal-beta"]),
    ],
)
def test_the_entities_list_filters_by_kind_and_name_or_alias(api, small, params, expected):
    assert keys(api.get(ENTITIES, params)) == expected


@pytest.mark.postgres_only
@pytest.mark.parametrize("rare", [True, False])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "harbour"}, ["port-alpha"]),
        ({"q": "Alpha Harbour"}, ["port-alpha"]),
        ({"q": "ports"}, ["port-alpha"]),  # stemmed
        ({"q": "the"}, ["port-alpha", "deal-beta", "org-gamma"]),  # stop words filter nothing
        ({"q": "gamma harbour"}, []),
        ({"q": "zzz"}, []),
    ],
)
@pytest.mark.usefixtures("sql_as_text")
def test_rare_and_common_words_find_the_same_entities(
    api, small, monkeypatch, rare, params, expected
):
    # A rare word's entities are gathered first through the name and alias indexes
    # (EntityNamed); a common word's are tested row by row in order. Which a word is
    # depends on RARE_ENTITIES: both ways find the same entities.
    monkeypatch.setattr(kb_filters, "RARE_ENTITIES", 10_000 if rare else 0)

    with CaptureQueriesContext(connection) as queries:
        found = keys(api.get(ENTITIES, params))

    assert found == expected
    gathered = [
        q["sql"] for q in queries.captured_queries if "= ANY(ARRAY(SELECT id FROM" in q["sql"]
    ]
    # A word in no name at all ("zzz") is rare at any limit; a stop word, which matches every
    # entity, never is (gathering it would gather them all).
    if params["q"] == "the":
        assert not gathered
    else:
        assert bool(gathered) == (rare or params["q"] == "zzz")


def test_an_entity_merged_into_another_leaves_the_list_but_keeps_its_page(api, small):
    duplicate = Entity.objects.get(key="org-gamma")
    Entity.objects.filter(pk=duplicate.pk).update(merged_into=Entity.objects.get(key="port-alpha"))

    assert "org-gamma" not in keys(api.get(ENTITIES))
    page = api.get(f"{ENTITIES}{duplicate.pk}/").json()
    assert page["merged_into"] == Entity.objects.get(key="port-alpha").pk


def test_a_bad_entity_kind_is_a_400(api, small):
    response = api.get(ENTITIES, {"kind": "planet"})

    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_the_entities_list_costs_the_same_queries_whatever_the_page_size(api, demo):
    assert (
        count_queries(lambda: api.get(ENTITIES, {"page_size": 1}))
        == count_queries(lambda: api.get(ENTITIES, {"page_size": 100}))
        <= 2 + reads.rows_by_ids()
    )
