"""The sources list and detail."""

from __future__ import annotations

import pytest

from sources.models import Source
from tests.api.conftest import count_queries, keys

pytestmark = pytest.mark.django_db

SOURCES = "/api/v1/sources/"


def test_a_source_shows_its_metadata_and_grade_in_force(api, small):
    source = Source.objects.get(key="s-news")

    data = api.get(f"{SOURCES}{source.pk}/").json()

    assert data["title"] == "Daily report on the navy"
    assert data["publisher"] == "Daily News"
    assert data["published_on"] == "2023-06-02"
    assert data["kind"] == "news"
    assert data["reliability"] == "C"
    assert set(data) >= {"id", "key", "url", "author", "language", "text_sha256", "derived_from"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["s-gov", "s-news", "s-blog", "s-undated"]),
        ({"kind": "opinion"}, ["s-blog"]),
        ({"reliability": "C"}, ["s-news"]),
        ({"reliability": "F"}, ["s-undated"]),
        ({"min_reliability": "C"}, ["s-gov", "s-news"]),
        ({"published_after": "2024"}, ["s-gov", "s-blog"]),
        ({"published_after": "2024-12"}, ["s-blog"]),
        ({"published_before": "2023-06"}, ["s-news"]),
        ({"published_before": "2024-11-01"}, ["s-gov", "s-news"]),
        ({"key": "s-gov"}, ["s-gov"]),
        ({"q": "navy"}, ["s-news"]),
        ({"q": "fact sheet"}, ["s-gov"]),
        ({"ordering": "-published_on"}, ["s-blog", "s-gov", "s-news", "s-undated"]),
        ({"ordering": "published_on"}, ["s-news", "s-gov", "s-blog", "s-undated"]),
    ],
)
def test_the_sources_list_filters_and_orders(api, small, params, expected):
    assert keys(api.get(SOURCES, params)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "gossip"},
        {"reliability": "Z"},
        {"published_after": "11/2024"},
        {"ordering": "title"},
    ],
)
def test_a_bad_source_filter_is_a_400_that_names_it(api, small, params):
    response = api.get(SOURCES, params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_the_sources_list_costs_the_same_queries_whatever_the_page_size(api, demo):
    assert (
        count_queries(lambda: api.get(SOURCES, {"page_size": 1}))
        == count_queries(lambda: api.get(SOURCES, {"page_size": 100}))
        <= 3
    )
