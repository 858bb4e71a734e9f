"""The reading site's pages: home, the sources index, a publisher, a claim's permalink, the
editors' queue by status, the entity page's decisions, breadcrumbs and titles, and the error
pages, each in a fixed number of queries."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from claims.models import Claim, Contradiction
from claims.services import (
    claim_create,
    claim_update,
    contradiction_flag,
    contradiction_resolve,
    value_parse,
)
from claims.views import EDITORS_DECIDE
from kb.dates import BAD_PARTIAL_DATE
from kb.models import Entity
from sources.models import Publisher, Source
from tests import reads

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    """The page's words without tags, spaces collapsed, entities read."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def part(html: str, element_id: str, end: str) -> str:
    """What follows the opening tag of the element with that id, up to `end`."""
    return html.split(f'id="{element_id}"')[1].split(">", 1)[1].split(end)[0]


def title_of(html: str) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip())


def crumbs_of(html: str) -> str:
    return text_of(html.split('<nav class="crumbs"')[1].split("</nav>")[0].split(">", 1)[1])


def callao() -> Contradiction:
    return Contradiction.objects.get(attribute__code="fms_case_value")


def decide(contradiction: Contradiction, editor, outcome="one_is_wrong", note="The fact sheet."):
    return contradiction_resolve(
        contradiction=contradiction,
        outcome=outcome,
        note=note,
        user=editor,
        version=contradiction.version,
        position=0 if outcome in ("one_is_wrong", "superseded") else None,
    )


# Home.


def test_the_home_page_says_what_the_base_holds_and_who_does_what(client, demo):
    page = client.get(reverse("home")).content.decode()

    about = text_of(part(page, "about", "</p>"))
    for role in ("Readers", "analysts", "editors", "researchers"):
        assert role in about
    totals = text_of(part(page, "totals", "</ul>"))
    assert "5 sources" in totals and "60 entities" in totals and "90 claims" in totals
    assert f"{Contradiction.objects.filter(status='open').count()} open contradictions" in totals
    for url in ("entities", "sources", "queue", "search", "api-docs"):
        assert f'href="{reverse(url)}"' in page, url


def test_the_home_page_counts_once_after_each_write(
    client, demo, analyst, django_assert_num_queries
):
    # The first view counts, with one plain COUNT each; the data's version is one query.
    with django_assert_num_queries(5) as first:
        client.get(reverse("home"))
    counts = [q["sql"].upper() for q in first.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 4
    for sql in counts:
        assert sql.startswith("SELECT COUNT(*)") and "JOIN" not in sql and "GROUP BY" not in sql

    # Views after it count nothing: the same data, the counts kept.
    with django_assert_num_queries(1) as again:
        page = client.get(reverse("home")).content.decode()
    assert "COUNT(" not in again.captured_queries[0]["sql"].upper()
    claims_before = Claim.objects.count()
    assert f"{claims_before}" in page

    # A write changes the data's version: the next view counts again and shows it.
    wh = Claim.objects.get(key="wh-callao-fms-180m")
    claim_create(
        key="one-more-claim", subject=wh.subject, attribute=wh.attribute, source=wh.source,
        value=value_parse(attribute=wh.attribute, text="$180 million"), quote=wh.quote,
        credibility=5, user=analyst,
    )  # fmt: skip
    with django_assert_num_queries(5):
        page = client.get(reverse("home")).content.decode()
    assert f"{claims_before + 1}" in page


def test_the_entity_list_stays_reachable_from_the_header_with_its_search(client, demo):
    page = client.get(reverse("home")).content.decode()
    header = page.split("<header")[1].split("</header>")[0]

    found = client.get(reverse("entities"), {"q": "NAMRU"}).content.decode()

    assert f'href="{reverse("entities")}"' in header
    assert "U.S. Naval Medical Research Unit SOUTH" in found


# The sources index and the publisher page.


def source_rows(html: str) -> list[list[str]]:
    body = html.split('id="sources"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in body.split("<tr>")[1:]
    ]


def test_the_sources_index_lists_every_source_newest_first_with_its_claim_count(client, demo):
    rows = source_rows(client.get(reverse("sources")).content.decode())

    assert [row[0] for row in rows] == [
        "US approves potential $1.5 billion Foreign Military Sale to Peru for Callao Naval "
        "Base infrastructure",  # 2026
        "Peru Grants US Troops Access for Joint Training and Security Exercises",  # 2025-12-15
        "Fact sheet: the United States-Peru partnership, ahead of President Biden's meeting "
        "with President Boluarte at APEC",  # 2024-11
        "Opinion: US influence in Peru after the fall of Pedro Castillo",  # 2024
        "US Military Bases in Peru",  # undated, last
    ]
    counts = {row[0][:10]: row[-1] for row in rows}
    assert counts["Opinion: U"] == "37" and counts["US Militar"] == "4"
    assert rows[-1][4] == "undated"


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"kind": "official"}, ["Fact sheet"]),
        ({"grade": "E"}, ["Peru Grants", "US Military Bases"]),
        ({"published_after": "2025"}, ["US approves", "Peru Grants"]),
        ({"published_before": "2024"}, ["Fact sheet", "Opinion"]),
        ({"published_after": "2024-11", "published_before": "2024-11"}, ["Fact sheet"]),
    ],
)
def test_the_sources_index_filters_by_kind_grade_and_date(client, demo, params, titles):
    rows = source_rows(client.get(reverse("sources"), params).content.decode())

    assert [row[0][: len(title)] for row, title in zip(rows, titles, strict=False)] == titles
    assert len(rows) == len(titles)


