"""The editors' queue, the side-by-side page, decisions, hand flags and the entity page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from claims.models import Claim, Contradiction
from claims.services import FLAG_ALL_AGREE, STALE_DECISION, claim_create, value_parse
from claims.views import NOT_AN_ANALYST, NOT_AN_EDITOR
from kb.models import Entity
from tests import reads

pytestmark = pytest.mark.django_db


def callao() -> Contradiction:
    return Contradiction.objects.get(attribute__code="fms_case_value")


def queue_rows(response) -> str:
    """The queue's table, without the filter form (whose options name every attribute)."""
    return response.content.decode().split("<tbody>")[1]


def resolve_data(contradiction, **overrides) -> dict:
    data = {
        "outcome": "one_is_wrong",
        "position": "0",
        "note": "The fact sheet is the primary source.",
        "version": str(contradiction.version),
    }
    data.update(overrides)
    return data


def test_the_queue_lists_the_demo_disagreements(client, demo):
    page = queue_rows(client.get(reverse("queue")))

    for label in [
        "FMS case value",
        "Transfer status",
        "Permits lethal force",
        "Hosts permanent US military bases",
        "US troops first authorised",
        "Presidential status",
        "Located at",
    ]:
        assert label in page, label


@pytest.mark.parametrize(
    ("params", "present", "absent"),
    [
        ({"kind": "official"}, "Presidential status", "FMS case value"),
        ({"attribute": "fms_case_value"}, "FMS case value", "Presidential status"),
        ({"source_kind": "content_site"}, "Hosts permanent US military bases", "FMS case value"),
        ({"age": "1"}, "FMS case value", "zzz-nothing"),
    ],
)
def test_the_queue_filters_by_kind_attribute_source_kind_and_age(
    client, demo, params, present, absent
):
    page = queue_rows(client.get(reverse("queue"), params))

    assert present in page
    assert absent not in page


def test_the_queue_hides_contradictions_older_than_the_chosen_age(client, demo):
    page = client.get(reverse("queue"), {"age": "older"}).content.decode()

    assert "No open contradiction matches these filters." in page


def test_the_queue_costs_the_same_queries_whatever_its_length(
    client, demo, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3 + reads.rows_by_ids()):
        client.get(reverse("queue"))


def test_the_side_by_side_page_shows_each_position_with_source_and_quote(client, demo):
    page = client.get(reverse("contradiction", args=[callao().pk])).content.decode()

    assert 'Position 1: <span class="value">$180 million</span>' in page
    assert 'Position 2: <span class="value">$1.5 billion</span>' in page
    assert "foreign military sales case for construction at the" in page
    assert "The White House" in page and "Defence Talks" in page
    # The quote in the sentence of the stored text that holds it.
    assert "which may lead to a $1 billion effort" in page


def test_the_side_by_side_page_reads_in_a_fixed_number_of_queries(
    client, demo, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        client.get(reverse("contradiction", args=[callao().pk]))


def test_an_editor_resolves_and_the_decision_stays_on_record(client, demo, editor):
    contradiction = callao()
    client.force_login(editor)

    response = client.post(
        reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction)
    )

    assert response.status_code == 302
    contradiction.refresh_from_db()
    assert (contradiction.status, contradiction.outcome) == ("resolved", "one_is_wrong")
    assert contradiction.resolved_by == editor
    ranks = {m.claim.key: m.claim.rank for m in contradiction.memberships.select_related("claim")}
    assert sorted(ranks.values()) == ["deprecated", "preferred"]
    page = client.get(reverse("contradiction", args=[contradiction.pk])).content.decode()
    assert "The fact sheet is the primary source." in page
    assert "resolved: one_is_wrong" in page  # the history row
    assert "eddie" in page


def test_a_decision_without_a_note_is_refused_and_nothing_changes(client, demo, editor):
    contradiction = callao()
    client.force_login(editor)

    response = client.post(
        reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction, note="")
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    contradiction.refresh_from_db()
    assert contradiction.status == "open"


def test_one_is_wrong_without_a_position_is_refused(client, demo, editor):
    contradiction = callao()
    client.force_login(editor)

    response = client.post(
        reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction, position="")
    )

    assert response.status_code == 400
    assert "Choose the position that holds." in response.content.decode()


def test_false_positive_dismisses(client, demo, editor):
    contradiction = callao()
    client.force_login(editor)

    client.post(
        reverse("contradiction", args=[contradiction.pk]),
        resolve_data(contradiction, outcome="false_positive", position=""),
    )

    contradiction.refresh_from_db()
    assert contradiction.status == "dismissed"


