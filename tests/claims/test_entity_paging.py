"""An entity with many claims: its page shows a bounded number of each attribute's claims,
links on to the next ones, and keeps counting every claim for the best value."""

from __future__ import annotations

import copy
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.bundles import bundle_import
from claims.models import Claim, Contradiction
from claims.services import claim_update, value_parse
from claims.views import CLAIMS_PER_FACT
from kb.models import Entity
from kb.paging import BAD_PAGE_LINK

pytestmark = pytest.mark.django_db

EXTRA = 2 * CLAIMS_PER_FACT + 5


@pytest.fixture
def crowded(demo_bundle):
    """The demo, with EXTRA more claims of the Callao case's value, all of $180 million."""
    bundle = copy.deepcopy(demo_bundle)
    model = next(c for c in bundle["claims"] if c["key"] == "wh-callao-fms-180m")
    for number in range(EXTRA):
        claim = copy.deepcopy(model)
        claim["key"] = f"extra-callao-{number:03d}"
        bundle["claims"].append(claim)
    bundle_import(bundle=bundle)
    return Entity.objects.get(key="callao-fms-case")


def shown_claims(html: str) -> list[int]:
    row = html.split('id="attribute-fms_case_value"')[1].split("</tr>")[0]
    return [int(pk) for pk in re.findall(r'<a class="value" href="/claims/(\d+)/"', row)]


def next_link(html: str) -> str | None:
    row = html.split('id="attribute-fms_case_value"')[1].split("</tr>")[0]
    found = re.search(r'<a rel="next" href="\?([^"#]*)#attribute-fms_case_value"', row)
    return found[1].replace("&amp;", "&") if found else None


def test_the_page_shows_a_bounded_number_of_claims_and_links_on_through_all(client, crowded):
    url = reverse("entity", args=[crowded.pk])
    every = list(
        Claim.objects.filter(subject=crowded, attribute__code="fms_case_value")
        .order_by("id")
        .values_list("pk", flat=True)
    )
    seen, query, pages = [], "", 0
    while query is not None:
        html = client.get(url + "?" + query).content.decode()
        shown = shown_claims(html)
        assert 0 < len(shown) <= CLAIMS_PER_FACT
        seen += shown
        pages += 1
        query = next_link(html)

    assert seen == every and pages == -(-len(every) // CLAIMS_PER_FACT)
    assert "earlier claims of this attribute" in html


def test_the_best_value_counts_every_claim_not_only_those_shown(client, crowded):
    html = client.get(reverse("entity", args=[crowded.pk])).content.decode()

    row = html.split('id="attribute-fms_case_value"')[1].split("</tr>")[0]
    # Forty-odd claims of $180 million outweigh the one of $1.5 billion.
    best = row.split("<td>")[1].split("</td>")[0]
    assert "$180 million" in best and "$1.5 billion" not in best
    assert f"({EXTRA + 2} in all)" in row


def test_a_claim_on_a_later_page_can_be_flagged(client, crowded, analyst):
    url = reverse("entity", args=[crowded.pk])
    client.force_login(analyst)
    first = client.get(url).content.decode()
    query = next_link(first)
    picked = shown_claims(client.get(url + "?" + query).content.decode())[:2]
    # Two claims that disagree (a flag of claims giving one value is refused): one of the
    # later page's is corrected to another amount, and the analyst reads the page again.
    other = Claim.objects.get(pk=picked[1])
    claim_update(claim=other, value=value_parse(attribute=other.attribute, text="$2 billion"))
    assert shown_claims(client.get(url + "?" + query).content.decode())[:2] == picked

    response = client.post(
        url,
        {
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "claims": [str(pk) for pk in picked],
            "note": "Two reports of one case should be one claim.",
        },
    )

    assert response.status_code == 302
    flag = Contradiction.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert sorted(flag.memberships.values_list("claim_id", flat=True)) == sorted(picked)


@pytest.mark.parametrize("after", ["x", "", "9" * 30])
def test_a_made_up_link_shows_the_first_claims_and_says_so(client, crowded, after):
    url = reverse("entity", args=[crowded.pk])
    html = client.get(url, {"claims_of": "fms_case_value", "after": after}).content.decode()

    assert BAD_PAGE_LINK.replace("'", "&#x27;") in html
    assert shown_claims(html) == shown_claims(client.get(url).content.decode())


def test_a_long_entity_page_costs_the_queries_of_a_short_one(
    client, crowded, django_assert_max_num_queries
):
    url = reverse("entity", args=[crowded.pk])
    short = reverse("entity", args=[Entity.objects.get(key="namru-south").pk])

    with CaptureQueriesContext(connection) as of_short:
        client.get(short)
    with django_assert_max_num_queries(len(of_short.captured_queries)):
        client.get(url)
