"""Writes to attributes and claims, with their typed values normalised into interval columns."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from claims import anchoring, detection, values
from claims.models import (
    NUMERIC_TYPES,
    OUTCOMES_WITH_POSITION,
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    EntityMerge,
    Outcome,
    QuoteStatus,
    Rank,
    ValueType,
)
from claims.selectors import date_value
from kb.models import DatePrecision, Entity, EntityAlias, EntityRelation
from sources.models import Source
from sources.services import source_save

WRONG_VALUE_TYPE = "A {value_type} attribute needs a {expected} value, not {got!r}."
NOT_A_CHOICE = "{value!r} is not one of the choices of this attribute: {choices}."
UNIT_MISMATCH = 'the attribute counts "{expected}", not "{got}"'

# Every column a value may set; a new value clears the ones it does not use.
VALUE_COLUMNS = (
    "qualifier", "amount", "amount_max", "currency", "unit", "date_value", "date_precision",
    "entity_value", "boolean_value", "text_value", "low", "high", "date_low", "date_high",
)  # fmt: skip
_EMPTY = {
    "qualifier": "",
    "currency": "",
    "unit": "",
    "date_precision": "",
    "text_value": "",
}


def value_parse(*, attribute: Attribute, text: str):
    """Read a wording ("nearly 180", "May 19, 2023") as a value of the attribute's type.

    Raises values.ValueParseError saying what was not understood. Entity values are not
    parsed here: they name an entity, which the caller resolves.
    """
    return values.parse_value(text, attribute.value_type, unit=attribute.unit or None)


def empty_value_columns() -> dict:
    """Every value column cleared: what a claim of another value type leaves unused."""
    return {name: _EMPTY.get(name) for name in VALUE_COLUMNS}


def value_columns(*, attribute: Attribute, value) -> dict:
    """The claim columns for a value of the attribute's type, interval bounds included.

    Raises ValidationError when the value does not fit the attribute.
    """
    columns = empty_value_columns()
    value_type = attribute.value_type
    if value_type in NUMERIC_TYPES:
        if not isinstance(value, values.NumericValue) or value.kind != value_type:
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected=value_type, got=value)
            )
        if (
            value_type != ValueType.MONEY
            and attribute.unit
            and value.unit
            and value.unit != attribute.unit
        ):
            raise ValidationError(UNIT_MISMATCH.format(expected=attribute.unit, got=value.unit))
        low, high = value.interval(
            tolerance=attribute.tolerance, approx_tolerance=attribute.approx_tolerance
        )
        columns.update(
            qualifier=value.qualifier,
            amount=value.amount,
            amount_max=value.max,
            currency=value.currency or "",
            unit="" if value_type == ValueType.MONEY else (value.unit or attribute.unit or ""),
            low=_quantize(low),
            high=None if high is None else _quantize(high),
        )
    elif value_type == ValueType.DATE:
        if not isinstance(value, values.DateValue):
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="date", got=value)
            )
        low, high = value.interval()
        columns.update(
            date_value=value.date, date_precision=value.precision, date_low=low, date_high=high
        )
    elif value_type == ValueType.ENTITY:
        if not isinstance(value, Entity):
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="entity", got=value)
            )
        columns["entity_value"] = value
    elif value_type == ValueType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="yes / no", got=value)
            )
        columns["boolean_value"] = value
    else:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="text", got=value)
            )
        if attribute.choices is not None and value not in attribute.choices:
            raise ValidationError(
                NOT_A_CHOICE.format(value=value, choices=", ".join(map(str, attribute.choices)))
            )
        columns["text_value"] = value.strip()
    return columns


def period_columns(
    *, valid_from: values.DateValue | None, valid_to: values.DateValue | None
) -> dict:
    """The valid-period columns: each end with its precision, and the closed day interval."""
    if valid_from and valid_to and valid_to.interval()[1] < valid_from.interval()[0]:
        raise ValidationError({"valid_to": "The valid period ends before it starts."})
    return {
        "valid_from": valid_from.date if valid_from else None,
        "valid_from_precision": valid_from.precision if valid_from else DatePrecision.DAY,
        "valid_to": valid_to.date if valid_to else None,
        "valid_to_precision": valid_to.precision if valid_to else DatePrecision.DAY,
        "valid_start": valid_from.interval()[0] if valid_from else None,
        "valid_end": valid_to.interval()[1] if valid_to else None,
    }


def claimed_on_columns(*, claimed_on: values.DateValue | None, source: Source) -> dict:
    """claimed_on and its precision, defaulting to the source's published date."""
    if claimed_on is not None:
        return {"claimed_on": claimed_on.date, "claimed_on_precision": claimed_on.precision}
    return {
        "claimed_on": source.published_on,
        "claimed_on_precision": source.published_on_precision,
    }


