"""Fixtures for the read API: a small knowledge base with known values, clients, and a clean
throttle (skipping PostgreSQL-only tests on SQLite is the root conftest's job)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims.bundles import bundle_import
from claims.models import Claim, Contradiction
from sources.models import Publisher

SMALL_BUNDLE = {
    "format": "kb-bundle/1",
    "sources": [
        {"key": "s-gov", "title": "Government fact sheet on harbour bases", "publisher": "Gov Press",
         "published_on": "2024-11", "kind": "official", "reliability": "A"},
        {"key": "s-news", "title": "Daily report on the navy", "publisher": "Daily News",
         "published_on": "2023-06-02", "kind": "news"},
        {"key": "s-blog", "title": "Opinion: the deal is bigger", "publisher": "A Blog",
         "published_on": "2025", "kind": "opinion", "reliability": "E"},
        {"key": "s-undated", "title": "Aggregated page", "kind": "aggregator"},
    ],
    "entities": [
        {"key": "port-alpha", "kind": "base", "name": "Port Alpha", "aliases": ["Alpha Harbour"]},
        {"key": "deal-beta", "kind": "agreement", "name": "Beta Deal"},
        {"key": "org-gamma", "kind": "organization", "name": "Gamma Navy"},
    ],
    "attributes": [
        {"code": "deal_value", "label": "Deal value", "value_type": "money"},
        {"code": "staff", "label": "Staff", "value_type": "count", "unit": "people",
         "time_varying": True},
        {"code": "signed_on", "label": "Signed on", "value_type": "date"},
        {"code": "operator", "label": "Operator", "value_type": "entity"},
        {"code": "lethal", "label": "Permits lethal force", "value_type": "boolean"},
        {"code": "motto", "label": "Motto", "value_type": "text", "single_valued": False},
    ],
    "claims": [
        {"key": "c-value-180m", "subject": "deal-beta", "attribute": "deal_value",
         "value": "$180 million", "source": "s-gov", "credibility": 2,
         "quote": "a $180 million sales case for the harbour bases"},
        {"key": "c-value-1-5bn", "subject": "deal-beta", "attribute": "deal_value",
         "value": "$1.5 billion", "source": "s-blog", "credibility": 4,
         "quote": "the deal is worth $1.5 billion"},
        {"key": "c-staff-nearly-180", "subject": "port-alpha", "attribute": "staff",
         "value": "nearly 180", "valid_from": "2020", "valid_to": "2022", "source": "s-news",
         "credibility": 3, "quote": "nearly 180 sailors were stationed there"},
        {"key": "c-staff-over-300", "subject": "port-alpha", "attribute": "staff",
         "value": "more than 300", "valid_from": "2023-03", "source": "s-gov", "credibility": 2,
         "quote": "more than 300 staff serve at the base"},
        {"key": "c-staff-range", "subject": "port-alpha", "attribute": "staff",
         "value": "between 15 and 20", "claimed_on": "2019-05", "source": "s-undated",
         "credibility": 5, "quote": "between 15 and 20 advisers"},
        {"key": "c-signed-day", "subject": "deal-beta", "attribute": "signed_on",
         "value": "May 19, 2023", "source": "s-gov", "credibility": 1,
         "quote": "signed on May 19, 2023"},
        {"key": "c-signed-year", "subject": "deal-beta", "attribute": "signed_on",
         "value": "2023", "source": "s-news", "credibility": 3, "quote": "signed in 2023"},
        {"key": "c-operator", "subject": "port-alpha", "attribute": "operator",
         "value": {"entity": "org-gamma"}, "source": "s-news", "credibility": 3,
         "quote": "run by the Gamma Navy"},
        {"key": "c-lethal-yes", "subject": "port-alpha", "attribute": "lethal",
         "value": {"boolean": True}, "source": "s-blog", "credibility": 4,
         "quote": "troops may use lethal force"},
        {"key": "c-lethal-no", "subject": "port-alpha", "attribute": "lethal",
         "value": {"boolean": False}, "source": "s-undated", "credibility": 6,
         "quote": "no lethal force is allowed"},
        {"key": "c-motto", "subject": "port-alpha", "attribute": "motto",
         "value": {"text": "Always ready"}, "source": "s-news", "credibility": 3,
         "quote": "its motto, Always ready"},
    ],
}  # fmt: skip


# Every list endpoint of SPEC section 5.
LISTS = [
    "/api/v1/sources/",
    "/api/v1/entities/",
    "/api/v1/attributes/",
    "/api/v1/claims/",
    "/api/v1/contradictions/",
]


@pytest.fixture(autouse=True)
def clean_throttle():
    """Throttling counts in the cache; every test starts with none of its requests counted."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def small(db):
    """The small knowledge base: two contradictions (deal value, lethal force)."""
    bundle_import(bundle=SMALL_BUNDLE)
    # A publisher's default grade, which a source without its own grade inherits (C).
    Publisher.objects.filter(name="Daily News").update(default_reliability="C")


@pytest.fixture
def demo(db, demo_bundle):
    bundle_import(bundle=demo_bundle)


def claim(key: str) -> Claim:
    return Claim.objects.get(key=key)


def contradiction_of(attribute: str) -> Contradiction:
    return Contradiction.objects.get(attribute__code=attribute)


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["key"] for row in response.json()["results"]]


def count_queries(request) -> int:
    """How many SQL queries `request()` makes."""
    with CaptureQueriesContext(connection) as queries:
        request()
    return len(queries)
