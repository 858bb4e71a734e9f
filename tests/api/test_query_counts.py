"""Every list costs the same number of queries whatever its page size, and an entity's facts
the same whatever the number of its claims: rows are read a page (or an entity) at a time,
never one query a row."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db.models import Count

from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from kb.models import Entity
from tests import reads
from tests.api.conftest import LISTS, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def synthetic(db):
    bundle_import(bundle=synthetic_bundle(claims=300))


def queries(api, url: str) -> int:
    cache.clear()

    def request():
        response = api.get(url)
        assert response.status_code == 200, response.content

    return count_queries(request)


@pytest.mark.parametrize("path", [*LISTS, "/api/v1/contradictions/?withdrawn=any&"])
@pytest.mark.parametrize("format_", ["json", "csv"])
def test_a_list_costs_the_same_queries_for_5_rows_as_for_200(api, synthetic, path, format_):
    separator = "" if path.endswith("&") else "?"
    url = f"{path}{separator}format={format_}&page_size="
    few, many = queries(api, f"{url}5"), queries(api, f"{url}200")

    assert few == many


def test_the_claims_list_in_claimed_on_order_costs_the_same_queries_for_any_page_size(
    api, synthetic
):
    url = "/api/v1/claims/?ordering=-claimed_on&page_size="

    assert queries(api, f"{url}5") == queries(api, f"{url}200")


def test_an_entitys_facts_cost_the_same_queries_whatever_its_claims(api, synthetic):
    entities = Entity.objects.annotate(total=Count("claims")).filter(total__gt=0)
    busiest = entities.order_by("-total", "id").first()
    quietest = entities.order_by("total", "id").first()
    assert busiest.total > quietest.total

    for format_ in ("json", "csv"):
        few = queries(api, f"/api/v1/entities/{quietest.pk}/facts/?format={format_}")
        many = queries(api, f"/api/v1/entities/{busiest.pk}/facts/?format={format_}")
        assert few == many


@pytest.mark.parametrize(
    ("path", "expected", "by_id"),
    [
        # the data's version, the claims with what their corroboration needs
        ("/api/v1/claims/", 2, 1),
        # the data's version, the contradictions, their positions' claims with what their
        # corroboration needs (and no decisions: none of them was decided)
        ("/api/v1/contradictions/", 3, 2),
    ],
)
def test_a_page_of_claims_reads_their_corroboration_with_them(
    api, synthetic, path, expected, by_id
):
    # `by_id` of those read rows by their ids (reads.rows_by_ids).
    assert queries(api, f"{path}?page_size=200") == expected + by_id * (reads.rows_by_ids() - 1)
