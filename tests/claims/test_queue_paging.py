"""The editors' queue at any length: pages walked by their links, each in the same queries,
and counts kept until the next write."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Contradiction
from claims.selectors import contradictions_by_activity
from kb.paging import BAD_PAGE_LINK
from tests import reads

pytestmark = pytest.mark.django_db


@pytest.fixture
def many():
    bundle_import(bundle=synthetic_bundle(claims=600, seed=3))
    found = Contradiction.objects.filter(status="open", withdrawn_at__isnull=True).count()
    assert found > 100, found  # more than two pages of 50
    return found


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="contradiction-(\d+)">', html)]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="\?([^"]*)"', html)
    return found[1].replace("&amp;", "&") if found else None


def test_the_pages_walk_the_whole_queue_in_order_and_back(client, many):
    expected = list(
        contradictions_by_activity(
            Contradiction.objects.filter(status="open", withdrawn_at__isnull=True)
        ).values_list("pk", flat=True)
    )
    seen, pages, query = [], [], ""
    while True:
        html = client.get(reverse("queue") + "?" + query).content.decode()
        pages.append(html)
        seen += row_ids(html)
        query = link(html, "next")
        if query is None:
            break

    assert seen == expected and len(pages) == -(-many // 50)
    assert link(pages[0], "prev") is None

    # Back from the last page, page by page, to the first.
    html = pages[-1]
    for earlier in reversed(pages[:-1]):
        html = client.get(reverse("queue") + "?" + link(html, "prev")).content.decode()
        assert row_ids(html) == row_ids(earlier)
    assert link(html, "prev") is None


def test_a_page_deep_in_the_queue_costs_the_queries_of_the_second(
    client, many, django_assert_num_queries
):
    first = client.get(reverse("queue")).content.decode()
    second_query = link(first, "next")
    second = client.get(reverse("queue") + "?" + second_query).content.decode()
    deep = second
    while link(deep, "next"):
        deep_query = link(deep, "next")
        deep = client.get(reverse("queue") + "?" + deep_query).content.decode()

    # the rows, with the data's version (the counts and the attribute choices are kept for
    # that version); the first page's rows, which editors open again and again, are one
    # statement with their ids'
    with django_assert_num_queries(reads.recurring_rows_by_ids()):
        client.get(reverse("queue"))
    with django_assert_num_queries(reads.rows_by_ids()):
        client.get(reverse("queue") + "?" + second_query)
    with django_assert_num_queries(reads.rows_by_ids()):
        client.get(reverse("queue") + "?" + deep_query)


def test_the_filters_are_kept_across_pages_and_the_counts_follow_them(client, many):
    first = client.get(reverse("queue"), {"age": "7", "status": "all"})
    html = first.content.decode()
    query = link(html, "next")

    assert "age=7" in query and "status=all" in query
    following = client.get(reverse("queue") + "?" + query).content.decode()
    assert set(row_ids(following)).isdisjoint(row_ids(html))
    assert f'data-status="all">All <span class="count">{many}</span>' in following
    older = client.get(reverse("queue"), {"age": "older", "status": "all"}).content.decode()
    assert 'data-status="all">All <span class="count">0</span>' in older
    assert row_ids(older) == []


@pytest.mark.parametrize(
    "bad", ["nonsense", "2024-01-01~x", "2024-13-01T00:00:00+00:00~5", "~", "1" * 200 + "~1"]
)
def test_a_made_up_page_link_shows_the_start_and_says_so(client, many, bad):
    response = client.get(reverse("queue"), {"after": bad})

    assert response.status_code == 200
    html = response.content.decode()
    assert BAD_PAGE_LINK.replace("'", "&#x27;") in html
    assert row_ids(html) == row_ids(client.get(reverse("queue")).content.decode())


def test_a_link_past_the_end_offers_the_way_back_to_the_start(client, many):
    response = client.get(reverse("queue"), {"after": "2000-01-01T00:00:00+00:00~1"})

    html = response.content.decode()
    assert row_ids(html) == []
    assert link(html, "prev") == ""
