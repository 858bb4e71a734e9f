"""The subject field's autocomplete: a small JSON answer for analysts, bounded whatever the
database holds."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.views import NOT_SIGNED_IN_AS_ANALYST
from kb.models import Entity, EntityAlias
from kb.selectors import AUTOCOMPLETE_LIMIT, AUTOCOMPLETE_MIN_LENGTH
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

URL = reverse("entity_autocomplete")


def suggest(client, query: str):
    return client.get(URL, {"q": query})


def test_an_analyst_gets_the_entities_whose_alias_matches_with_that_alias(client, analyst):
    namru = EntityFactory(key="namru-south", name="U.S. Naval Medical Research Unit SOUTH")
    EntityAlias.objects.create(entity=namru, name="NAMRU-SOUTH")
    EntityAlias.objects.create(entity=namru, name="Namru Sur")
    EntityFactory(key="callao", name="Callao")
    client.force_login(analyst)

    response = suggest(client, "namru")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "key": "namru-south",
                "name": "U.S. Naval Medical Research Unit SOUTH",
                "alias": "NAMRU-SOUTH",
                "kind": namru.get_kind_display(),
            }
        ]
    }


def test_names_that_start_with_the_query_come_first(client, analyst):
    EntityFactory(key="port-of-callao", name="Port of Callao")
    EntityFactory(key="callao", name="Callao")
    EntityFactory(key="callao-naval-base", name="Callao Naval Base")
    client.force_login(analyst)

    keys = [r["key"] for r in suggest(client, "callao").json()["results"]]

    assert keys == ["callao", "callao-naval-base", "port-of-callao"]


def test_a_query_shorter_than_the_minimum_suggests_nothing(client, analyst):
    EntityFactory(name="C")
    client.force_login(analyst)

    assert AUTOCOMPLETE_MIN_LENGTH == 2
    assert suggest(client, "c").json() == {"results": []}
    assert suggest(client, "  ").json() == {"results": []}


def test_at_most_twenty_entities_are_suggested_in_one_query(
    client, analyst, django_assert_max_num_queries
):
    for n in range(AUTOCOMPLETE_LIMIT + 10):
        EntityFactory(key=f"base-{n:02d}", name=f"Base {n:02d}")
    client.force_login(analyst)

    # The session, the user and their permissions (4 at most), then the suggestions.
    with django_assert_max_num_queries(5):
        results = suggest(client, "base").json()["results"]

    assert len(results) == AUTOCOMPLETE_LIMIT == 20
    assert results[0]["name"] == "Base 00"


def test_an_entity_merged_into_another_is_not_suggested(client, analyst):
    kept = EntityFactory(key="namru", name="NAMRU")
    EntityFactory(key="namru-dup", name="NAMRU dup", merged_into=kept)
    client.force_login(analyst)

    assert [r["key"] for r in suggest(client, "namru").json()["results"]] == ["namru"]


def test_an_anonymous_visitor_is_refused(client):
    EntityFactory(name="Callao")

    response = suggest(client, "callao")

    assert response.status_code == 403
    assert response.json() == {"error": NOT_SIGNED_IN_AS_ANALYST}


def test_a_reader_without_a_role_is_refused(client, researcher):
    EntityFactory(name="Callao")
    client.force_login(researcher)

    response = suggest(client, "callao")

    assert response.status_code == 403
    assert "results" not in response.json()
    assert Entity.objects.count() == 1
