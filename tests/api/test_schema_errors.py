"""The OpenAPI description documents every answer a read can give besides its 200, so that a
client (or a fuzzer) meets no status the schema does not name, and the errors' JSON body."""

from __future__ import annotations

import pytest
import yaml
from jsonschema import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def operations(api) -> list[tuple[str, dict]]:
    schema = yaml.safe_load(api.get("/api/schema/").content)
    return [(path, item["get"]) for path, item in schema["paths"].items()]


def test_every_read_documents_its_errors_and_the_not_modified_answer(operations):
    for path, operation in operations:
        assert {"200", "304", "400", "401", "403", "404", "406", "429"} <= set(
            operation["responses"]
        ), path


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/claims/?no_such_filter=1", 400),
        ("/api/v1/claims/?page_size=0", 400),
        ("/api/v1/claims/0/", 404),
        ("/api/v1/entities/1/facts/?format=nonsense", 404),
    ],
)
def test_the_error_bodies_are_what_the_schema_says(api, operations, url, status):
    response = api.get(url)
    assert response.status_code == status
    documented = dict(operations)
    path = next(p for p in documented if _matches(p, url.split("?")[0]))
    schema = documented[path]["responses"][str(status)]["content"]["application/json"]["schema"]
    validate(response.json(), schema)


def _matches(template: str, path: str) -> bool:
    parts, actual = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(actual) and all(
        p == a or p.startswith("{") for p, a in zip(parts, actual, strict=True)
    )