def test_the_sources_index_filters_by_publisher(client, demo):
    white_house = Publisher.objects.get(name="The White House")

    rows = source_rows(
        client.get(reverse("sources"), {"publisher": white_house.pk}).content.decode()
    )

    assert len(rows) == 1 and rows[0][0].startswith("Fact sheet")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("sources", {"published_after": "next week"}, BAD_PARTIAL_DATE),
        ("queue", {"kind": "planet"}, "Select a valid choice"),
    ],
)
def test_a_bad_filter_says_what_is_wrong_instead_of_failing(client, demo, name, params, message):
    response = client.get(reverse(name), params)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_sources_index_pages_through_many_sources_in_two_queries(
    client, db, django_assert_num_queries
):
    from tests.factories import SourceFactory

    SourceFactory.create_batch(30)

    with django_assert_num_queries(2):  # publisher choices, the page (no count)
        first = client.get(reverse("sources")).content.decode()
    after = re.search(r'<a rel="next" href="\?after=([^"]+)"', first)[1]
    second = client.get(reverse("sources"), {"after": after}).content.decode()

    assert len(source_rows(first)) == 25 and len(source_rows(second)) == 5
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_publisher_page_lists_its_sources_and_default_grade(
    client, demo, django_assert_num_queries
):
    publisher = Publisher.objects.get(name="Defence Talks")
    Publisher.objects.filter(pk=publisher.pk).update(default_reliability="B")

    with django_assert_num_queries(3):
        page = client.get(reverse("publisher", args=[publisher.pk])).content.decode()

    assert "B: usually reliable" in page
    assert [row[0][:11] for row in source_rows(page)] == ["US approves"]
    assert title_of(page).startswith("Publisher: Defence Talks")
    assert crumbs_of(page) == "Home › Sources › Defence Talks"


def test_the_source_page_links_its_publisher_and_each_claim_to_its_permalink(client, demo):
    source = Source.objects.get(key="wh-2024-11-fact-sheet")

    page = client.get(reverse("source", args=[source.pk])).content.decode()

    assert f'href="{reverse("publisher", args=[source.publisher_id])}"' in page
    for claim in source.claims.all():
        assert f'href="{reverse("claim", args=[claim.pk])}"' in page


# The claim page.


