"""The claims list and detail: SPEC section 5's fields, every filter, ordering and pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim, Contradiction
from tests.api.conftest import claim, contradiction_of, count_queries, keys

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
CLAIM_FIELDS = {
    "id", "key", "subject", "attribute", "value", "valid_from", "valid_to", "claimed_on",
    "source", "quote", "credibility", "rank", "contradictions",
}  # fmt: skip
# Beyond SPEC section 5: every contradiction it stands in, and the independent sources.
EXTENDED_FIELDS = {"all_contradictions", "corroboration"}


def one(api, key: str) -> dict:
    return api.get(f"{CLAIMS}{claim(key).pk}/").json()


def test_a_claim_has_the_fields_of_spec_section_5_and_its_extensions_only(api, small):
    data = one(api, "c-value-180m")

    assert set(data) == CLAIM_FIELDS | EXTENDED_FIELDS
    assert set(data["subject"]) == {"id", "key", "name", "kind"}
    assert set(data["attribute"]) == {"code", "label"}
    assert set(data["source"]) == {
        "id", "key", "title", "publisher", "url", "published_on", "kind", "reliability",
    }  # fmt: skip


def test_a_claim_shows_its_subject_source_quote_and_grades(api, small):
    data = one(api, "c-value-180m")

    assert data["key"] == "c-value-180m"
    assert data["subject"]["key"] == "deal-beta"
    assert data["subject"]["name"] == "Beta Deal"
    assert data["subject"]["kind"] == "agreement"
    assert data["attribute"] == {"code": "deal_value", "label": "Deal value"}
    assert data["source"]["key"] == "s-gov"
    assert data["source"]["publisher"] == "Gov Press"
    assert data["source"]["published_on"] == "2024-11"
    assert data["source"]["reliability"] == "A"
    assert data["quote"] == "a $180 million sales case for the harbour bases"
    assert data["credibility"] == 2
    assert data["rank"] == "normal"


def test_a_money_value_has_its_structure_display_and_interval(api, small):
    value = one(api, "c-value-180m")["value"]

    assert value["type"] == "money"
    assert value["amount"] == "180000000"
    assert value["currency"] == "USD"
    assert value["qualifier"] == "exact"
    assert value["display"] == "$180 million"
    assert (value["low"], value["high"]) == ("180000000", "180000000")


def test_an_open_ended_number_has_no_upper_bound(api, small):
    value = one(api, "c-staff-over-300")["value"]

    assert value["qualifier"] == "at_least"
    assert value["unit"] == "people"
    assert value["low"] == "300"
    assert value["high"] is None


def test_an_approximate_number_shows_the_interval_it_denotes(api, small):
    value = one(api, "c-staff-nearly-180")["value"]

    assert value["qualifier"] == "approximately"
    assert (value["low"], value["high"]) == ("162", "198")


def test_a_range_has_its_maximum(api, small):
    value = one(api, "c-staff-range")["value"]

    assert (value["amount"], value["max"], value["qualifier"]) == ("15", "20", "range")
    assert value["display"] == "between 15 and 20"


def test_a_date_value_is_written_at_its_precision(api, small):
    assert one(api, "c-signed-day")["value"] | {"as_written": None} == {
        "type": "date", "date": "2023-05-19", "precision": "day", "display": "May 19, 2023",
        "as_written": None,
    }  # fmt: skip
    year = one(api, "c-signed-year")["value"]
    assert (year["date"], year["precision"], year["display"]) == ("2023", "year", "2023")


def test_entity_boolean_and_text_values_have_their_forms(api, small):
    entity = one(api, "c-operator")["value"]
    assert entity["entity"]["key"] == "org-gamma"
    assert entity["entity"]["name"] == "Gamma Navy"
    assert entity["display"] == "Gamma Navy"
    assert one(api, "c-lethal-yes")["value"]["boolean"] is True
    assert one(api, "c-lethal-no")["value"]["display"] == "no"
    assert one(api, "c-motto")["value"]["text"] == "Always ready"


def test_dates_are_written_at_their_precision(api, small):
    staff = one(api, "c-staff-nearly-180")
    assert (staff["valid_from"], staff["valid_to"]) == ("2020", "2022")
    assert staff["claimed_on"] == "2023-06-02"
    assert one(api, "c-staff-over-300")["valid_from"] == "2023-03"
    assert one(api, "c-lethal-no")["claimed_on"] is None


def test_a_claim_lists_its_open_contradictions_only(api, small):
    contradiction = contradiction_of("deal_value")
    assert one(api, "c-value-180m")["contradictions"] == [contradiction.pk]
    assert one(api, "c-motto")["contradictions"] == []

    Contradiction.objects.filter(pk=contradiction.pk).update(withdrawn_at="2025-01-01T00:00Z")
    assert one(api, "c-value-180m")["contradictions"] == []


def test_the_publisher_grade_stands_in_for_a_missing_source_grade(api, small):
    assert one(api, "c-operator")["source"]["reliability"] == "C"
    assert one(api, "c-lethal-no")["source"]["reliability"] == "F"
    assert one(api, "c-lethal-no")["source"]["publisher"] is None


def test_an_unknown_claim_is_a_json_404(api, small):
    response = api.get(f"{CLAIMS}999999/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subject_key": "deal-beta"}, ["c-value-180m", "c-value-1-5bn", "c-signed-day", "c-signed-year"]),
        ({"attribute": "staff"}, ["c-staff-nearly-180", "c-staff-over-300", "c-staff-range"]),
        ({"source_key": "s-gov"}, ["c-value-180m", "c-staff-over-300", "c-signed-day"]),
        ({"key": "c-motto"}, ["c-motto"]),
        ({"subject_key": "port-alpha", "attribute": "lethal"}, ["c-lethal-yes", "c-lethal-no"]),
        ({"claimed_after": "2024-11"}, ["c-value-180m", "c-value-1-5bn", "c-staff-over-300", "c-signed-day", "c-lethal-yes"]),
        ({"claimed_after": "2025"}, ["c-value-1-5bn", "c-lethal-yes"]),
        ({"claimed_before": "2023"}, ["c-staff-nearly-180", "c-staff-range", "c-signed-year", "c-operator", "c-motto"]),
        ({"claimed_before": "2019-05"}, ["c-staff-range"]),
        ({"valid_at": "2021-07-01"}, ["c-value-180m", "c-value-1-5bn", "c-staff-nearly-180", "c-staff-range", "c-signed-day", "c-signed-year", "c-operator", "c-lethal-yes", "c-lethal-no", "c-motto"]),
        ({"valid_at": "2023", "attribute": "staff"}, ["c-staff-over-300", "c-staff-range"]),
        ({"in_contradiction": "true"}, ["c-value-180m", "c-value-1-5bn", "c-lethal-yes", "c-lethal-no"]),
        ({"in_contradiction": "false", "subject_key": "deal-beta"}, ["c-signed-day", "c-signed-year"]),
        ({"min_reliability": "A"}, ["c-value-180m", "c-staff-over-300", "c-signed-day"]),
        ({"min_reliability": "C", "attribute": "signed_on"}, ["c-signed-day", "c-signed-year"]),
        ({"min_reliability": "E", "attribute": "lethal"}, ["c-lethal-yes"]),
        ({"min_credibility": "2"}, ["c-value-180m", "c-staff-over-300", "c-signed-day"]),
        ({"min_credibility": "6", "attribute": "lethal"}, ["c-lethal-yes", "c-lethal-no"]),
    ],
)  # fmt: skip
def test_the_claims_list_filters(api, small, params, expected):
    assert keys(api.get(CLAIMS, params)) == expected


def test_subject_and_source_filter_by_id(api, small):
    subject = claim("c-operator").subject_id
    source = claim("c-value-1-5bn").source_id

    assert keys(api.get(CLAIMS, {"subject": subject, "attribute": "operator"})) == ["c-operator"]
    assert keys(api.get(CLAIMS, {"source": source})) == ["c-value-1-5bn", "c-lethal-yes"]


def test_the_rank_filter_keeps_one_rank(api, small):
    deprecated = claim("c-value-1-5bn")
    deprecated.rank = "deprecated"
    deprecated.save()

    assert keys(api.get(CLAIMS, {"rank": "deprecated"})) == ["c-value-1-5bn"]
    assert "c-value-1-5bn" not in keys(api.get(CLAIMS, {"rank": "normal"}))


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # Time-varying staff: the valid period, else the claimed_on month (May 2019).
        ("2019-05-10", ["c-staff-range"]),
        ("2021", ["c-staff-nearly-180"]),
        ("2022-12", ["c-staff-nearly-180"]),
        ("2024-01-01", ["c-staff-over-300"]),
        ("2018", []),
    ],
)
def test_as_of_keeps_what_held_on_that_date_by_valid_time(api, small, as_of, expected):
    assert keys(api.get(CLAIMS, {"attribute": "staff", "as_of": as_of})) == expected


def test_as_of_keeps_timeless_claims_without_a_valid_period(api, small):
    assert keys(api.get(CLAIMS, {"attribute": "deal_value", "as_of": "1999"})) == [
        "c-value-180m",
        "c-value-1-5bn",
    ]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"claimed_after": "yesterday"}, "claimed_after"),
        ({"claimed_before": "2024-13"}, "claimed_before"),
        ({"valid_at": "2024-02-30"}, "valid_at"),
        ({"as_of": "soon"}, "as_of"),
        ({"subject": "deal-beta"}, "subject"),
        ({"source": "1.5x"}, "source"),
        ({"rank": "best"}, "rank"),
        ({"in_contradiction": "maybe"}, "in_contradiction"),
        ({"min_reliability": "G"}, "min_reliability"),
        ({"min_credibility": "7"}, "min_credibility"),
        ({"q": " ".join(["word"] * 9)}, "q"),
        ({"ordering": "quote"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "lots"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(api, small, params, parameter):
    response = api.get(CLAIMS, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert parameter in body["errors"]
    assert parameter in body["detail"]


def test_a_bad_parameter_in_a_csv_request_answers_json(api, small):
    response = api.get(CLAIMS, {"format": "csv", "claimed_after": "nope"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "claimed_after" in response.json()["errors"]


def test_the_search_finds_words_in_quote_source_title_and_subject(api, small):
    assert keys(api.get(CLAIMS, {"q": "sailors"})) == ["c-staff-nearly-180"]
    assert keys(api.get(CLAIMS, {"q": "opinion"})) == ["c-value-1-5bn", "c-lethal-yes"]
    assert keys(api.get(CLAIMS, {"q": "gamma", "attribute": "motto"})) == []
    assert keys(api.get(CLAIMS, {"q": "Alpha Harbour", "attribute": "staff"})) == [
        "c-staff-nearly-180",
        "c-staff-over-300",
        "c-staff-range",
    ]
    # Every word must be found, each in any of the three.
    assert keys(api.get(CLAIMS, {"q": "beta sales"})) == ["c-value-180m"]


# Pages.


def walk(api, url, params=None) -> list[str]:
    """Every key of a list, following the next links."""
    found, response = [], api.get(url, params)
    while True:
        found += keys(response)
        link = response.json()["next"]
        if not link:
            return found
        response = api.get(link)


def test_pages_follow_each_other_without_gaps_or_repeats(api, small):
    all_keys = keys(api.get(CLAIMS, {"page_size": 100}))

    assert walk(api, CLAIMS, {"page_size": 3}) == all_keys
    assert len(all_keys) == 11


def test_a_page_carries_no_count(api, small):
    body = api.get(CLAIMS, {"page_size": 2}).json()

    assert set(body) == {"next", "previous", "results"}
    assert body["previous"] is None


def test_the_previous_link_leads_back(api, small):
    first = api.get(CLAIMS, {"page_size": 4})
    second = api.get(first.json()["next"])
    back = api.get(second.json()["previous"])

    assert keys(back) == keys(first)
    assert back.json()["previous"] is None


def test_claims_order_by_claimed_on_with_undated_ones_last(api, small):
    ascending = walk(api, CLAIMS, {"ordering": "claimed_on", "page_size": 2})
    descending = walk(api, CLAIMS, {"ordering": "-claimed_on", "page_size": 2})

    assert ascending[0] == "c-staff-range"
    assert ascending[-1] == "c-lethal-no"
    # Ties (both claimed in 2025) are broken by id, in the same direction.
    assert descending[:2] == ["c-lethal-yes", "c-value-1-5bn"]
    assert descending[-1] == "c-lethal-no"
    assert sorted(ascending) == sorted(descending) == sorted(keys(api.get(CLAIMS)))


@pytest.mark.parametrize("ordering", ["claimed_on", "-claimed_on"])
@pytest.mark.usefixtures("sql_as_text")
def test_a_filtered_page_by_claimed_on_filters_only_where_it_takes_the_ids(api, small, ordering):
    # Dated and undated claims are two id ranges, each filtered; the page's rows are then read
    # by those ids. Filtered a third time there, the planner may apply the filter to every
    # claim before taking the ids: 2 s for in_contradiction at a million claims.
    params = {"ordering": ordering, "min_credibility": "2", "page_size": 2}
    with CaptureQueriesContext(connection) as queries:
        found = walk(api, CLAIMS, params)

    expected = [c.key for c in Claim.objects.filter(credibility__lte=2)]
    assert sorted(found) == sorted(expected)
    pages = [q["sql"] for q in queries.captured_queries if '"credibility" <= 2' in q["sql"]]
    assert pages
    for sql in pages:
        assert sql.count('"credibility" <= 2') == 2, sql  # once for each range of ids


def test_claims_order_by_claimed_on_backwards_too(api, small):
    pages = [api.get(CLAIMS, {"ordering": "claimed_on", "page_size": 4})]
    while pages[-1].json()["next"]:
        pages.append(api.get(pages[-1].json()["next"]))
    previous = api.get(pages[-1].json()["previous"])

    assert keys(previous) == keys(pages[-2])


def test_a_cursor_of_another_ordering_is_refused(api, small):
    link = api.get(CLAIMS, {"page_size": 2}).json()["next"]
    response = api.get(link.replace("page_size=2", "page_size=2&ordering=-id"))

    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"in_contradiction": "true", "min_reliability": "C", "as_of": "2025"},
        {"q": "callao million"},
        {"ordering": "-claimed_on", "claimed_after": "2020"},
    ],
)
def test_the_claims_list_costs_the_same_queries_whatever_the_page_size(api, demo, params):
    one_row = count_queries(lambda: api.get(CLAIMS, {**params, "page_size": 1}))
    many_rows = count_queries(lambda: api.get(CLAIMS, {**params, "page_size": 90}))

    # The data's version, (on PostgreSQL, for q, which words are rare,) the page, the claims
    # giving the same values, and their sources with their derivation chains.
    assert one_row == many_rows <= 5


def test_a_claim_detail_costs_four_queries_at_most(api, demo, django_assert_max_num_queries):
    # The data's version, the claim, the claims giving its value, their sources and chains.
    url = f"{CLAIMS}{claim('wh-callao-fms-180m').pk}/"
    with django_assert_max_num_queries(4):
        assert api.get(url).status_code == 200


def test_the_written_out_representation_matches_the_declared_fields(small):
    from claims.selectors import attach_corroboration, claim_list, with_memberships
    from claims.serializers import ClaimSerializer

    serializer = ClaimSerializer()
    rows = list(with_memberships(claim_list()).order_by("id"))
    attach_corroboration(claims=rows)
    for row in rows:
        assert serializer.to_representation(row) == serializer.generic_representation(row)


def test_claims_order_by_id_descending(api, small):
    descending = walk(api, CLAIMS, {"ordering": "-id", "page_size": 4})

    assert descending == list(reversed(keys(api.get(CLAIMS, {"page_size": 100}))))
