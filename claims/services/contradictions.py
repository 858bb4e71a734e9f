"""Writes to contradictions: analysts' hand flags and editors' decisions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from claims import detection
from claims.copying import update_with_history
from claims.models import (
    OUTCOMES_WITH_POSITION,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    Outcome,
    Rank,
)

# Contradictions: hand flags and editors' decisions.

FLAG_NEEDS_TWO = "Choose at least two different claims to flag."
FLAG_SAME_TARGET = "The claims of a flag must share their subject and attribute."
FLAG_ALL_AGREE = (
    "These claims all give the same value, so they can all be true: tick claims that give "
    "different values."
)
NOTE_REQUIRED = "Say why: the note is required and stays on record."
POSITION_REQUIRED = "Choose the position that holds."
STALE_DECISION = (
    "Another editor changed this contradiction while you were reading it ({who}, {when}). "
    "Nothing was saved; your note is kept below. Read their decision, then decide again."
)
WITHDRAWN = "This contradiction is no longer detected: its claims do not conflict any more."
FOUR_EYES = (
    "Four eyes: you created every claim of that position yourself, so another editor must "
    "decide in its favour."
)


class StaleDecision(ValidationError):
    """The contradiction changed since the editor loaded it (optimistic concurrency)."""


def _flag_members(claims: list[Claim]) -> list[tuple[int, int]]:
    facts = [detection.facts_of({f: getattr(c, f) for f in detection.FACT_FIELDS}) for c in claims]
    return detection.flag_positions(facts)


def _check_flag(claims: list[Claim], note: str) -> None:
    if len({c.pk for c in claims}) < 2:
        raise ValidationError(FLAG_NEEDS_TWO)
    if len({(c.subject_id, c.attribute_id) for c in claims}) > 1:
        raise ValidationError(FLAG_SAME_TARGET)
    if not note.strip():
        raise ValidationError({"note": NOTE_REQUIRED})


@transaction.atomic
def contradiction_flag(
    *,
    claims: list[Claim],
    note: str,
    user,
    key: str | None = None,
    recheck: bool = True,
    agreeing: bool = False,
) -> Contradiction:
    """Flag claims that the rules cannot catch as a contradiction (origin manual), with a note.

    Raises ValidationError unless there are two or more claims on one subject and attribute
    that do not all give the same value (one position: nothing to decide between). `agreeing`
    lets such a flag through: a bundle holds the flags as they stand, and a flag's claims may
    have come to agree since an analyst raised it.
    """
    _check_flag(claims, note)
    members = _flag_members(claims)
    if not agreeing and len({position for _, position in members}) < 2:
        raise ValidationError(FLAG_ALL_AGREE)
    contradiction = Contradiction(
        key=key,
        subject_id=claims[0].subject_id,
        attribute_id=claims[0].attribute_id,
        origin=Contradiction.Origin.MANUAL,
        flag_note=note.strip(),
        flagged_by=user,
    )
    contradiction.full_clean(exclude=["key"] if key is None else None)
    contradiction._history_user = user
    contradiction._change_reason = "flagged by hand"
    contradiction.save()
    if key is None:
        # The key is made of the id, known once the row is written: written into the row and
        # into the history row of its flagging, so that the history holds one "flagged by
        # hand" with the flag as it stands (a second save wrote a second).
        contradiction.key = f"flag-{contradiction.pk}"
        Contradiction.objects.filter(pk=contradiction.pk).update(key=contradiction.key)
        Contradiction.history.filter(id=contradiction.pk).update(key=contradiction.key)
    ContradictionClaim.objects.bulk_create(
        ContradictionClaim(contradiction=contradiction, claim_id=claim_id, position=position)
        for claim_id, position in members
    )
    return contradiction


@transaction.atomic
def contradiction_flag_update(
    *, contradiction: Contradiction, claims: list[Claim], note: str, user
) -> bool:
    """Make a hand flag name exactly these claims with this note; returns whether it changed."""
    _check_flag(claims, note)
    members = _flag_members(claims)
    current = dict(contradiction.memberships.values_list("claim_id", "position"))
    if current == dict(members) and contradiction.flag_note == note.strip():
        return False
    contradiction.flag_note = note.strip()
    contradiction.subject_id, contradiction.attribute_id = (
        claims[0].subject_id,
        claims[0].attribute_id,
    )
    contradiction._history_user = user
    contradiction._change_reason = "flag changed"
    contradiction.save()
    contradiction.memberships.all().delete()
    ContradictionClaim.objects.bulk_create(
        ContradictionClaim(contradiction=contradiction, claim_id=claim_id, position=position)
        for claim_id, position in members
    )
    return True


@transaction.atomic
def contradiction_resolve(
    *,
    contradiction: Contradiction,
    outcome: str,
    note: str,
    user,
    version: int,
    position: int | None = None,
) -> Contradiction:
    """Record an editor's decision: resolved with an outcome, or dismissed as a false positive.

    `version` is the one the editor saw; if the contradiction changed since, StaleDecision is
    raised and nothing is written. one_is_wrong makes the chosen position preferred and the
    others deprecated; superseded makes it preferred and leaves the others normal. With
    settings.KB_FOUR_EYES, an editor may not decide for a position whose claims they alone
    created. Raises ValidationError on a missing note, outcome or position.
    """
    current = Contradiction.objects.select_for_update().get(pk=contradiction.pk)
    if current.version != version:
        who = current.resolved_by or "detection"
        when = current.resolved_at or current.reopened_at or current.withdrawn_at
        raise StaleDecision(
            STALE_DECISION.format(
                who=who, when=when.strftime("%Y-%m-%d %H:%M UTC") if when else "just now"
            )
        )
    if current.withdrawn_at is not None:
        raise ValidationError(WITHDRAWN)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f'Unknown outcome "{outcome}".'})
    if not note.strip():
        raise ValidationError({"note": NOTE_REQUIRED})
    members = list(current.memberships.select_related("claim"))
    positions = sorted({m.position for m in members})
    if outcome in OUTCOMES_WITH_POSITION:
        if position not in positions:
            raise ValidationError({"position": POSITION_REQUIRED})
        chosen = [m.claim for m in members if m.position == position]
        creators = {claim.created_by_id for claim in chosen}
        if settings.KB_FOUR_EYES and user is not None and creators == {user.pk}:
            raise ValidationError({"position": FOUR_EYES})
        new_rank = {
            m.claim_id: Rank.PREFERRED
            if m.position == position
            else (Rank.DEPRECATED if outcome == Outcome.ONE_IS_WRONG else Rank.NORMAL)
            for m in members
        }
        changed = [m.claim for m in members if m.claim.rank != new_rank[m.claim_id]]
        for claim in changed:
            claim.rank = new_rank[claim.pk]
        update_with_history(
            Claim, changed, ["rank"], user=user, reason=f"contradiction #{current.pk}: {outcome}"
        )
    now = timezone.now()
    current.status = (
        ContradictionStatus.DISMISSED
        if outcome == Outcome.FALSE_POSITIVE
        else ContradictionStatus.RESOLVED
    )
    current.outcome, current.note = outcome, note.strip()
    current.resolved_at, current.resolved_by = now, user
    current.version += 1
    current.full_clean()
    current._history_user = user
    current._change_reason = f"{current.status}: {outcome}"
    current.save()
    return current