def test_the_claim_page_shows_the_claim_like_a_statement(client, demo):
    claim = Claim.objects.get(key="dt-callao-deployment-10-years")

    page = client.get(reverse("claim", args=[claim.pk])).content.decode()

    facts = text_of(part(page, "facts", "</dl>"))
    assert "Subject Callao naval port Foreign Military Sales case" in facts
    assert "Attribute Duration or term duration" in facts
    assert "Value up to 10 years" in facts
    assert "Normalised up to 10 years" in facts
    assert "Claimed on 2026" in facts
    assert "Credibility 2: probably true" in facts
    assert "Rank normal" in facts
    source = text_of(part(page, "source", "</section>"))
    assert "for as long as ten years" in source and "Defence Talks" in source
    assert f'href="{reverse("source", args=[claim.source_id])}#claim-{claim.pk}"' in page
    assert title_of(page).startswith("Claim: Callao naval port Foreign Military Sales case")
    assert crumbs_of(page).startswith("Home › Entities › Callao naval port")


def test_the_claim_page_shows_the_quote_in_its_sentence_and_the_normalised_interval(client, demo):
    claim = Claim.objects.get(key="wh-callao-fms-180m")

    page = client.get(reverse("claim", args=[claim.pk])).content.decode()

    assert text_of(part(page, "interval", "</dd>")) == "180,000,000 USD"
    quote = part(page, "source", "</blockquote>")
    assert f"<mark>{claim.quote}</mark>" in quote
    assert "which may lead to a $1 billion effort" in quote  # the rest of its sentence


def test_the_claim_page_lists_its_contradictions_of_every_status(client, demo, editor):
    claim = callao().memberships.get(position=1).claim
    decide(callao(), editor)

    page = client.get(reverse("claim", args=[claim.pk])).content.decode()

    rows = text_of(part(page, "contradictions", "</table>"))
    assert f"#{callao().pk} FMS case value" in rows
    assert "Resolved" in rows and "One position is wrong: The fact sheet." in rows
    assert "position 2" in rows
    assert "Rank deprecated" in text_of(part(page, "facts", "</dl>"))


def test_the_claim_page_shows_who_changed_what_and_when(client, demo, editor):
    claim = callao().memberships.get(position=0).claim
    claim_update(claim=claim, value_as_written="$180 million (USD)", credibility=1)
    decide(callao(), editor)

    page = client.get(reverse("claim", args=[claim.pk])).content.decode()

    history = text_of(part(page, "history", "</table>"))
    assert f"eddie contradiction #{callao().pk}: one_is_wrong Rank: normal → preferred" in history
    assert "Credibility: 2 → 1" in history
    assert "Value as written: — → $180 million (USD)" in history
    assert "bundle import" in history


def test_a_history_change_of_subject_names_the_entities(client, demo):
    claim = Claim.objects.get(key="dt-callao-deployment-10-years")
    other = Entity.objects.get(key="namru-south")
    claim_update(claim=claim, subject=other)

    page = client.get(reverse("claim", args=[claim.pk])).content.decode()

    history = text_of(part(page, "history", "</table>"))
    assert (
        "Subject: Callao naval port Foreign Military Sales case → "
        "U.S. Naval Medical Research Unit SOUTH"
    ) in history


def test_the_claim_page_shows_its_independent_corroboration(client, demo):
    claim = Claim.objects.get(key="wh-callao-fms-180m")

    page = client.get(reverse("claim", args=[claim.pk])).content.decode()

    assert "Backed by 1 independent source" in text_of(part(page, "corroboration", "</p>"))


def test_the_claim_page_reads_in_a_fixed_number_of_queries(
    client, demo, django_assert_max_num_queries
):
    claim = callao().memberships.get(position=0).claim

    with django_assert_max_num_queries(5):
        response = client.get(reverse("claim", args=[claim.pk]))

    assert response.status_code == 200


