"""The read API gives what the serializers it had before gave (tests/api/reference_serializers.py),
byte for byte: every endpoint, list and detail, JSON and CSV, every page of representative
filters, orderings and page sizes, on the demo bundle and on a synthetic one. Whatever builds
the rows now, a client sees no difference."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db.models import Count

from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Attribute, Claim, Contradiction
from claims.services import contradiction_resolve
from kb.models import Entity
from sources.models import Source
from tests.api import reference_serializers as reference

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["demo", "synthetic"])
def bundle(request, db, demo_bundle):
    if request.param == "demo":
        bundle_import(bundle=demo_bundle)
    else:
        bundle_import(bundle=synthetic_bundle(claims=300))
    return request.param


def get(api, url: str):
    """A GET, its client's throttle count cleared first (these tests make hundreds)."""
    cache.clear()
    return api.get(url)


def rendered(response, data) -> bytes:
    """`data` as the response's format and renderer write it."""
    return response.accepted_renderer.render(
        data, response.accepted_media_type, response.renderer_context
    )


def csv_rows(response) -> int:
    return len(list(csv.reader(io.StringIO(response.content.decode())))) - 1


def next_link(response) -> str | None:
    if response["Content-Type"].startswith("text/csv"):
        for part in response.get("Link", "").split(", "):
            if part.endswith('rel="next"'):
                return part[1 : part.index(">")]
        return None
    return response.json()["next"]


def assert_pages(api, path: str, params: dict, expected: list[dict]) -> None:
    """Every page of the list at `path` (its next links followed) is the page of `expected`
    it stands for, byte for byte, links included."""
    url = f"{path}?{urlencode(params)}"
    page_size = int(params.get("page_size", 50))
    offset = pages = 0
    while url:
        response = get(api, url)
        assert response.status_code == 200, response.content
        if params.get("format") == "csv":
            shown = csv_rows(response)
            data = {"results": expected[offset : offset + shown]}
        else:
            body = response.json()
            shown = len(body["results"])
            data = {
                "next": body["next"],
                "previous": body["previous"],
                "results": expected[offset : offset + shown],
            }
        assert response.content == rendered(response, data), (url, offset)
        url = next_link(response)
        if url:
            assert shown == page_size
        offset += shown
        pages += 1
    assert offset == len(expected)
    assert pages >= 1


def assert_detail(api, url: str, expected) -> None:
    response = get(api, url)
    assert response.status_code == 200, response.content
    assert response.content == rendered(response, expected), url


def busiest_entities(count: int) -> list[int]:
    return list(
        Entity.objects.annotate(total=Count("claims"))
        .order_by("-total", "id")
        .values_list("id", flat=True)[:count]
    )


def test_claims(api, bundle):
    attribute = Claim.objects.order_by("id").values_list("attribute__code", flat=True).first()
    cases = [
        ({"page_size": 50}, "id"),
        ({"page_size": 37, "ordering": "-claimed_on"}, "-claimed_on"),
        ({"page_size": 11, "ordering": "claimed_on", "in_contradiction": "true"}, "claimed_on"),
        ({"page_size": 200, "min_reliability": "C", "as_of": "2023"}, "id"),
        ({"page_size": 5, "attribute": attribute, "min_credibility": "3"}, "id"),
        ({"page_size": 500, "q": "port"}, "id"),
        ({"page_size": 60, "format": "csv"}, "id"),
        ({"page_size": 25, "format": "csv", "ordering": "-id", "rank": "normal"}, "-id"),
    ]
    for params, ordering in cases:
        filters = {
            name: value
            for name, value in params.items()
            if name not in ("page_size", "ordering", "format")
        }
        expected = reference.reference_claims(filters, ordering)
        assert_pages(api, "/api/v1/claims/", params, expected)
    everything = {row["id"]: row for row in reference.reference_claims({})}
    in_contradiction = set(
        Claim.objects.filter(memberships__isnull=False).values_list("id", flat=True)
    )
    for claim_id in sorted(in_contradiction)[:15] + sorted(everything)[:15]:
        assert_detail(api, f"/api/v1/claims/{claim_id}/", everything[claim_id])
        response = get(api, f"/api/v1/claims/{claim_id}/?format=csv")
        assert response.content == rendered(response, everything[claim_id])


