"""Merging duplicate entities and undoing a merge, with everything that points at them moved."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from claims import detection
from claims.copying import update_with_history
from claims.models import (
    Claim,
    Contradiction,
    EntityMerge,
)
from kb.models import Entity, EntityAlias, EntityRelation

# Duplicate entities.

MERGE_ITSELF = "An entity cannot be merged into itself."
MERGE_ALREADY = "{name} was already merged into another entity."
UNDO_DONE = "This merge was already undone."
UNDO_LATER_MERGE = "Undo the later merge of {name} first."


@transaction.atomic
def entity_merge(*, duplicate: Entity, into: Entity, user=None) -> EntityMerge:
    """Merge a duplicate entity into another: its claims (as subject and as value), aliases,
    relations and hand flags move over, its name becomes an alias, and contradictions of both
    are rechecked. The duplicate is kept, marked merged, so that entity_merge_undo can restore
    it; the merge is recorded with who and when."""
    if duplicate.pk == into.pk:
        raise ValidationError(MERGE_ITSELF)
    for entity in (duplicate, into):
        if entity.merged_into_id is not None:
            raise ValidationError(MERGE_ALREADY.format(name=entity.name))
    subject_claims = list(Claim.objects.filter(subject=duplicate))
    groups = {(c.subject_id, c.attribute_id) for c in subject_claims}
    moved = {
        "subject_claims": [c.pk for c in subject_claims],
        "value_claims": list(
            Claim.objects.filter(entity_value=duplicate).values_list("pk", flat=True)
        ),
        # A relation between the two would point at itself: it stays with the duplicate.
        "relations_subject": list(
            duplicate.relations.exclude(object=into).values_list("pk", flat=True)
        ),
        "relations_object": list(
            duplicate.inverse_relations.exclude(subject=into).values_list("pk", flat=True)
        ),
        "contradictions": list(
            Contradiction.objects.filter(
                subject=duplicate, origin=Contradiction.Origin.MANUAL
            ).values_list("pk", flat=True)
        ),
    }
    into_names = {into.name, *into.aliases.values_list("name", flat=True)}
    moved["aliases"] = list(
        duplicate.aliases.exclude(name__in=into_names).values_list("pk", flat=True)
    )
    moved["added_alias"] = None
    if duplicate.name not in into_names:
        alias = EntityAlias(entity=into, name=duplicate.name)
        alias._history_user = user
        alias.save()
        moved["added_alias"] = alias.pk
    _move(moved, to=into, user=user, reason=f"merged {duplicate.key} into {into.key}")
    duplicate.merged_into = into
    duplicate._history_user = user
    duplicate._change_reason = f"merged into {into.key}"
    duplicate.save(update_fields=["merged_into", "updated_at"])
    merge = EntityMerge.objects.create(duplicate=duplicate, into=into, moved=moved, merged_by=user)
    groups |= {(into.pk, attribute) for _, attribute in groups}
    groups |= set(
        Claim.objects.filter(pk__in=moved["value_claims"]).values_list("subject_id", "attribute_id")
    )
    detection.groups_recheck(groups=groups, user=user)
    return merge


@transaction.atomic
def entity_merge_undo(*, merge: EntityMerge, user=None) -> EntityMerge:
    """Undo a merge: what moved goes back to the duplicate (what still points at the survivor),
    the alias it gained is removed, and contradictions are rechecked; recorded with who and when."""
    merge = EntityMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError(UNDO_DONE)
    later = EntityMerge.objects.filter(
        duplicate=merge.into, undone_at__isnull=True, merged_at__gt=merge.merged_at
    ).first()
    if later is not None:
        raise ValidationError(UNDO_LATER_MERGE.format(name=merge.into.name))
    duplicate, into = merge.duplicate, merge.into
    groups = set(
        Claim.objects.filter(pk__in=merge.moved["subject_claims"]).values_list(
            "subject_id", "attribute_id"
        )
    )
    _move(
        merge.moved,
        to=duplicate,
        user=user,
        reason=f"undo merge of {duplicate.key}",
        only_from=into,
    )
    if merge.moved.get("added_alias"):
        EntityAlias.objects.filter(pk=merge.moved["added_alias"], entity=into).delete()
    duplicate.merged_into = None
    duplicate._history_user = user
    duplicate._change_reason = "merge undone"
    duplicate.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at, merge.undone_by = timezone.now(), user
    merge._history_user = user
    merge.save(update_fields=["undone_at", "undone_by"])
    groups |= {(duplicate.pk, attribute) for _, attribute in groups}
    groups |= set(
        Claim.objects.filter(pk__in=merge.moved["value_claims"]).values_list(
            "subject_id", "attribute_id"
        )
    )
    detection.groups_recheck(groups=groups, user=user)
    return merge


def _move(moved: dict, *, to: Entity, user, reason: str, only_from: Entity | None = None) -> None:
    """Point what `moved` lists at `to`, recording each change in the history."""
    moves = (
        (Claim, moved["subject_claims"], "subject"),
        (Claim, moved["value_claims"], "entity_value"),
        (EntityAlias, moved["aliases"], "entity"),
        (EntityRelation, moved["relations_subject"], "subject"),
        (EntityRelation, moved["relations_object"], "object"),
        (Contradiction, moved["contradictions"], "subject"),
    )
    for model, ids, field in moves:
        rows = model.objects.filter(pk__in=ids)
        if only_from is not None:
            rows = rows.filter(**{field: only_from})
        rows = list(rows)
        for row in rows:
            setattr(row, field, to)
        update_with_history(model, rows, [field], user=user, reason=reason)
