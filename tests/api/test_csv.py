"""`?format=csv` on every list."""

from __future__ import annotations

import csv
import io

import pytest

from claims.bundles import bundle_import
from kb.api.renderers import spreadsheet_safe
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


# Safe to open in a spreadsheet, served as a file


FORMULAS = {
    '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0": "'+1+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(1,2)": "'@SUM(1,2)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
}


@pytest.fixture
def formulas(db):
    bundle_import(
        bundle={
            "format": "kb-bundle/1",
            "sources": [
                {"key": f"formula-{index}", "title": title, "kind": "other"}
                for index, title in enumerate([*FORMULAS, "-5", "+1.5", "-2e3", "plain title"])
            ],
        }
    )


def test_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text(api, formulas):
    response = api.get("/api/v1/sources/", {"format": "csv"})
    found = {row["key"]: row["title"] for row in rows(response)}

    for index, written in enumerate(FORMULAS.values()):
        assert found[f"formula-{index}"] == written
    # The JSON answer is the data as it is.
    titles = {row["title"] for row in api.get("/api/v1/sources/").json()["results"]}
    assert set(FORMULAS) <= titles


def test_plain_numbers_and_ordinary_text_are_left_as_they_are(api, formulas):
    found = {row["title"] for row in rows(api.get("/api/v1/sources/", {"format": "csv"}))}

    assert {"-5", "+1.5", "-2e3", "plain title"} <= found


@pytest.mark.parametrize(
    ("cell", "written"),
    [(-5, -5), ("-5", "-5"), ("-5 sailors", "'-5 sailors"), ("=", "'="), ("", ""), (None, None)],
)
def test_spreadsheet_safe_prefixes_only_what_could_start_a_formula(cell, written):
    assert spreadsheet_safe(cell) == written


def test_a_csv_list_is_served_as_a_file_named_after_the_endpoint(api, small):
    response = api.get("/api/v1/claims/", {"format": "csv"})

    assert response["Content-Disposition"] == 'attachment; filename="claims.csv"'
    detail = api.get(f"/api/v1/claims/{claim('c-motto').pk}/", {"format": "csv"})
    assert (
        detail["Content-Disposition"] == f'attachment; filename="claims-{claim("c-motto").pk}.csv"'
    )
    entity = Entity.objects.get(key="deal-beta")
    facts = api.get(f"/api/v1/entities/{entity.pk}/facts/", {"format": "csv"})
    assert facts["Content-Disposition"] == f'attachment; filename="entities-{entity.pk}-facts.csv"'


def test_a_json_answer_and_a_refused_csv_request_are_not_files(api, small):
    assert "Content-Disposition" not in api.get("/api/v1/claims/")
    refused = api.get("/api/v1/claims/", {"format": "csv", "claimed_after": "2024-1"})
    assert refused.status_code == 400
    assert "Content-Disposition" not in refused


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/claims/", {"key": "no-such-key"}),
        ("/api/v1/sources/", {"key": "no-such-key"}),
        ("/api/v1/attributes/", {"code": "no_such_code"}),
        ("/api/v1/contradictions/", {"status": "dismissed"}),
    ],
)
def test_an_empty_csv_list_still_has_its_header_row_and_content_type(api, small, url, params):
    response = api.get(url, {"format": "csv", **params})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("id,")
