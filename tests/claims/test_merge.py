"""Duplicate entities: look-alike names are suggested, merges move everything and undo."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from claims.bundles import bundle_import
from claims.models import Claim, Contradiction, EntityMerge
from claims.services import (
    MERGE_ITSELF,
    UNDO_DONE,
    attribute_create,
    claim_create,
    entity_merge,
    entity_merge_undo,
    value_parse,
)
from kb.models import Entity, EntityAlias
from kb.selectors import entity_lookalikes
from kb.services import account_create
from tests.factories import EntityFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_a_name_close_to_an_existing_alias_suggests_that_entity():
    namru = EntityFactory(name="U.S. Naval Medical Research Unit SOUTH")
    EntityAlias.objects.create(entity=namru, name="NAMRU-SOUTH")
    EntityFactory(name="Callao Naval Base")

    found = entity_lookalikes("Namru South")

    assert [x.entity for x in found] == [namru]
    assert found[0].name == "NAMRU-SOUTH"


def test_an_unrelated_name_suggests_nothing():
    EntityFactory(name="Callao Naval Base")

    assert entity_lookalikes("Pentagon") == []


def test_the_admin_asks_before_creating_a_lookalike_entity(client, staff):
    namru = EntityFactory(name="NAMRU-SOUTH")
    client.force_login(staff)
    data = {"kind": "organization", "name": "Namru South", "key": "namru-sur", "description": ""}
    for prefix in ("aliases", "relations"):  # the inlines' management forms
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    refused = client.post(reverse("admin:kb_entity_add"), data)
    accepted = client.post(reverse("admin:kb_entity_add"), {**data, "different_entity": "on"})

    assert refused.status_code == 200
    assert "An entity with a name like this exists" in refused.content.decode()
    assert reverse("admin:kb_entity_change", args=[namru.pk]) in refused.content.decode()
    assert accepted.status_code == 302
    assert Entity.objects.filter(key="namru-sur").exists()


@pytest.fixture
def duplicates():
    attribute = attribute_create(code="staff", label="Staff", value_type="count", unit="people")
    located = attribute_create(code="located_in", label="Located in", value_type="entity")
    keep = EntityFactory(key="namru-south", name="NAMRU-SOUTH", kind="organization")
    dup = EntityFactory(key="namru-sur", name="Namru Sur", kind="organization")
    EntityAlias.objects.create(entity=dup, name="Unidad Naval")
    iquitos = EntityFactory(key="iquitos", name="Iquitos", kind="place")
    source = SourceFactory()

    def claim(key, subject, value, attr=attribute):
        parsed = value if attr is located else value_parse(attribute=attr, text=value)
        return claim_create(
            key=key, subject=subject, attribute=attr, source=source, value=parsed,
            quote="q", credibility=3,
        )  # fmt: skip

    claim("keep-15", keep, "15")
    claim("dup-40", dup, "40")
    claim("where", iquitos, dup, attr=located)
    return keep, dup


def test_merging_moves_claims_aliases_and_names_and_detects_the_new_conflict(duplicates, staff):
    keep, dup = duplicates
    assert not Contradiction.objects.exists()

    merge = entity_merge(duplicate=dup, into=keep, user=staff)

    assert set(Claim.objects.filter(subject=keep).values_list("key", flat=True)) == {
        "keep-15",
        "dup-40",
    }
    assert Claim.objects.get(key="where").entity_value == keep
    assert {"Namru Sur", "Unidad Naval"} <= set(keep.aliases.values_list("name", flat=True))
    dup.refresh_from_db()
    assert dup.merged_into == keep
    contradiction = Contradiction.objects.get(withdrawn_at__isnull=True)
    assert contradiction.subject == keep  # 15 against 40 staff, now on one entity
    assert merge.merged_by == staff
    assert (
        Claim.objects.get(key="dup-40").history.first().history_change_reason.startswith("merged")
    )


def test_undoing_a_merge_puts_everything_back(duplicates, staff):
    keep, dup = duplicates
    merge = entity_merge(duplicate=dup, into=keep, user=staff)

    entity_merge_undo(merge=merge, user=staff)

    assert Claim.objects.get(key="dup-40").subject == dup
    assert Claim.objects.get(key="where").entity_value == dup
    assert set(keep.aliases.values_list("name", flat=True)) == set()
    assert set(dup.aliases.values_list("name", flat=True)) == {"Unidad Naval"}
    dup.refresh_from_db()
    assert dup.merged_into is None
    assert not Contradiction.objects.filter(withdrawn_at__isnull=True).exists()
    merge.refresh_from_db()
    assert merge.undone_by == staff
    with pytest.raises(ValidationError, match=UNDO_DONE):
        entity_merge_undo(merge=merge, user=staff)


def test_an_entity_cannot_be_merged_into_itself(duplicates):
    keep, _ = duplicates

    with pytest.raises(ValidationError, match=MERGE_ITSELF):
        entity_merge(duplicate=keep, into=keep)


def ordinary_analyst():
    """An ordinary account with the analyst's role, as grant_role makes it (staff status, no
    superuser): the admin's merge is theirs."""
    analyst = account_create(username="ana", email="", role="analyst", password="Pw-4-merging!")
    assert not analyst.is_superuser
    return analyst