def effective_period_columns(columns: dict) -> dict:
    """period_known / period_start / period_end from the valid period and claimed_on columns.

    The valid period when there is one, else the period claimed_on's precision covers, else
    unknown (a claim with neither overlaps everything).
    """
    if columns.get("valid_from") or columns.get("valid_to"):
        return {
            "period_known": True,
            "period_start": columns.get("valid_start"),
            "period_end": columns.get("valid_end"),
        }
    claimed = date_value(columns.get("claimed_on"), columns.get("claimed_on_precision"))
    if claimed is None:
        return {"period_known": False, "period_start": None, "period_end": None}
    start, end = claimed.interval()
    return {"period_known": True, "period_start": start, "period_end": end}


def time_columns(
    *,
    valid_from: values.DateValue | None,
    valid_to: values.DateValue | None,
    claimed_on: values.DateValue | None,
    source: Source,
) -> dict:
    """Every date column of a claim: valid period, claimed_on, and the effective period."""
    columns = {
        **period_columns(valid_from=valid_from, valid_to=valid_to),
        **claimed_on_columns(claimed_on=claimed_on, source=source),
    }
    columns.update(effective_period_columns(columns))
    return columns


QUOTE_NOT_IN_SOURCE = (
    "This quote does not occur in the source's stored text. A quote must be the source's exact "
    "words: copy it from the text (watch for curly quotes, dashes and line breaks)."
)


def quote_columns(*, source: Source, quote: str, near: int | None = None) -> dict:
    """Where the quote stands in the source's text (among repeats, the one at or nearest the
    offset `near` when given); raises ValidationError when the source has a text that does
    not hold the quote. Without a text, the quote stays unchecked."""
    if not source.text:
        return {
            "quote_status": QuoteStatus.UNCHECKED,
            "quote_start": None,
            "quote_end": None,
            "quote_prefix": "",
            "quote_suffix": "",
        }
    found = anchoring.anchor(source.text, quote, near=near)
    if found is None:
        raise ValidationError({"quote": QUOTE_NOT_IN_SOURCE})
    return {
        "quote_status": QuoteStatus.ANCHORED,
        "quote_start": found.start,
        "quote_end": found.end,
        "quote_prefix": found.prefix,
        "quote_suffix": found.suffix,
    }


def _quantize(number: Decimal) -> Decimal:
    # The columns keep six decimals; rounding outward would be wrong for neither bound here
    # because amounts are whole cents at worst and tolerances have six decimals.
    return Decimal(number).quantize(Decimal("0.000001"))


@transaction.atomic
def attribute_create(
    *,
    code: str,
    label: str,
    value_type: str,
    unit: str = "",
    single_valued: bool = True,
    time_varying: bool = False,
    tolerance: Decimal | str | int = 0,
    approx_tolerance: Decimal | str = "0.10",
    choices: list[str] | None = None,
    description: str = "",
) -> Attribute:
    """Create an attribute; raises ValidationError on bad fields."""
    attribute = Attribute(
        code=code,
        label=label,
        value_type=value_type,
        unit=unit,
        single_valued=single_valued,
        time_varying=time_varying,
        tolerance=Decimal(str(tolerance)),
        approx_tolerance=Decimal(str(approx_tolerance)),
        choices=choices,
        description=description,
    )
    attribute.full_clean()
    attribute.save()
    return attribute


@transaction.atomic
def claim_create(
    *,
    key: str,
    subject: Entity,
    attribute: Attribute,
    source: Source,
    value,
    quote: str,
    credibility: int,
    valid_from: values.DateValue | None = None,
    valid_to: values.DateValue | None = None,
    claimed_on: values.DateValue | None = None,
    rank: str = Rank.NORMAL,
    value_as_written: str = "",
    notes: str = "",
    quote_near: int | None = None,
    user=None,
) -> Claim:
    """Create a claim; `value` is a parsed value (see value_parse) or an Entity. A quote
    that the text repeats is anchored at the occurrence nearest `quote_near` when given.

    Raises ValidationError on a value that does not fit the attribute or on bad fields.
    """
    claim = Claim(
        key=key,
        subject=subject,
        attribute=attribute,
        source=source,
        value_type=attribute.value_type,
        value_as_written=value_as_written,
        quote=quote,
        credibility=credibility,
        rank=rank,
        notes=notes,
        created_by=user,
        **value_columns(attribute=attribute, value=value),
        **time_columns(
            valid_from=valid_from, valid_to=valid_to, claimed_on=claimed_on, source=source
        ),
        **quote_columns(source=source, quote=quote, near=quote_near),
    )
    # The database enforces the check constraints; Django would ask it once per constraint,
    # and value_columns has already checked what they guard.
    claim.full_clean(validate_constraints=False)
    claim.save()
    detection.groups_recheck(
        groups={(claim.subject_id, claim.attribute_id)}, changed={claim.pk}, user=user
    )
    return claim


_KEEP = object()