def test_only_analysts_see_the_claims_edit_link(client, demo, analyst, researcher):
    claim = Claim.objects.get(key="wh-callao-fms-180m")
    analyst.is_staff = True
    analyst.save()
    edit = reverse("admin:claims_claim_change", args=[claim.pk])

    anonymous = client.get(reverse("claim", args=[claim.pk])).content.decode()
    client.force_login(researcher)
    reader = client.get(reverse("claim", args=[claim.pk])).content.decode()
    client.force_login(analyst)
    curator = client.get(reverse("claim", args=[claim.pk])).content.decode()

    assert edit not in anonymous and edit not in reader
    assert edit in curator


def test_the_claim_page_escapes_the_quote_and_the_value_as_written(client, demo):
    claim = Claim.objects.get(key="dt-callao-deployment-10-years")
    Claim.objects.filter(pk=claim.pk).update(
        quote='<script>alert("q")</script>', value_as_written="<b>ten</b>"
    )

    page = client.get(reverse("claim", args=[claim.pk])).content.decode()

    assert "<script>alert" not in page and "<b>ten</b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;ten&lt;/b&gt;" in page


def test_an_unknown_claim_is_the_sites_not_found_page(client, db):
    response = client.get(reverse("claim", args=[999999]))

    assert response.status_code == 404
    assert 'id="not-found"' in response.content.decode()


@pytest.mark.parametrize(
    ("name", "key", "queries"),
    [
        ("entities", None, 1),  # the entities with their claim totals
        ("entity", "callao-fms-case", 3),  # entity with its aliases, claims, contradictions
        ("source", "wh-2024-11-fact-sheet", 2),  # source, its claims
    ],
)
def test_the_entity_and_source_pages_read_in_a_fixed_number_of_queries(
    client, demo, django_assert_num_queries, name, key, queries
):
    if key is None:
        args = []
    elif name == "entity":
        args = [Entity.objects.get(key=key).pk]
    else:
        args = [Source.objects.get(key=key).pk]

    with django_assert_num_queries(queries):
        response = client.get(reverse(name, args=args))

    assert response.status_code == 200


# The entity page.


def test_the_entity_page_links_every_contradiction_with_its_decision(client, demo, editor):
    decide(callao(), editor, note="Primary source wins.")
    entity = callao().subject
    claim = Claim.objects.get(key="wh-callao-fms-180m")

    page = client.get(reverse("entity", args=[entity.pk])).content.decode()

    row = text_of(page.split('id="attribute-fms_case_value"')[1].split("</tr>")[0])
    assert (
        f"contradiction #{callao().pk} resolved: One position is wrong “Primary source wins.”"
        in row
    )
    assert f'href="{reverse("claim", args=[claim.pk])}"' in page
    assert "one_is_wrong" not in page


def test_an_undated_sources_claims_leave_no_dangling_separator(client, demo):
    entity = Entity.objects.get(key="peru")

    page = text_of(client.get(reverse("entity", args=[entity.pk])).content.decode())

    assert "· ·" not in page and "· )" not in page
    assert not re.search(r"·\s*$", page)
    assert "US Military Bases in Peru · Base Insider · grade E" in page


def test_the_entity_page_names_units_and_has_a_breadcrumb(client, demo):
    entity = Entity.objects.get(key="callao-fms-case")

    page = client.get(reverse("entity", args=[entity.pk])).content.decode()

    assert "up to 20 people" in page and "up to 10 years" in page
    assert crumbs_of(page) == f"Home › Entities › {entity.name}"
    assert title_of(page).startswith(entity.name)


# The editors' queue.


def queue_rows(html: str) -> str:
    return html.split('id="queue"')[1].split("<tbody>")[1].split("</tbody>")[0]


def status_counts(html: str) -> dict[str, int]:
    tabs = html.split('id="statuses"')[1].split("</nav>")[0]
    return {
        name: int(total)
        for name, total in re.findall(r'data-status="(\w+)">\w+ <span class="count">(\d+)', tabs)
    }


