"""The sources index and a publisher's page at any size: newest published first, the undated
last, every source reached once walking on and the same ones walking back, each page one or two
indexed reads whatever its depth, with no count of the table."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from claims.views import SOURCES_PER_PAGE
from kb.paging import BAD_PAGE_LINK
from sources.models import Source
from tests.factories import PublisherFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many():
    """62 sources: 40 dated, with ties on a date, and 22 undated, so that a page straddles the
    dated and the undated, and the undated fill pages of their own."""
    publisher = PublisherFactory(name="Many Pages Press")
    for number in range(40):
        SourceFactory(publisher=publisher, published_on=datetime.date(2020, 1, 1 + number % 13))
    SourceFactory.create_batch(22, publisher=publisher, published_on=None)
    return publisher


def expected_order(**filters) -> list[int]:
    """Newest first, ties by the newest id, the undated last, newest id first."""
    sources = list(Source.objects.filter(**filters).values_list("pk", "published_on"))
    dated = sorted((s for s in sources if s[1]), key=lambda s: (s[1], s[0]), reverse=True)
    undated = sorted((s for s in sources if not s[1]), key=lambda s: s[0], reverse=True)
    return [pk for pk, _ in dated + undated]


def rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr>\s*<td><a href="/sources/(\d+)/">', html)]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="\?([^"]*)"', html)
    return found[1].replace("&amp;", "&") if found else None


def walk(client, url: str, query: str = "", rel: str = "next") -> tuple[list[int], str]:
    """Every row from the page `query` names, following `rel` links; and the last page's HTML."""
    seen = []
    while query is not None:
        html = client.get(f"{url}?{query}").content.decode()
        seen += rows(html) if rel == "next" else list(reversed(rows(html)))
        query = link(html, rel)
    return seen, html


@pytest.mark.parametrize("name", ["sources", "publisher"])
def test_every_source_is_reached_once_newest_first_and_the_same_walking_back(client, many, name):
    url = reverse(name, args=[many.pk] if name == "publisher" else [])

    forward, last = walk(client, url)
    backward, _ = walk(client, url, link(last, "prev"), rel="prev")

    assert forward == expected_order(publisher=many)
    assert len(rows(last)) == 62 - 2 * SOURCES_PER_PAGE
    # Back from the last page: every page before it, in the same order.
    assert list(reversed(backward)) == forward[: 2 * SOURCES_PER_PAGE]


def test_the_undated_sources_say_so_and_the_link_into_them_is_readable(client, many):
    first = client.get(reverse("sources")).content.decode()
    second = client.get(reverse("sources") + "?" + link(first, "next")).content.decode()

    # The second page ends the dated sources and starts the undated: its link out of it names
    # an undated source by its id alone.
    assert "undated" in second and link(second, "next").startswith("after=~")
    assert link(first, "next").startswith("after=2020-01-")


def test_a_filter_is_kept_from_page_to_page(client, many):
    other = PublisherFactory(name="Elsewhere")
    SourceFactory.create_batch(3, publisher=other, published_on=None)

    forward, _ = walk(client, reverse("sources"), f"publisher={many.pk}")

    assert forward == expected_order(publisher=many)


@pytest.mark.parametrize("depth", [0, 1, 2])
@pytest.mark.usefixtures("sql_as_text")
def test_each_page_costs_the_same_reads_whatever_its_depth(
    client, many, depth, django_assert_max_num_queries
):
    query = ""
    for _ in range(depth):
        query = link(client.get(reverse("sources") + "?" + query).content.decode(), "next")

    # The publisher choices; the page's rows, from the dated, then (reaching past them) the
    # undated; never a count.
    with django_assert_max_num_queries(3) as captured:
        html = client.get(reverse("sources") + "?" + query).content.decode()

    assert len(rows(html)) > 0
    # (Each row's claims are counted in a subquery; the list itself never is.)
    assert not any(
        query["sql"].upper().startswith("SELECT COUNT(*)") for query in captured.captured_queries
    )


@pytest.mark.parametrize(
    "mark", ["2020-13-40~5", "yesterday~3", "~x", "2020-01-01", "~" + "9" * 30]
)
def test_a_made_up_page_link_says_so_and_shows_the_first_page(client, many, mark):
    response = client.get(reverse("sources"), {"after": mark})

    html = response.content.decode()
    assert response.status_code == 200
    assert BAD_PAGE_LINK in html
    assert rows(html) == expected_order()[:SOURCES_PER_PAGE]
