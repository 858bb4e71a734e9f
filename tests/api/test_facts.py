"""An entity's facts: per attribute, the best value, every value with its claims, and the
state of its contradictions, in one request."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.api_rows import entity_fact_rows
from claims.models import Claim, Contradiction
from kb.models import Entity
from tests.api.conftest import claim, contradiction_of

pytestmark = pytest.mark.django_db


def facts_of(api, key: str, **params) -> dict:
    response = api.get(f"/api/v1/entities/{Entity.objects.get(key=key).pk}/facts/", params)
    assert response.status_code == 200, response.content
    return {fact["attribute"]["code"]: fact for fact in response.json()["facts"]}


def test_facts_list_every_attribute_with_its_values_and_claims(api, small):
    facts = facts_of(api, "port-alpha")

    assert list(facts) == ["motto", "operator", "lethal", "staff"]
    staff = facts["staff"]
    assert [value["display"] for value in staff["values"]][0] == "more than 300"
    assert sorted(value["display"] for value in staff["values"]) == [
        "about 180",
        "between 15 and 20",
        "more than 300",
    ]
    claims = staff["values"][0]["claims"]
    assert [c["key"] for c in claims] == ["c-staff-over-300"]
    assert claims[0]["source"]["title"] == "Government fact sheet on harbour bases"


def test_the_best_value_is_the_best_supported_one(api, small):
    facts = facts_of(api, "deal-beta")

    # Grade A and credibility 2 beat grade E and credibility 4.
    assert facts["deal_value"]["best"]["display"] == "$180 million"
    assert facts["deal_value"]["contested"] is True
    assert facts["signed_on"]["best"]["display"] == "May 19, 2023"
    assert facts["signed_on"]["contested"] is False


def test_a_preferred_claim_makes_the_best_value(api, small):
    preferred = claim("c-value-1-5bn")
    preferred.rank = "preferred"
    preferred.save()

    assert facts_of(api, "deal-beta")["deal_value"]["best"]["display"] == "$1.5 billion"


def test_deprecated_claims_give_the_best_value_only_when_nothing_else_does(api, small):
    for key in ("c-value-180m",):
        deprecated = claim(key)
        deprecated.rank = "deprecated"
        deprecated.save()

    assert facts_of(api, "deal-beta")["deal_value"]["best"]["display"] == "$1.5 billion"


def test_facts_show_the_state_of_each_contradiction(api, small):
    contradiction = contradiction_of("deal_value")
    Contradiction.objects.filter(pk=contradiction.pk).update(
        status="resolved", outcome="one_is_wrong", note="The fact sheet is primary.",
        resolved_at=timezone.now(),
    )  # fmt: skip

    fact = facts_of(api, "deal-beta")["deal_value"]

    assert fact["contested"] is False
    assert fact["contradictions"][0]["id"] == contradiction.pk
    assert fact["contradictions"][0]["status"] == "resolved"
    assert fact["contradictions"][0]["outcome"] == "one_is_wrong"
    assert fact["contradictions"][0]["note"] == "The fact sheet is primary."


def test_facts_as_of_a_date_keep_what_held_then(api, small):
    assert [v["display"] for v in facts_of(api, "port-alpha", as_of="2021")["staff"]["values"]] == [
        "about 180"
    ]
    assert "staff" not in facts_of(api, "port-alpha", as_of="2018")


def test_facts_keep_only_trusted_sources_and_credible_claims(api, small):
    trusted = facts_of(api, "deal-beta", min_reliability="B")
    assert [v["display"] for v in trusted["deal_value"]["values"]] == ["$180 million"]

    credible = facts_of(api, "port-alpha", min_credibility="3")
    assert (
        [v["display"] for v in credible["lethal"]["values"]] == [] if "lethal" in credible else True
    )
    assert "lethal" not in credible
    assert [v["display"] for v in credible["staff"]["values"]] == ["more than 300", "about 180"]


def test_a_bad_facts_filter_is_a_400_that_names_it(api, small):
    entity = Entity.objects.get(key="port-alpha")

    response = api.get(f"/api/v1/entities/{entity.pk}/facts/", {"as_of": "tomorrow"})

    assert response.status_code == 400
    assert "as_of" in response.json()["errors"]


@pytest.mark.parametrize("entity_id", ["999999", str(2**63), "99999999999999999999"])
def test_facts_of_an_unknown_entity_are_a_json_404(api, small, entity_id):
    response = api.get(f"/api/v1/entities/{entity_id}/facts/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No entity has that id."}


@pytest.mark.usefixtures("sql_as_text")
def test_facts_read_their_claims_ids_without_the_columns_joins(api, small):
    # The ids of the claims to read join only what a filter needs; the rows' query joins the
    # attribute, source, publisher and entity value once, around them.
    entity = Entity.objects.get(key="port-alpha")
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/v1/entities/{entity.pk}/facts/").status_code == 200
    ids = claims_ids_query(queries)
    assert ids.startswith('SELECT "claims_claim"."id"'), ids
    for table in ("claims_attribute", "sources_source", "sources_publisher", "kb_entity"):
        assert table not in ids, ids

    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/entities/{entity.pk}/facts/", {"min_reliability": "A"})
    assert response.status_code == 200
    assert "sources_source" in claims_ids_query(queries)


@pytest.mark.usefixtures("sql_as_text")
def test_the_entity_page_reads_its_claims_without_the_same_value_sources(
    api, client, small, editor
):
    """The page shows no corroboration: its claims' query leaves out the sources giving each
    claim's value (a correlated subquery), which the facts endpoint reads and shows."""
    entity = Entity.objects.get(key="port-alpha")
    client.force_login(editor)

    def claims_query(get) -> str:
        with CaptureQueriesContext(connection) as queries:
            assert get().status_code == 200
        (sql,) = [q["sql"] for q in queries if '"all_contradictions"' in q["sql"]]
        return sql

    assert '"same_value_sources"' in claims_query(
        lambda: api.get(f"/api/v1/entities/{entity.pk}/facts/")
    )
    page_sql = claims_query(lambda: client.get(f"/entities/{entity.pk}/"))
    assert '"same_value_sources"' not in page_sql
    page = client.get(f"/entities/{entity.pk}/").content.decode()
    assert "more than 300" in page and "Government fact sheet on harbour bases" in page


