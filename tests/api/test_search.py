"""Full-text search `q`: PostgreSQL's English full text through GIN indexes; on SQLite,
case-insensitive substrings behind the same parameter."""

from __future__ import annotations

import pytest
from django.db import connection

from claims.selectors import claim_list, claim_search
from claims.selectors import search as api_selectors
from tests.api.conftest import keys

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


def test_the_search_ignores_case(api, small):
    assert keys(api.get(CLAIMS, {"q": "SAILORS"})) == ["c-staff-nearly-180"]


def test_a_search_without_a_match_is_an_empty_page(api, small):
    body = api.get(CLAIMS, {"q": "submarine"}).json()

    assert body["results"] == []
    assert body["next"] is None


@pytest.mark.postgres_only
def test_the_search_stems_english_words(api, small):
    # "sailor" finds "sailors", "serving" finds "serve", "signing" finds "signed".
    assert keys(api.get(CLAIMS, {"q": "sailor"})) == ["c-staff-nearly-180"]
    assert keys(api.get(CLAIMS, {"q": "serving"})) == ["c-staff-over-300"]
    assert keys(api.get(CLAIMS, {"q": "signing"})) == ["c-signed-day", "c-signed-year"]


@pytest.mark.postgres_only
def test_the_search_matches_whole_words_not_parts(api, small):
    assert keys(api.get(CLAIMS, {"q": "sail"})) == []


@pytest.mark.postgres_only
def test_stop_words_do_not_empty_a_search(api, small):
    assert keys(api.get(CLAIMS, {"q": "the sailors"})) == ["c-staff-nearly-180"]


@pytest.mark.postgres_only
def test_a_search_of_stop_words_only_lists_every_claim_in_order(api, small):
    assert keys(api.get(CLAIMS, {"q": "the !!"})) == keys(api.get(CLAIMS))


@pytest.mark.postgres_only
def test_a_stop_word_is_never_rare(small):
    """A stop word (or punctuation) is in no text, so it counts as rare everywhere; but it
    matches every row, and gathering its claims first gathered the whole table (73 ms at a
    million claims for `q=the`, and more as the table grows). It is read as a common word:
    the page's rows in order."""
    assert api_selectors.claim_rare_words(["the", "!!", "sailors"]) == [False, False, True]
    sql, params = claim_search(claim_list(), "the").query.sql_with_params()
    assert "api_s" not in sql  # ClaimsMatching's gathering


@pytest.mark.postgres_only
def test_sources_and_entities_are_searched_with_stemming_too(api, small):
    assert keys(api.get("/api/v1/sources/", {"q": "reports"})) == ["s-news"]
    assert keys(api.get("/api/v1/entities/", {"q": "harbours"})) == ["port-alpha"]


def explain(queryset) -> str:
    # On a handful of rows the planner prefers a scan; without it, the indexes must serve.
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "index",
    [
        "claim_quote_search_idx",
        "source_title_search_idx",
        "entity_name_search_idx",
        "alias_name_search_idx",
    ],
)
def test_the_claims_search_can_use_each_gin_index(small, index):
    assert index in explain(claim_search(claim_list(), "sailors harbour"))


@pytest.mark.postgres_only
@pytest.mark.parametrize("rare", [True, False])
def test_rare_and_common_words_find_the_same_claims(api, small, monkeypatch, rare):
    limit = 10_000 if rare else 0
    monkeypatch.setattr(api_selectors, "RARE_QUOTES", limit)
    monkeypatch.setattr(api_selectors, "RARE_SOURCES", limit)

    assert keys(api.get(CLAIMS, {"q": "opinion"})) == ["c-value-1-5bn", "c-lethal-yes"]
    assert keys(api.get(CLAIMS, {"q": "Alpha Harbour", "attribute": "staff"})) == [
        "c-staff-nearly-180",
        "c-staff-over-300",
        "c-staff-range",
    ]
    assert keys(api.get(CLAIMS, {"q": "beta sales"})) == ["c-value-180m"]


@pytest.mark.postgres_only
def test_a_claims_search_costs_one_query_more(api, small, django_assert_max_num_queries):
    # The data version, which words are rare, then the page, the claims giving the same
    # values as the page's and their sources (for their corroboration).
    with django_assert_max_num_queries(5):
        assert api.get(CLAIMS, {"q": "navy sailors", "page_size": 100}).status_code == 200
