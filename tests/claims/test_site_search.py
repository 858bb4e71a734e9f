"""The header's search box: entities by name and alias, claims by quote and value as written,
sources by title and publisher, grouped, bounded and highlighted, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import re
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse

from claims.models import Claim
from claims.selectors import site_search
from claims.selectors.site_search import GROUP_LIMIT
from claims.services import claim_create, value_parse
from kb.filters import QUERY_TOO_LONG
from kb.models import Entity
from sources.models import Source
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


def words(html) -> str:
    """The text without tags (marks joined to their words), spaces collapsed."""
    html = re.sub(r"</?mark>", "", str(html))
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def search(client, text: str) -> str:
    return client.get(reverse("search"), {"q": text}).content.decode()


def group(page: str, name: str) -> str:
    return page.split(f'id="{name}"')[1].split("</section>")[0]


def test_namru_south_finds_the_naval_medical_research_unit_by_its_alias(client, demo):
    namru = Entity.objects.get(key="namru-south")

    found = site_search("namru south")
    page = search(client, "namru south")

    assert found.entities[0] == namru
    assert f'href="{reverse("entity", args=[namru.pk])}"' in group(page, "entities")
    assert "also known as NAMRU-SOUTH" in words(group(page, "entities"))
    assert "<mark>" in group(page, "entities")


def test_one_point_five_billion_finds_the_claims_that_say_it_and_the_source(client, demo):
    found = site_search("1.5 billion")
    page = search(client, "1.5 billion")

    assert {claim.key for claim in found.claims} >= {
        "dt-callao-fms-1-5bn",
        "dt-callao-projected-1-5bn",
    }
    assert all("1.5 billion" in claim.quote for claim in found.claims)
    claims = group(page, "claims")
    assert "$1.5 billion" in words(claims)
    assert "<mark>1.5</mark> <mark>billion</mark>" in claims
    assert [source.key for source in found.sources] == ["defencetalks-2026-callao-fms"]


def test_black_hawk_finds_the_transfer_and_its_claims(client, demo):
    transfer = Entity.objects.get(name__contains="Black Hawk")

    found = site_search("Black Hawk")
    page = search(client, "Black Hawk")

    assert found.entities == [transfer]
    assert {claim.key for claim in found.claims} >= {
        "wh-blackhawk-planned",
        "op-blackhawk-delivered",
    }
    assert "planned" in words(group(page, "claims")) and "delivered" in words(group(page, "claims"))


def test_a_claim_is_found_by_its_value_as_written(client, demo):
    source = Source.objects.get(key="defencetalks-2026-callao-fms")
    subject = Entity.objects.get(key="callao-fms-case")
    attribute = Claim.objects.get(key="dt-callao-personnel-up-to-20").attribute
    claim_create(
        key="roughly-score", subject=subject, attribute=attribute, source=source,
        value=value_parse(attribute=attribute, text="about 20"), value_as_written="a score",
        quote="deployment of up to 20 US government", credibility=3,
    )  # fmt: skip

    found = site_search("score")

    assert [claim.key for claim in found.claims] == ["roughly-score"]


def test_a_source_is_found_by_its_publisher(client, demo):
    page = search(client, "White House")

    sources = group(page, "sources")
    assert "Fact sheet: the United States-Peru partnership" in words(sources)
    assert "<mark>White</mark> <mark>House</mark>" in sources


def test_each_group_shows_at_most_its_limit_and_says_there_are_more(client, db):
    EntityFactory.create_batch(GROUP_LIMIT + 3, name=factory_name())

    found = site_search("Lighthouse")
    page = search(client, "Lighthouse")

    assert len(found.entities) == GROUP_LIMIT and "entities" in found.more
    assert f"Only the first {GROUP_LIMIT} are shown" in page


def factory_name():
    import factory

    return factory.Sequence(lambda n: f"Lighthouse {n}")


def test_a_search_costs_three_queries_whatever_it_finds(client, demo, django_assert_num_queries):
    with django_assert_num_queries(3):
        client.get(reverse("search"), {"q": "Peru"})


def test_nothing_found_suggests_what_to_try(client, demo):
    page = search(client, "zzzqqq unheard")

    nothing = words(page.split('id="nothing"')[1].split("</div>")[0])
    assert "Nothing has all of the words “zzzqqq unheard”" in nothing
    assert "NAMRU-SOUTH" in nothing and "1.5 billion" in nothing and "Black Hawk" in nothing


def test_an_empty_search_explains_the_box_without_querying(client, demo, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = client.get(reverse("search")).content.decode()

    assert "Search entities by name or alias" in page


def test_too_many_words_are_refused_with_a_sentence(client, demo):
    page = search(client, "a b c d e f g h i")

    assert QUERY_TOO_LONG.format(limit=8) in page


def test_names_and_quotes_stay_text_in_the_results(client, db):
    EntityFactory(name='Black Hawk <img src=x onerror=alert(1)> <script>alert("x")</script>')

    page = search(client, "Black Hawk")

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x" in page
    assert "<mark>Black</mark>" in page


def test_the_header_search_box_is_on_every_page(client, demo):
    for name in ("home", "entities", "sources", "queue"):
        page = client.get(reverse(name)).content.decode()
        header = page.split("<header")[1].split("</header>")[0]

        assert f'action="{reverse("search")}"' in header and 'name="q"' in header, name


@pytest.mark.postgres_only
def test_postgres_ranks_at_most_a_window_of_each_groups_matches(db, monkeypatch):
    # The package gives the function under the module's name: the module itself, by its path.
    module = importlib.import_module("claims.selectors.site_search")
    EntityFactory.create_batch(5, name=factory_name())
    monkeypatch.setattr(module, "RANK_WINDOW", 3)

    found = site_search("Lighthouse", limit=20)

    assert len(found.entities) == 3 and found.ranked_among == 3


@pytest.mark.postgres_only
def test_every_search_condition_is_served_by_a_gin_index(demo):
    from django.contrib.postgres.search import SearchQuery

    from claims.selectors.site_search import EnglishVector
    from kb.models import EntityAlias
    from sources.models import Publisher

    query = SearchQuery("black hawk", config="english", search_type="plain")
    tables = [
        (Claim.objects.alias(d=EnglishVector("quote")), "claim_quote_search_idx"),
        (Claim.objects.alias(d=EnglishVector("value_as_written")), "claim_value_as_written_search_idx"),
        (Entity.objects.alias(d=EnglishVector("name")), "entity_name_search_idx"),
        (EntityAlias.objects.alias(d=EnglishVector("name")), "alias_name_search_idx"),
        (Source.objects.alias(d=EnglishVector("title")), "source_title_search_idx"),
        (Publisher.objects.alias(d=EnglishVector("name")), "publisher_name_search_idx"),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    for queryset, index in tables:
        assert index in queryset.filter(d=query).explain(), index