def claims_ids_query(queries) -> str:
    """The query of ids inside the facts' one claims query (SQLite: IN, PostgreSQL: ANY)."""
    (sql,) = [q["sql"] for q in queries if 'FROM "claims_claim"' in q["sql"]]
    found = re.search(r'WHERE "claims_claim"\."id" (?:IN \(|= ANY\(ARRAY\()(.*)', sql)
    assert found, sql
    return found[1]


def test_the_demo_callao_case_has_its_two_values(api, demo):
    facts = facts_of(api, "callao-fms-case")

    assert [v["display"] for v in facts["fms_case_value"]["values"]] == [
        "$180 million",
        "$1.5 billion",
    ]
    assert facts["fms_case_value"]["contested"] is True


def test_facts_cost_a_few_queries_whatever_the_number_of_claims(
    api, demo, django_assert_max_num_queries
):
    entity = Entity.objects.get(key="callao-fms-case")
    # The data's version, the entity, its claims, its contradictions, the claims giving the
    # same values and their sources' derivation chains.
    with django_assert_max_num_queries(6):
        api.get(f"/api/v1/entities/{entity.pk}/facts/")


def test_a_facts_claim_names_its_entity_as_the_claims_endpoint_does(api, small):
    entity = Entity.objects.get(key="port-alpha")
    facts = facts_of(api, "port-alpha")

    shown = [c for fact in facts.values() for v in fact["values"] for c in v["claims"]]
    assert shown
    for claim_shown in shown:
        alone = api.get(f"/api/v1/claims/{claim_shown['id']}/").json()
        assert claim_shown["subject"] == alone["subject"]
        assert claim_shown["subject"]["key"] == entity.key


def test_facts_refuse_claims_of_another_entity(small):
    # The subject's columns come from the entity: read over another's claims, they would
    # name the wrong one.
    alpha, beta = Entity.objects.get(key="port-alpha"), Entity.objects.get(key="deal-beta")
    with pytest.raises(ValueError, match="is not of entity"):
        entity_fact_rows(alpha, Claim.objects.filter(subject=beta))
