"""The OpenAPI description matches what the API answers: every list and detail of the demo and
of the small knowledge base validates against its schema, read as JSON Schema (formats
checked), so a client generated from the schema accepts every answer."""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from claims.models import Claim, Contradiction
from kb.models import Entity
from sources.models import Source
from tests.api.conftest import LISTS

pytestmark = pytest.mark.django_db


FORMATS = FormatChecker()


@FORMATS.checks("uri")
def is_uri(value) -> bool:
    """An absolute URI, as OpenAPI's "uri" format means (jsonschema checks it only with an
    extra package)."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def as_json_schema(node, components: dict):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a null type (or a null choice
    beside a reference), and references point into the components."""
    if isinstance(node, list):
        return [as_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value, components) for key, value in node.items()}
    if "$ref" in node:
        node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.pop("nullable", False):
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            node["type"] = [*types, "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def validator(api):
    response = api.get("/api/schema/")
    schema = yaml.safe_load(response.content)
    components = schema["components"]["schemas"]
    defs = {name: as_json_schema(body, components) for name, body in components.items()}

    def for_path(path: str) -> Draft202012Validator:
        body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        root = as_json_schema(copy.deepcopy(body["schema"]), components)
        return Draft202012Validator({**root, "$defs": defs}, format_checker=FORMATS)

    return for_path


def problems(validator, data) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(data)
    ]


DETAILS = {
    "/api/v1/sources/{id}/": lambda: Source.objects.order_by("id"),
    "/api/v1/entities/{id}/": lambda: Entity.objects.order_by("id"),
    "/api/v1/claims/{id}/": lambda: Claim.objects.order_by("id"),
    "/api/v1/contradictions/{id}/": lambda: Contradiction.objects.order_by("id"),
    "/api/v1/entities/{id}/facts/": lambda: Entity.objects.order_by("id"),
}


@pytest.mark.parametrize("fixture", ["small", "demo"])
@pytest.mark.parametrize("path", LISTS)
def test_every_list_answer_fits_its_schema(api, validator, request, fixture, path):
    request.getfixturevalue(fixture)

    data = api.get(path, {"page_size": 1000}).json()

    assert data["results"]
    assert problems(validator(path), data) == []


@pytest.mark.parametrize("fixture", ["small", "demo"])
@pytest.mark.parametrize("path", DETAILS)
def test_every_detail_answer_fits_its_schema(api, validator, request, fixture, path):
    request.getfixturevalue(fixture)
    check = validator(path)

    found = [
        f"{row.pk}: {problem}"
        for row in DETAILS[path]()
        for problem in problems(check, api.get(path.replace("{id}", str(row.pk))).json())
    ]

    assert found == []


def test_a_source_without_a_url_or_an_original_is_described_as_the_api_gives_it(
    api, validator, small
):
    source = Source.objects.get(key="s-undated")
    data = api.get(f"/api/v1/sources/{source.pk}/").json()

    assert (data["url"], data["derived_from"], data["published_on"]) == ("", None, None)
    assert problems(validator("/api/v1/sources/{id}/"), data) == []
