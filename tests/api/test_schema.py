"""The OpenAPI 3 description at /api/schema/ and the documentation at /api/docs/."""

from __future__ import annotations

import re

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_openapi_3_and_covers_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/sources/", "/api/v1/sources/{id}/", "/api/v1/entities/",
        "/api/v1/entities/{id}/", "/api/v1/entities/{id}/facts/", "/api/v1/attributes/",
        "/api/v1/attributes/{code}/", "/api/v1/claims/", "/api/v1/claims/{id}/",
        "/api/v1/contradictions/", "/api/v1/contradictions/{id}/",
    }  # fmt: skip
    assert all(set(operations) == {"get"} for operations in schema["paths"].values())


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/api/v1/sources/", {"kind", "reliability", "published_after", "published_before", "q"}),
        ("/api/v1/entities/", {"kind", "q"}),
        ("/api/v1/attributes/", {"value_type"}),
        ("/api/v1/claims/", {
            "subject", "subject_key", "attribute", "source", "source_key", "key", "rank",
            "claimed_after", "claimed_before", "valid_at", "in_contradiction", "q", "as_of",
            "min_reliability", "min_credibility", "cursor", "page_size", "ordering", "format",
        }),
        ("/api/v1/contradictions/", {"status", "subject", "attribute", "outcome", "withdrawn"}),
        ("/api/v1/entities/{id}/facts/", {"as_of", "min_reliability", "min_credibility"}),
    ],
)  # fmt: skip
def test_the_schema_documents_the_filters_of_spec_section_5(schema, path, names):
    parameters = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}

    assert names <= parameters


def test_every_parameter_and_field_is_described(schema):
    undescribed = [
        f"{path} {parameter['name']}"
        for path, operations in schema["paths"].items()
        for parameter in operations["get"].get("parameters", [])
        if not parameter.get("description")
    ]
    undescribed += [
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        for field, definition in component.get("properties", {}).items()
        if not definition.get("description")
    ]

    assert undescribed == []


def test_the_claim_schema_has_the_fields_of_spec_section_5_and_its_extensions(schema):
    claim = schema["components"]["schemas"]["Claim"]["properties"]

    assert set(claim) == {
        "id", "key", "subject", "attribute", "value", "valid_from", "valid_to", "claimed_on",
        "source", "quote", "credibility", "rank", "contradictions", "all_contradictions",
        "corroboration",
    }  # fmt: skip


def test_the_documentation_loads_only_local_files(api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert references
    # Swagger UI's files, and its start-up script from this view (never inline: see the CSP).
    assert all(ref.startswith(("/static/", "/api/docs/?script")) for ref in references), references
    script = api.get("/api/docs/?script=").content.decode()
    assert "//" not in "".join(re.findall(r"""url:\s*["']([^"']+)""", script))
    assert '"/api/schema/"' in script


def test_no_query_parameter_carries_an_example_for_the_docs_to_fill_in(schema):
    with_examples = [
        f"{path} {parameter['name']}"
        for path, operations in schema["paths"].items()
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query"
        and ("example" in parameter or "examples" in parameter or "example" in parameter["schema"])
    ]

    assert with_examples == []


def test_the_schema_describes_the_new_fields_of_contradictions_and_positions(schema):
    components = schema["components"]["schemas"]

    assert {
        "origin", "flag_note", "flagged_by", "resolved_by", "reopened_at", "reopen_reason",
        "withdrawn_at", "withdrawn_reason", "decisions",
    } <= set(components["Contradiction"]["properties"])  # fmt: skip
    assert set(components["Position"]["properties"]) == {"display", "corroboration", "claims"}
    assert set(components["Corroboration"]["properties"]) == {
        "independent",
        "best_grade",
        "origins",
    }
    assert set(components["Decision"]["properties"]) == {
        "decided_at",
        "by",
        "status",
        "outcome",
        "note",
    }