def test_contradictions(api, bundle, staff):
    first, second, third = Contradiction.objects.order_by("id")[:3]
    # Decisions, through the service that records them (history, editor, preferred ranks).
    contradiction_resolve(
        contradiction=second, outcome="one_is_wrong", note="=The source was misread.",
        user=staff, version=second.version, position=0,
    )  # fmt: skip
    contradiction_resolve(
        contradiction=third, outcome="false_positive", note="Not a conflict.", user=staff,
        version=third.version,
    )  # fmt: skip
    Contradiction.objects.filter(pk=first.pk).update(
        withdrawn_at="2024-01-01T00:00:00Z", withdrawn_reason="A test withdrew it."
    )
    cases = [
        {"page_size": 5},
        {"page_size": 2, "withdrawn": "any"},
        {"page_size": 50, "withdrawn": "true"},
        {"page_size": 3, "status": "open"},
        {"page_size": 4, "format": "csv", "withdrawn": "any"},
    ]
    for params in cases:
        filters = {k: v for k, v in params.items() if k not in ("page_size", "format")}
        expected = reference.reference_contradictions(filters)
        assert_pages(api, "/api/v1/contradictions/", params, expected)
    for row in reference.reference_contradictions({}, detail=True):
        assert_detail(api, f"/api/v1/contradictions/{row['id']}/", row)
        response = get(api, f"/api/v1/contradictions/{row['id']}/?format=csv")
        assert response.content == rendered(response, row)


def test_entity_facts(api, bundle):
    for entity_id in busiest_entities(6):
        for params in ({}, {"min_credibility": "3"}, {"as_of": "2024", "min_reliability": "B"}):
            url = f"/api/v1/entities/{entity_id}/facts/"
            query = f"?{urlencode(params)}" if params else ""
            assert_detail(api, url + query, reference.reference_facts(entity_id, params))
            csv_query = "?" + urlencode({**params, "format": "csv"})
            response = get(api, url + csv_query)
            assert response.status_code == 200
            expected = reference.reference_facts(entity_id, params, csv=True)
            assert response.content == rendered(response, expected)


def test_entities(api, bundle):
    kind = Entity.objects.order_by("id").values_list("kind", flat=True).first()
    for params in ({"page_size": 40}, {"page_size": 7, "kind": kind}, {"format": "csv"}):
        filters = {k: v for k, v in params.items() if k not in ("page_size", "format")}
        assert_pages(api, "/api/v1/entities/", params, reference.reference_entities(filters))
    for row in reference.reference_entities({}, detail=True)[:40]:
        assert_detail(api, f"/api/v1/entities/{row['id']}/", row)


def test_sources(api, bundle):
    cases = [
        ({"page_size": 3}, "id"),
        ({"page_size": 2, "ordering": "-published_on"}, "-published_on"),
        ({"min_reliability": "C"}, "id"),
        ({"format": "csv", "page_size": 4}, "id"),
    ]
    for params, ordering in cases:
        filters = {k: v for k, v in params.items() if k not in ("page_size", "format", "ordering")}
        expected = reference.reference_sources(filters, ordering)
        assert_pages(api, "/api/v1/sources/", params, expected)
    for source_id in Source.objects.order_by("id").values_list("id", flat=True)[:10]:
        (row,) = [r for r in reference.reference_sources({}) if r["id"] == source_id]
        assert_detail(api, f"/api/v1/sources/{source_id}/", row)


def test_attributes(api, bundle):
    value_type = Attribute.objects.order_by("id").values_list("value_type", flat=True).first()
    for params in ({"page_size": 10}, {"value_type": value_type}, {"format": "csv"}):
        filters = {k: v for k, v in params.items() if k not in ("page_size", "format")}
        assert_pages(api, "/api/v1/attributes/", params, reference.reference_attributes(filters))
    for row in reference.reference_attributes({}):
        assert_detail(api, f"/api/v1/attributes/{row['code']}/", row)