def test_the_second_of_two_editors_deciding_at_once_is_told_and_keeps_their_note(
    client, demo, editor, second_editor
):
    contradiction = callao()
    seen = resolve_data(contradiction)
    client.force_login(editor)
    client.post(reverse("contradiction", args=[contradiction.pk]), seen)

    client.force_login(second_editor)
    late = dict(seen, note="My own careful reasoning.", position="1")
    response = client.post(reverse("contradiction", args=[contradiction.pk]), late)

    assert response.status_code == 400
    page = response.content.decode()
    assert STALE_DECISION.split("(")[0] in page
    assert "My own careful reasoning." in page  # nothing lost
    contradiction.refresh_from_db()
    assert contradiction.resolved_by == editor
    assert contradiction.note == "The fact sheet is the primary source."


def test_an_analyst_may_not_resolve(client, demo, analyst):
    contradiction = callao()
    client.force_login(analyst)

    response = client.post(
        reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction)
    )

    assert response.status_code == 403
    assert NOT_AN_EDITOR in response.content.decode()
    contradiction.refresh_from_db()
    assert contradiction.status == "open"


def test_a_reader_sees_no_resolve_form_and_cannot_post(client, demo, researcher):
    contradiction = callao()
    client.force_login(researcher)

    page = client.get(reverse("contradiction", args=[contradiction.pk])).content.decode()
    response = client.post(
        reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction)
    )

    assert "Record the decision" not in page
    assert response.status_code == 403


def test_posting_without_a_csrf_token_is_refused(demo, editor):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    contradiction = callao()

    response = client.post(
        reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction)
    )

    assert response.status_code == 403
    contradiction.refresh_from_db()
    assert contradiction.status == "open"


def test_four_eyes_refuses_an_editor_deciding_for_their_own_claims(client, editor, demo):
    contradiction = callao()
    wh = contradiction.memberships.get(position=0).claim
    Claim.objects.filter(pk=wh.pk).update(created_by=editor)
    client.force_login(editor)

    response = client.post(
        reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction)
    )

    assert response.status_code == 400
    assert "Four eyes" in response.content.decode()


def test_a_claim_that_conflicts_with_the_preferred_position_reopens_and_the_page_says_why(
    client, demo, editor, analyst
):
    contradiction = callao()
    client.force_login(editor)
    client.post(reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction))
    wh = contradiction.memberships.get(position=0).claim

    claim_create(
        key="late-claim",
        subject=wh.subject,
        attribute=wh.attribute,
        source=wh.source,
        value=value_parse(attribute=wh.attribute, text="$2 billion"),
        quote=wh.quote,
        credibility=5,
        user=analyst,
    )

    contradiction.refresh_from_db()
    assert contradiction.status == "open"
    page = client.get(reverse("contradiction", args=[contradiction.pk])).content.decode()
    assert (
        "claim &quot;late-claim&quot;" in page and "conflicts with the preferred position" in page
    )


def test_an_analyst_flags_free_text_claims_by_hand(client, demo, analyst):
    entity = Entity.objects.get(key="apep")
    claims = list(Claim.objects.filter(subject=entity, attribute__code="peru_membership"))
    Contradiction.objects.filter(subject=entity).delete()
    client.force_login(analyst)

    response = client.post(
        reverse("entity", args=[entity.pk]),
        {"claims": [c.pk for c in claims], "note": "Founding partner, or added later?"},
    )

    assert response.status_code == 302
    flag = Contradiction.objects.get(subject=entity)
    assert (flag.origin, flag.flag_note, flag.flagged_by) == (
        "manual",
        "Founding partner, or added later?",
        analyst,
    )
    assert flag.memberships.count() == len(claims)


