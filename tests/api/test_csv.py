"""`?format=csv` on every list."""

from __future__ import annotations

import csv
import io

import pytest

from kb.models import Entity
from tests.api.conftest import claim

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_claims_csv_has_one_row_per_claim_with_flat_columns(api, small):
    found = rows(api.get("/api/v1/claims/", {"format": "csv", "source_key": "s-gov"}))

    assert [row["key"] for row in found] == ["c-value-180m", "c-staff-over-300", "c-signed-day"]
    first = found[0]
    assert first["subject.key"] == "deal-beta"
    assert first["value.display"] == "$180 million"
    assert first["value.amount"] == "180000000"
    assert first["source.title"] == "Government fact sheet on harbour bases"
    assert first["quote"] == "a $180 million sales case for the harbour bases"
    assert first["contradictions"] == str(claim("c-value-180m").contradictions.get().pk)


def test_the_claims_csv_keeps_its_columns_whatever_the_values(api, small):
    header = api.get("/api/v1/claims/", {"format": "csv", "key": "c-motto"}).content
    other = api.get("/api/v1/claims/", {"format": "csv", "key": "c-signed-day"}).content

    assert header.splitlines()[0] == other.splitlines()[0]


def test_a_csv_page_links_the_next_in_its_header(api, small):
    response = api.get("/api/v1/claims/", {"format": "csv", "page_size": 4})

    assert len(rows(response)) == 4
    assert 'rel="next"' in response["Link"]
    assert "format=csv" in response["Link"]


@pytest.mark.parametrize(
    ("url", "column"),
    [
        ("/api/v1/sources/", "title"),
        ("/api/v1/entities/", "aliases"),
        ("/api/v1/attributes/", "value_type"),
        ("/api/v1/contradictions/", "positions.0.display"),
    ],
)
def test_every_list_answers_csv(api, small, url, column):
    found = rows(api.get(url, {"format": "csv"}))

    assert found
    assert column in found[0]


def test_the_contradictions_csv_names_the_claims_of_each_position(api, small):
    found = rows(api.get("/api/v1/contradictions/", {"format": "csv", "attribute": "deal_value"}))

    assert found[0]["positions.0.display"] == "$180 million"
    assert found[0]["positions.0.claims"] == str(claim("c-value-180m").pk)
    assert found[0]["positions.1.claims"] == str(claim("c-value-1-5bn").pk)


def test_an_entitys_facts_as_csv_are_one_row_per_claim(api, small):
    entity = Entity.objects.get(key="deal-beta")

    found = rows(api.get(f"/api/v1/entities/{entity.pk}/facts/", {"format": "csv"}))

    assert [(row["attribute.code"], row["value"], row["claim.key"]) for row in found] == [
        ("deal_value", "$180 million", "c-value-180m"),
        ("deal_value", "$1.5 billion", "c-value-1-5bn"),
        ("signed_on", "May 19, 2023", "c-signed-day"),
        ("signed_on", "2023", "c-signed-year"),
    ]
    first = found[0]
    assert (first["entity.key"], first["entity.name"]) == ("deal-beta", "Beta Deal")
    assert (first["best"], first["holds"], first["contested"]) == ("True", "True", "True")
    assert (found[1]["best"], found[1]["holds"]) == ("False", "False")
    assert first["claim.source.title"] == "Government fact sheet on harbour bases"
    assert first["claim.source.reliability"] == "A"
    assert first["claim.quote"] == "a $180 million sales case for the harbour bases"
    assert first["claim.corroboration.independent"] == "1"
    # The row's entity and attribute are the claim's: not repeated.
    assert not any(column.startswith(("claim.subject.", "claim.attribute.")) for column in first)


def test_the_facts_csv_keeps_its_filters(api, small):
    entity = Entity.objects.get(key="deal-beta")

    found = rows(
        api.get(f"/api/v1/entities/{entity.pk}/facts/", {"format": "csv", "min_reliability": "B"})
    )

    assert [row["claim.key"] for row in found] == ["c-value-180m", "c-signed-day"]


def test_the_facts_csv_of_an_entity_without_claims_is_its_header(api, small):
    entity = Entity.objects.get(key="org-gamma")

    response = api.get(f"/api/v1/entities/{entity.pk}/facts/", {"format": "csv"})

    assert rows(response) == []
    assert response.content.decode().startswith("entity.id,entity.key,entity.name")
