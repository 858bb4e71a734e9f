"""The Django admin as an analyst uses it: lists without N+1, sections per kind, claims by form."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Attribute, Claim
from kb.models import Entity
from kb.services import account_create
from sources.models import Source
from tests.factories import EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "admin:kb_entity_changelist",
    "admin:kb_base_changelist",
    "admin:kb_agreement_changelist",
    "admin:kb_official_changelist",
    "admin:kb_organization_changelist",
    "admin:kb_place_changelist",
    "admin:kb_event_changelist",
    "admin:kb_program_changelist",
    "admin:kb_entityrelation_changelist",
    "admin:sources_source_changelist",
    "admin:sources_publisher_changelist",
    "admin:claims_attribute_changelist",
    "admin:claims_claim_changelist",
    "admin:claims_contradiction_changelist",
    "admin:claims_entitymerge_changelist",
]


@pytest.mark.parametrize("page", LIST_PAGES)
def test_every_list_page_loads_with_the_demo_in_a_fixed_number_of_queries(
    client, staff, demo, page, django_assert_max_num_queries
):
    client.force_login(staff)

    # Sessions, user, count, page and filters: no query per row.
    with django_assert_max_num_queries(12):
        response = client.get(reverse(page))

    assert response.status_code == 200


def test_the_claim_list_costs_the_same_queries_for_twelve_or_ninety_rows(client, staff, demo):
    client.force_login(staff)
    url = reverse("admin:claims_claim_changelist")
    client.get(url)  # the process learns the session's account (kb.sessions)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"credibility__exact": "1"})
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(few) == len(many)


def test_each_entity_kind_has_its_own_admin_section(client, staff, demo):
    client.force_login(staff)

    bases = client.get(reverse("admin:kb_base_changelist")).content.decode()
    officials = client.get(reverse("admin:kb_official_changelist")).content.decode()

    assert "Callao Naval Base" in bases and "Dina Boluarte" not in bases
    assert "Dina Boluarte" in officials and "Callao Naval Base" not in officials


def test_entity_autocomplete_finds_entities_by_alias(client, staff, demo):
    client.force_login(staff)
    alias = Entity.objects.filter(aliases__isnull=False).first().aliases.first()

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": alias.name[:8],
            "app_label": "claims",
            "model_name": "claim",
            "field_name": "subject",
        },
    )

    assert response.status_code == 200
    assert alias.entity.name in [r["text"] for r in response.json()["results"]]


def test_an_analyst_adds_a_claim_by_typing_the_value_as_the_source_words_it(client, staff):
    client.force_login(staff)
    subject = EntityFactory(name="Callao Naval Base")
    source = SourceFactory()
    attribute = Attribute.objects.create(code="fms_case_value", label="FMS", value_type="money")

    response = client.post(
        reverse("admin:claims_claim_add"),
        {
            "key": "callao-1",
            "subject": subject.pk,
            "attribute": attribute.pk,
            "source": source.pk,
            "value_text": "more than $350 million",
            "valid_from_text": "2024",
            "claimed_on_text": "December 2024",
            "quote": "more than $350 million",
            "credibility": "3",
            "rank": "normal",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    claim = Claim.objects.get(key="callao-1")
    assert (claim.qualifier, claim.low, claim.high, claim.currency) == (
        "at_least",
        350000000,
        None,
        "USD",
    )
    assert (str(claim.claimed_on), claim.claimed_on_precision) == ("2024-12-01", "month")
    assert claim.created_by == staff
    assert claim.history.first().history_user == staff


def test_a_value_the_parser_cannot_read_is_shown_on_the_form_and_nothing_is_saved(client, staff):
    client.force_login(staff)
    attribute = Attribute.objects.create(code="fms_case_value", label="FMS", value_type="money")

    response = client.post(
        reverse("admin:claims_claim_add"),
        {
            "key": "callao-1",
            "subject": EntityFactory().pk,
            "attribute": attribute.pk,
            "source": SourceFactory().pk,
            "value_text": "lots of money",
            "quote": "lots of money",
            "credibility": "3",
            "rank": "normal",
        },
    )

    assert response.status_code == 200
    assert "could not read" in response.content.decode()
    assert not Claim.objects.exists()


def test_the_change_history_of_a_claim_is_visible(client, staff, demo):
    client.force_login(staff)
    claim = Claim.objects.first()

    response = client.get(reverse("admin:claims_claim_history", args=[claim.pk]))

    assert response.status_code == 200
    assert "bundle import" in response.content.decode()


def test_a_source_page_shows_its_claims_inline(client, staff, demo):
    client.force_login(staff)
    source = Source.objects.filter(claims__isnull=False).first()
    quote = source.claims.first().quote

    response = client.get(reverse("admin:sources_source_change", args=[source.pk]))

    assert response.status_code == 200
    assert quote.split()[0] in response.content.decode()


def test_the_admin_refuses_to_delete_a_cited_source(client, staff, demo):
    client.force_login(staff)
    source = Source.objects.filter(claims__isnull=False).first()

    response = client.post(
        reverse("admin:sources_source_delete", args=[source.pk]), {"post": "yes"}
    )

    assert Source.objects.filter(pk=source.pk).exists()
    assert "protected" in response.content.decode()


def test_an_analyst_cannot_set_a_claims_rank_but_an_editor_can(client, demo, analyst, editor):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk__in=[analyst.pk, editor.pk]).update(is_staff=True)
    claim = Claim.objects.first()
    url = reverse("admin:claims_claim_change", args=[claim.pk])

    client.force_login(analyst)
    as_analyst = client.get(url).content.decode()
    client.force_login(editor)
    as_editor = client.get(url).content.decode()

    assert 'name="rank"' not in as_analyst
    assert 'name="rank"' in as_editor


def test_the_contradiction_admin_links_to_the_side_by_side_page(client, staff, demo):
    client.force_login(staff)

    page = client.get(reverse("admin:claims_contradiction_changelist")).content.decode()

    assert "/contradictions/" in page and "FMS case value" in page


COUNTED_LISTS = [
    # (list, the table each row's count reads, the count's column, what it counts by row)
    ("admin:sources_source_changelist", "claims_claim", "claim_total", Claim, "source"),
    ("admin:kb_entity_changelist", "claims_claim", "claim_total", Claim, "subject"),
    ("admin:claims_attribute_changelist", "claims_claim", "claim_total", Claim, "attribute"),
    ("admin:sources_publisher_changelist", "sources_source", "source_total", Source, "publisher"),
]


@pytest.mark.parametrize(("page", "table", "column", "counted", "by"), COUNTED_LISTS)
def test_a_list_counts_related_rows_for_the_rows_it_shows_only(
    client, demo, page, table, column, counted, by
):
    # Count() joined and grouped the whole claims table into every query of the list: the
    # page, both counts, each filter's choices and the date hierarchy's (1.3 s for a page of
    # sources at a million claims). Now only the page's query reads it, a row at a time.
    analyst = account_create(username="ana", email="", role="analyst", password="Pw-4-counting!")
    client.force_login(analyst)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(page))

    assert response.status_code == 200
    reading = [q["sql"] for q in queries.captured_queries if f'"{table}"' in q["sql"]]
    assert len(reading) == 1, reading
    rows = response.context["cl"].result_list
    for row in rows:
        assert getattr(row, column) == counted.objects.filter(**{by: row}).count(), row
    assert any(getattr(row, column) for row in rows)


def test_the_claim_list_offers_the_credibility_scale_without_reading_every_claim(client, demo):
    analyst = account_create(username="ana", email="", role="analyst", password="Pw-4-counting!")
    client.force_login(analyst)
    url = reverse("admin:claims_claim_changelist")

    with CaptureQueriesContext(connection) as queries:
        listed = client.get(url)
    filtered = client.get(url, {"credibility__exact": "2"})
    refused = client.get(url, {"credibility__exact": "abc"})

    distinct = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    assert not [sql for sql in distinct if '"credibility"' in sql]
    for grade in range(1, 7):
        assert f'href="?credibility__exact={grade}"' in listed.text
    shown = filtered.context["cl"].result_list
    assert {claim.credibility for claim in shown} == {2}
    assert len(shown) == Claim.objects.filter(credibility=2).count()
    # As for any lookup the admin cannot apply: back to the list, saying so.
    assert refused.status_code == 302 and refused["Location"].endswith("?e=1")