def test_a_flag_of_claims_giving_the_same_value_is_refused_and_keeps_the_ticks_and_note(
    client, demo, analyst
):
    entity = Entity.objects.get(key="black-hawk-transfer")
    nine = list(Claim.objects.filter(subject=entity, attribute__code="helicopter_count"))
    flags = Contradiction.objects.count()
    client.force_login(analyst)
    page = client.get(reverse("entity", args=[entity.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    response = client.post(
        reverse("entity", args=[entity.pk]),
        {
            "csrfmiddlewaretoken": token,
            "claims": [c.pk for c in nine],
            "note": "Nine <b>and</b> nine?",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    # Said at the top of the page, where a refused flag's other errors are.
    assert page.index(FLAG_ALL_AGREE) < page.index('name="claims"')
    for claim in nine:
        assert f'name="claims" value="{claim.pk}" checked>' in page
    assert page.count(" checked>") == len(nine)
    assert "Nine &lt;b&gt;and&lt;/b&gt; nine?" in page
    assert Contradiction.objects.count() == flags


def test_a_reader_cannot_flag(client, demo, researcher):
    entity = Entity.objects.get(key="apep")
    client.force_login(researcher)

    response = client.post(reverse("entity", args=[entity.pk]), {"claims": [], "note": "x"})

    assert response.status_code == 403
    assert NOT_AN_ANALYST in response.content.decode()


def test_the_entity_page_shows_best_values_and_contested_attributes_side_by_side(client, demo):
    entity = Entity.objects.get(key="callao-fms-case")

    page = client.get(reverse("entity", args=[entity.pk])).content.decode()

    assert "contested" in page
    assert "$180 million" in page and "$1.5 billion" in page
    assert f"see contradiction #{callao().pk}" in page


def test_the_entity_page_shows_the_preferred_value_after_a_decision(client, demo, editor):
    contradiction = callao()
    client.force_login(editor)
    client.post(reverse("contradiction", args=[contradiction.pk]), resolve_data(contradiction))

    page = client.get(reverse("entity", args=[contradiction.subject.pk])).content.decode()

    fms_row = page.split('id="attribute-fms_case_value"')[1].split("</tr>")[0]
    best_cell = fms_row.split("<td>")[1]
    assert "$180 million" in best_cell and "$1.5 billion" not in best_cell


def test_source_text_and_quotes_are_escaped(client, demo):
    claim = callao().memberships.first().claim
    Claim.objects.filter(pk=claim.pk).update(quote='<script>alert("x")</script>')

    page = client.get(reverse("contradiction", args=[callao().pk])).content.decode()

    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_the_source_page_highlights_every_anchored_quote_and_links_its_contradiction(client, demo):
    from sources.models import Source

    source = Source.objects.get(key="wh-2024-11-fact-sheet")
    anchored = source.claims.filter(quote_status="anchored")

    page = client.get(reverse("source", args=[source.pk])).content.decode()

    assert anchored.count() == source.claims.count() > 0
    text = page.split('id="source-text"')[1].split("</div>")[0]
    highlighted = {
        int(i) for chunk in text.split('data-claims="')[1:] for i in chunk.split('"')[0].split()
    }
    assert highlighted == set(anchored.values_list("pk", flat=True))
    assert f'href="/contradictions/{callao().pk}/"' in page


def test_a_source_text_with_a_script_tag_stays_text(client, db):
    from claims.services import source_save_with_quotes
    from tests.factories import SourceFactory

    source = SourceFactory.build(
        text='Before <script>alert("owned")</script> after.', publisher=None
    )
    source_save_with_quotes(source=source)

    page = client.get(reverse("source", args=[source.pk])).content.decode()

    assert '<script>alert("owned")</script>' not in page
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page


def test_a_source_without_stored_text_says_so_and_lists_its_quotes(client, demo):
    from sources.models import Source

    source = Source.objects.get(key="defencetalks-2026-callao-fms")

    page = client.get(reverse("source", args=[source.pk])).content.decode()

    assert "No text is stored for this source" in page
    assert source.claims.first().quote.split()[0] in page


def test_two_sources_giving_the_same_best_value_show_it_once(client, demo):
    entity = Entity.objects.get(key="callao-fms-case")

    page = client.get(reverse("entity", args=[entity.pk])).content.decode()

    row = page.split('id="attribute-location"')[1].split("</tr>")[0]
    best_cell = row.split("<td>")[1].split("</td>")[0]
    assert best_cell.count("Callao Naval Base") == 1
    assert row.count("Callao Naval Base") >= 3  # and both claims beside it


def entity_rows(response) -> list[list[str]]:
    """The entity list's table rows, each as its cells' text."""
    body = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    rows = []
    for row in body.split("<tr>")[1:]:
        cells = [cell.split("</td>")[0] for cell in row.split("<td>")[1:]]
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


def test_searching_the_entity_list_by_an_alias_counts_each_claim_once(client, demo):
    namru = Entity.objects.get(key="namru-south")
    # "NAMRU" is in two of its aliases ("NAMRU-SOUTH", "Namru Sur"): the join once doubled it.
    assert namru.aliases.filter(name__icontains="NAMRU").count() == 2
    claims = Claim.objects.filter(subject=namru).count()

    rows = entity_rows(client.get(reverse("entities"), {"q": "NAMRU"}))

    assert rows == [[namru.name, namru.get_kind_display(), str(claims)]]


def test_the_entity_list_counts_the_same_claims_with_and_without_a_search(client, demo):
    everything = {row[0]: row[2] for row in entity_rows(client.get(reverse("entities")))}

    for query in ("namru", "Callao", "sur"):
        found = entity_rows(client.get(reverse("entities"), {"q": query}))

        assert found, query
        for name, _, total in found:
            assert total == everything[name], (query, name)