@transaction.atomic
def claim_update(
    *,
    claim: Claim,
    value=_KEEP,
    valid_from=_KEEP,
    valid_to=_KEEP,
    claimed_on=_KEEP,
    user=None,
    **fields,
) -> Claim:
    """Change a claim's fields; value and dates only when given (None clears a date).

    Rechecks contradictions of the claim's subject and attribute, before and after the change.
    Raises ValidationError on bad input.
    """
    before = (claim.subject_id, claim.attribute_id)
    for name, field_value in fields.items():
        setattr(claim, name, field_value)
    claim.value_type = claim.attribute.value_type
    if value is not _KEEP:
        for name, column in value_columns(attribute=claim.attribute, value=value).items():
            setattr(claim, name, column)
    dates = {
        "valid_from": date_value(claim.valid_from, claim.valid_from_precision)
        if valid_from is _KEEP
        else valid_from,
        "valid_to": date_value(claim.valid_to, claim.valid_to_precision)
        if valid_to is _KEEP
        else valid_to,
        "claimed_on": date_value(claim.claimed_on, claim.claimed_on_precision)
        if claimed_on is _KEEP
        else claimed_on,
    }
    for name, column in time_columns(**dates, source=claim.source).items():
        setattr(claim, name, column)
    for name, column in quote_columns(source=claim.source, quote=claim.quote).items():
        setattr(claim, name, column)
    # The database enforces the check constraints; Django would ask it once per constraint,
    # and value_columns has already checked what they guard.
    claim.full_clean(validate_constraints=False)
    claim.save()
    detection.groups_recheck(
        groups={before, (claim.subject_id, claim.attribute_id)}, changed={claim.pk}, user=user
    )
    return claim


@transaction.atomic
def claim_delete(*, claim: Claim, user=None) -> None:
    """Delete a claim (its history keeps what it said) and recheck its subject and attribute."""
    group = (claim.subject_id, claim.attribute_id)
    claim.delete()
    detection.groups_recheck(groups={group}, user=user)


@transaction.atomic
def source_save_with_quotes(*, source: Source, user=None) -> Source:
    """Save a source; when its text changed, find every claim's quote in the new text.

    A quote whose exact words are still there is re-anchored (among repeats, where its context
    matches best); one that is gone is marked "drifted" for review, never moved to a lookalike.
    """
    old_digest = (
        Source.objects.filter(pk=source.pk).values_list("text_sha256", flat=True).first()
        if source.pk
        else None
    )
    source_save(source=source)
    if old_digest is not None and old_digest != source.text_sha256:
        claims_reanchor(source=source, user=user)
    return source


def claims_reanchor(*, source: Source, user=None, skip_keys: set[str] = frozenset()) -> None:
    """Find the quotes of the source's claims in its (new) text: re-anchored or drifted."""
    anchored, drifted = [], []
    for claim in Claim.objects.filter(source=source).exclude(key__in=skip_keys):
        found = anchoring.reanchor(source.text, claim.quote, claim.quote_prefix, claim.quote_suffix)
        if found is None:
            claim.quote_status, claim.quote_start, claim.quote_end = QuoteStatus.DRIFTED, None, None
            drifted.append(claim)
        else:
            claim.quote_status = QuoteStatus.ANCHORED
            claim.quote_start, claim.quote_end = found.start, found.end
            claim.quote_prefix, claim.quote_suffix = found.prefix, found.suffix
            anchored.append(claim)
    fields = ["quote_status", "quote_start", "quote_end", "quote_prefix", "quote_suffix"]
    for claims, reason in ((anchored, "quote re-anchored"), (drifted, "quote drifted")):
        if claims:
            bulk_update_with_history(
                claims, Claim, fields, default_user=user, default_change_reason=reason
            )


# Contradictions: hand flags and editors' decisions.

FLAG_NEEDS_TWO = "Choose at least two different claims to flag."
FLAG_SAME_TARGET = "The claims of a flag must share their subject and attribute."
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
    *, claims: list[Claim], note: str, user, key: str | None = None, recheck: bool = True
) -> Contradiction:
    """Flag claims that the rules cannot catch as a contradiction (origin manual), with a note.

    Raises ValidationError unless there are two or more claims on one subject and attribute.
    """
    _check_flag(claims, note)
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
        contradiction.key = f"flag-{contradiction.pk}"
        contradiction.save(update_fields=["key"])
    ContradictionClaim.objects.bulk_create(
        ContradictionClaim(contradiction=contradiction, claim_id=claim_id, position=position)
        for claim_id, position in _flag_members(claims)
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
        if changed:
            bulk_update_with_history(
                changed,
                Claim,
                ["rank"],
                default_user=user,
                default_change_reason=f"contradiction #{current.pk}: {outcome}",
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
        if rows:
            bulk_update_with_history(
                rows, model, [field], default_user=user, default_change_reason=reason
            )


def entity_resolve(reference: str) -> Entity | None:
    """The entity a person names by key, name or alias (case-insensitively), or None when it
    names none or more than one: at most three queries."""
    reference = reference.strip()
    if not reference:
        return None
    found = Entity.objects.filter(key=reference, merged_into__isnull=True).first()
    if found:
        return found
    by_name = set(
        Entity.objects.filter(name__iexact=reference, merged_into__isnull=True).values_list(
            "pk", flat=True
        )
    ) | set(
        EntityAlias.objects.filter(
            name__iexact=reference, entity__merged_into__isnull=True
        ).values_list("entity_id", flat=True)
    )
    return Entity.objects.get(pk=by_name.pop()) if len(by_name) == 1 else None
