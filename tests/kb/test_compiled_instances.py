"""Model instances read with a query compiled once per connection (kb.api.compiled.instances):
the same instances, related objects and annotations as Django's own reading, for each value a
request gives; the side-by-side page reads its contradiction and positions so, the entity page
its entity and aliases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Attribute, Contradiction, ContradictionClaim
from claims.selectors import (
    contradiction_for_page,
    contradiction_history,
    contradiction_page,
    current_contradictions_of,
)
from claims.selectors.contradictions import HISTORY_SHOWN
from kb.api.compiled import instances, listed_instances, value_marker
from kb.models import Entity, EntityAlias

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_contradiction_as_the_orm_reads_it_with_its_joined_objects(demo, editor):
    contradictions = list(Contradiction.objects.order_by("pk"))
    resolved = contradictions[1]
    resolved.resolved_by = editor
    resolved.save()

    for expected in contradictions:
        expected = contradiction_for_page().get(pk=expected.pk)
        found = contradiction_page(expected.pk)

        assert type(found) is Contradiction and found._state.adding is False
        assert fields(found) == fields(expected)
        for related in ("subject", "attribute", "resolved_by", "flagged_by"):
            mine, theirs = getattr(found, related), getattr(expected, related)
            assert (mine and fields(mine)) == (theirs and fields(theirs)), related
    assert contradiction_page(resolved.pk).resolved_by.username == editor.username


def test_no_contradiction_for_an_unknown_or_out_of_range_id(demo, client):
    assert contradiction_page(10**9) is None
    assert contradiction_page(2**63) is None
    assert client.get("/contradictions/99999999999999999999/").status_code == 404
    assert client.get(f"/contradictions/{10**9}/").status_code == 404


def test_annotations_and_each_value_of_its_own(demo):
    def members():
        return (
            ContradictionClaim.objects.filter(contradiction_id=value_marker())
            .select_related("claim__source")
            .annotate(members=Count("contradiction__memberships"))
            .order_by("position", "pk")
        )

    for contradiction in Contradiction.objects.all():
        found = instances("test members", members, contradiction.pk)
        expected = list(members().model.objects.filter(contradiction=contradiction)
                        .select_related("claim__source")
                        .annotate(members=Count("contradiction__memberships"))
                        .order_by("position", "pk"))  # fmt: skip
        assert [fields(m) for m in found] == [fields(m) for m in expected]
        assert [m.members for m in found] == [m.members for m in expected]
        assert [fields(m.claim.source) for m in found] == [fields(m.claim.source) for m in expected]


def test_compiled_once_then_one_query_a_request(demo):
    pk = Contradiction.objects.first().pk
    contradiction_page(pk)

    with CaptureQueriesContext(connection) as queries:
        contradiction_page(pk)
    assert len(queries) == 1


def test_a_prefetching_queryset_is_refused():
    with pytest.raises(TypeError):
        instances(
            "test prefetch",
            lambda: Contradiction.objects.filter(pk=value_marker()).prefetch_related("claims"),
            1,
        )


def test_the_side_by_side_page_shows_the_contradiction_and_its_positions(demo, client):
    contradiction = Contradiction.objects.get(attribute__code="fms_case_value")

    page = client.get(reverse("contradiction", args=[contradiction.pk])).text

    assert contradiction.subject.name in page
    for membership in contradiction.memberships.select_related("claim"):
        assert membership.claim.quote[:40].replace("'", "&#x27;").replace('"', "&quot;") in page


def test_the_entity_page_names_its_aliases_in_order_and_an_unknown_id_is_a_404(demo, client):
    entity = Entity.objects.get(key="callao")
    EntityAlias.objects.create(entity=entity, name="Puerto del Callao")
    EntityAlias.objects.create(entity=entity, name="Base Naval <Callao>")
    other = Entity.objects.exclude(pk=entity.pk).first()
    EntityAlias.objects.create(entity=other, name="Not this one")

    page = client.get(reverse("entity", args=[entity.pk])).text

    assert "Also known as Base Naval &lt;Callao&gt;, Puerto del Callao</span>" in page
    assert "Not this one" not in page
    assert client.get(f"/entities/{10**9}/").status_code == 404
    assert client.get("/entities/99999999999999999999/").status_code == 404


def test_the_entity_page_reads_the_entity_and_its_aliases_as_the_orm_does(demo):
    from kb.selectors import entity_page

    with_aliases = Entity.objects.get(key="callao")
    EntityAlias.objects.create(entity=with_aliases, name="Puerto del Callao")
    EntityAlias.objects.create(entity=with_aliases, name="puerto del Callao")
    without = Entity.objects.filter(aliases__isnull=True).first()

    for entity in (with_aliases, without):
        found, aliases = entity_page(entity.pk)
        expected = Entity.objects.get(pk=entity.pk)
        for field in Entity._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
        assert found._state.adding is False
        assert [(a.pk, a.entity_id, a.name) for a in aliases] == [
            (a.pk, a.entity_id, a.name) for a in expected.aliases.order_by("name", "id")
        ]
    assert len(entity_page(with_aliases.pk)[1]) >= 2
    assert entity_page(without.pk)[1] == []
    assert entity_page(10**9) is None


def test_a_contradictions_history_is_its_newest_fifty_as_the_orm_reads_them(demo, editor, client):
    first, second = Contradiction.objects.order_by("pk")[:2]
    for number in range(HISTORY_SHOWN + 5):
        first.note = f"note {number} <b>"
        first._history_user = editor if number % 2 else None
        first.save()
    expected = list(
        first.history.select_related("history_user").order_by("-history_date", "-pk")[:50]
    )

    found = contradiction_history(first)

    assert len(found) == HISTORY_SHOWN
    assert [fields(record) for record in found] == [fields(record) for record in expected]
    assert [r.history_user and r.history_user.username for r in found] == [
        r.history_user and r.history_user.username for r in expected
    ]
    assert {record.id for record in contradiction_history(second)} == {second.pk}
    assert len(contradiction_history(second)) == second.history.count()
    page = client.get(reverse("contradiction", args=[first.pk])).text
    assert f"note {HISTORY_SHOWN + 4} &lt;b&gt;" in page
    assert "note 4 &lt;b&gt;" not in page  # the 51st newest and older are left out
    assert ">eddie</td>" in page


def test_an_entitys_current_contradictions_as_the_orm_reads_them(demo):
    withdrawn = Contradiction.objects.order_by("pk").first()
    entity = withdrawn.subject
    Contradiction.objects.filter(pk=withdrawn.pk).update(withdrawn_at=withdrawn.detected_at)
    expected = Contradiction.objects.filter(subject=entity, withdrawn_at__isnull=True)

    found = current_contradictions_of(entity.pk)

    assert [fields(c) for c in found] == [fields(c) for c in expected.order_by("id")]
    assert withdrawn.pk not in {c.pk for c in found}
    other = Contradiction.objects.exclude(subject=entity).first()
    assert {c.subject_id for c in current_contradictions_of(other.subject_id)} == {other.subject_id}


def test_listed_instances_read_a_query_without_a_value_afresh_each_time(demo):
    def attributes():
        return Attribute.objects.order_by("label")

    first = listed_instances("test attributes", attributes)
    assert [fields(a) for a in first] == [fields(a) for a in attributes()]

    Attribute.objects.create(code="zz_new", label="A new attribute", value_type="text")
    with CaptureQueriesContext(connection) as queries:
        again = listed_instances("test attributes", attributes)
    assert len(queries) == 1
    assert [a.code for a in again] == [a.code for a in attributes()]
    assert "zz_new" in {a.code for a in again}

    with pytest.raises(ValueError):
        listed_instances("test marker", lambda: Attribute.objects.filter(pk=value_marker()))