def test_the_queue_counts_each_status_and_filters_by_it(client, demo, editor):
    decide(callao(), editor)
    apep = Contradiction.objects.get(key="flag-apep-membership")
    decide(apep, editor, outcome="false_positive", note="Both can be true.")

    opened = client.get(reverse("queue")).content.decode()
    resolved = client.get(reverse("queue"), {"status": "resolved"}).content.decode()
    dismissed = client.get(reverse("queue"), {"status": "dismissed"}).content.decode()

    assert status_counts(opened) == {
        "open": 9, "resolved": 1, "dismissed": 1, "withdrawn": 0, "all": 11,
    }  # fmt: skip
    assert "FMS case value" not in queue_rows(opened)
    assert "FMS case value" in queue_rows(resolved)
    assert "One position is wrong" in queue_rows(resolved)
    assert "Flagged by hand by" not in queue_rows(resolved)
    assert "Both can be true." in queue_rows(dismissed)
    assert "False positive: no disagreement" in queue_rows(dismissed)
    # Each row's status, capitalized.
    assert queue_rows(opened).count("<td>Open</td>") == 9
    assert queue_rows(resolved).count("<td>Resolved</td>") == 1
    assert queue_rows(dismissed).count("<td>Dismissed</td>") == 1


def test_the_counts_follow_each_write_on_a_page_with_rows_and_on_one_without(client, demo, editor):
    """The counts are kept for the data's version, which a page reads with its rows (or alone,
    when it has none): after each decision both pages count afresh."""
    withdrawn = {"status": "withdrawn"}
    assert status_counts(client.get(reverse("queue"), withdrawn).content.decode())["open"] == 11
    assert status_counts(client.get(reverse("queue")).content.decode())["open"] == 11

    decide(callao(), editor)
    opened = client.get(reverse("queue")).content.decode()
    assert (status_counts(opened)["open"], status_counts(opened)["resolved"]) == (10, 1)

    apep = Contradiction.objects.get(key="flag-apep-membership")
    decide(apep, editor, outcome="false_positive", note="Both can be true.")
    empty = client.get(reverse("queue"), withdrawn).content.decode()
    assert "No withdrawn contradiction matches these filters." in queue_rows(empty)
    assert status_counts(empty) == {
        "open": 9, "resolved": 1, "dismissed": 1, "withdrawn": 0, "all": 11,
    }  # fmt: skip


def test_the_status_counts_follow_the_other_filters(client, demo, editor):
    decide(callao(), editor)

    page = client.get(reverse("queue"), {"attribute": "fms_case_value", "status": "all"})

    assert status_counts(page.content.decode()) == {
        "open": 0, "resolved": 1, "dismissed": 0, "withdrawn": 0, "all": 1,
    }  # fmt: skip


def test_a_reopened_contradiction_comes_first_and_says_why(client, demo, editor, analyst):
    decide(callao(), editor)
    wh = callao().memberships.get(position=0).claim
    claim_create(
        key="late-claim", subject=wh.subject, attribute=wh.attribute, source=wh.source,
        value=value_parse(attribute=wh.attribute, text="$2 billion"), quote=wh.quote,
        credibility=5, user=analyst,
    )  # fmt: skip

    rows = queue_rows(client.get(reverse("queue")).content.decode())

    first = rows.split("</tr>")[0]
    assert "FMS case value" in first
    assert "reopened" in first and "late-claim" in first


def test_the_queue_says_why_each_contradiction_is_there(client, demo):
    rows = queue_rows(client.get(reverse("queue")).content.decode())

    assert rows.count("Detected by the rules") == 8
    assert rows.count("Flagged by hand") == 3
    assert "002 calls Peru a founding partner of APEP" in rows


def test_a_flag_says_who_raised_it_on_the_queue(client, demo, analyst):
    one = Claim.objects.get(key="wh-callao-fms-180m")
    other = Claim.objects.get(key="dt-callao-fms-1-5bn")
    flag = contradiction_flag(claims=[one, other], note="Two figures for one case.", user=analyst)

    rows = queue_rows(client.get(reverse("queue")).content.decode())

    row = rows.split(f'<tr id="contradiction-{flag.pk}">')[1].split("</tr>")[0]
    assert "Flagged by hand by ana" in row
    assert "Two figures for one case." in row
    assert "flagged 0 minutes ago" in row  # its last event, just now


