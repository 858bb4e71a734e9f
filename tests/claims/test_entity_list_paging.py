"""The entities page at any size: every entity reachable a page at a time, by name, each page
in one query whatever its depth, with a search kept across pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Claim
from claims.views import ENTITIES_PER_PAGE
from kb.models import Entity
from kb.paging import BAD_PAGE_LINK

pytestmark = pytest.mark.django_db


@pytest.fixture
def many():
    bundle_import(bundle=synthetic_bundle(claims=4500, seed=5))
    total = Entity.objects.filter(merged_into__isnull=True).count()
    assert total > 2 * ENTITIES_PER_PAGE
    return total


def rows(html: str) -> list[tuple[int, int]]:
    """(entity id, claims shown) for each row."""
    return [
        (int(pk), int(total))
        for pk, total in re.findall(
            r'<tr><td><a href="/entities/(\d+)/">.*?</td><td>.*?</td><td>(\d+)</td></tr>', html
        )
    ]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="\?([^"]*)"', html)
    return found[1].replace("&amp;", "&") if found else None


def walk(client, params: str = "") -> list[tuple[int, int]]:
    seen, query = [], params
    while query is not None:
        html = client.get(reverse("entities") + "?" + query).content.decode()
        seen += rows(html)
        query = link(html, "next")
    return seen


def test_every_entity_is_reached_once_in_name_order_with_its_claims(client, many):
    seen = walk(client)

    expected = list(
        Entity.objects.filter(merged_into__isnull=True)
        .order_by("name", "id")
        .values_list("pk", flat=True)
    )
    assert [pk for pk, _ in seen] == expected
    for pk, total in seen[:: ENTITIES_PER_PAGE // 3]:
        assert total == Claim.objects.filter(subject_id=pk).count()


def test_a_search_is_kept_across_pages(client, many):
    seen = walk(client, "q=entity+1")

    assert seen and len(seen) > ENTITIES_PER_PAGE
    names = dict(Entity.objects.filter(pk__in=[pk for pk, _ in seen]).values_list("pk", "name"))
    assert all("entity 1" in names[pk].lower() for pk, _ in seen)


def test_a_deep_page_costs_the_one_query_of_the_first(client, many, django_assert_num_queries):
    first = client.get(reverse("entities")).content.decode()
    deep = first
    while link(deep, "next"):
        query = link(deep, "next")
        deep = client.get(reverse("entities") + "?" + query).content.decode()

    with django_assert_num_queries(1):
        client.get(reverse("entities"))
    with django_assert_num_queries(1):
        client.get(reverse("entities") + "?" + query)


def test_a_made_up_page_link_shows_the_first_page_and_says_so(client, many):
    html = client.get(reverse("entities"), {"after": "no separator"}).content.decode()

    assert BAD_PAGE_LINK.replace("'", "&#x27;") in html
    assert rows(html) == rows(client.get(reverse("entities")).content.decode())