def merge_in_admin(client, keep, dup):
    """The admin's merge action, applied as its confirmation page posts it."""
    return client.post(
        reverse("admin:kb_entity_changelist"),
        {
            "action": "merge_entities",
            "_selected_action": [keep.pk, dup.pk],
            "apply": "1",
            "keep": keep.pk,
        },
    )


def undo_in_admin(client, merge):
    return client.post(
        reverse("admin:claims_entitymerge_changelist"),
        {"action": "undo_merges", "_selected_action": [merge.pk]},
    )


def test_analysts_merge_and_undo_in_the_admin(client, duplicates):
    keep, dup = duplicates
    client.force_login(ordinary_analyst())
    url = reverse("admin:kb_entity_changelist")

    confirm = client.post(url, {"action": "merge_entities", "_selected_action": [keep.pk, dup.pk]})
    done = merge_in_admin(client, keep, dup)

    assert "Keep which one?" in confirm.content.decode()
    assert done.status_code == 302
    merge = EntityMerge.objects.get()
    assert (merge.duplicate, merge.into) == (dup, keep)
    undo_in_admin(client, merge)
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert Claim.objects.get(key="dup-40").subject == dup


def test_merging_demo_entities_keeps_the_bundle_round_trip(demo_bundle, staff):
    bundle_import(bundle=demo_bundle)
    callao = Entity.objects.get(key="callao-naval-base")
    duplicate = EntityFactory(key="callao-dup", name="Base Naval Callao", kind="base")

    entity_merge(duplicate=duplicate, into=callao, user=staff)

    assert "Base Naval Callao" in callao.aliases.values_list("name", flat=True)


def test_an_analyst_merges_an_entity_with_many_claims_in_the_admin(client, duplicates):
    """From copying.UPDATE_FROM claims, the move is one UPDATE from copied values on
    PostgreSQL: every claim moves, each recorded in its history by the analyst, and undoing
    the merge moves them all back."""
    keep, dup = duplicates
    source = SourceFactory()
    staff_count = Claim.objects.get(key="dup-40").attribute
    for number in range(120):
        claim_create(
            key=f"dup-{number}-more", subject=dup, attribute=staff_count, source=source,
            value=value_parse(attribute=staff_count, text="40"), quote="q", credibility=3,
        )  # fmt: skip
    moved = set(Claim.objects.filter(subject=dup).values_list("key", flat=True))
    assert len(moved) == 121
    analyst = ordinary_analyst()
    client.force_login(analyst)
    assert merge_in_admin(client, keep, dup).status_code == 302
    assert set(Claim.objects.filter(subject=keep).values_list("key", flat=True)) == moved | {
        "keep-15"
    }
    recorded = Claim.history.model.objects.filter(key__in=moved, history_type="~")
    assert recorded.count() == 121
    assert {(h.subject_id, h.history_user_id) for h in recorded} == {(keep.pk, analyst.pk)}
    assert {h.history_change_reason for h in recorded} == {recorded.first().history_change_reason}
    assert recorded.first().history_change_reason.startswith("merged")

    undo_in_admin(client, EntityMerge.objects.get())
    assert set(Claim.objects.filter(subject=dup).values_list("key", flat=True)) == moved