def test_a_withdrawn_contradiction_is_listed_under_withdrawn(client, demo):
    claim = Claim.objects.get(key="dt-callao-fms-1-5bn")
    claim_update(claim=claim, value=value_parse(attribute=claim.attribute, text="$180 million"))

    withdrawn = client.get(reverse("queue"), {"status": "withdrawn"}).content.decode()

    assert status_counts(withdrawn)["withdrawn"] == 1
    assert "FMS case value" in queue_rows(withdrawn) and "Withdrawn:" in queue_rows(withdrawn)


def test_the_queue_reads_in_a_fixed_number_of_queries(
    client, demo, editor, django_assert_num_queries
):
    decide(callao(), editor)

    # the page's rows with the data's version, then the attribute choices and the counts per
    # status (both kept for that version, and read anew after the decision)
    with django_assert_num_queries(2 + reads.recurring_rows_by_ids()):
        client.get(reverse("queue"), {"status": "all"})


def test_an_unknown_status_falls_back_to_the_open_ones_and_says_so(client, demo):
    page = client.get(reverse("queue"), {"status": "lost"}).content.decode()

    assert "Select a valid choice" in page
    assert 'aria-current="page" class="current" data-status="open"' in page


# The analyst on a contradiction page.


def test_an_analyst_on_a_contradiction_page_is_told_that_editors_decide(
    client, demo, analyst, editor
):
    url = reverse("contradiction", args=[callao().pk])
    client.force_login(analyst)
    as_analyst = client.get(url).content.decode()
    client.force_login(editor)
    as_editor = client.get(url).content.decode()

    sentence = EDITORS_DECIDE.split(" As ")[0]
    assert sentence in as_analyst and "#flag" in as_analyst
    assert sentence not in as_editor


# Titles, breadcrumbs and the error pages.


@pytest.mark.parametrize(
    ("name", "title", "crumbs"),
    [
        ("home", "Home", "Home"),
        ("entities", "Entities", "Home › Entities"),
        ("sources", "Sources", "Home › Sources"),
        ("queue", "Contradictions: open", "Home › Contradictions"),
        ("search", "Search", "Home › Search"),
    ],
)
def test_every_page_names_itself_and_has_a_breadcrumb(client, demo, name, title, crumbs):
    page = client.get(reverse(name)).content.decode()

    assert title_of(page) == f"{title} · Claim-tracking knowledge base"
    assert crumbs_of(page) == crumbs


def test_the_not_found_page_is_in_the_sites_look(client, db):
    response = client.get("/no/such/page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert 'class="site-search"' in page and "/no/such/page/" in page
    assert title_of(page) == "Not found · Claim-tracking knowledge base"


def test_the_server_error_page_needs_neither_the_database_nor_a_request(
    django_assert_num_queries, db
):
    with django_assert_num_queries(0):
        page = render_to_string("500.html")

    assert "Something went wrong" in page and "kb/site.css" in page
    assert 'class="site-search"' in page


def test_a_failing_page_answers_with_the_server_error_page(client, demo, monkeypatch):
    from claims import views

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "knowledge_base_totals", broken)
    client.raise_request_exception = False

    response = client.get(reverse("home"))

    assert response.status_code == 500
    assert 'id="server-error"' in response.content.decode()


def test_the_side_by_side_page_has_one_breadcrumb_and_links_each_claim_to_its_page(client, demo):
    contradiction = callao()
    page = client.get(reverse("contradiction", args=[contradiction.pk])).content.decode()

    assert page.count('class="crumbs"') == 1
    assert crumbs_of(page) == f"Home › Contradictions › #{contradiction.pk}"
    for claim_id in contradiction.memberships.values_list("claim_id", flat=True):
        assert f'<a class="value" href="{reverse("claim", args=[claim_id])}"' in page
