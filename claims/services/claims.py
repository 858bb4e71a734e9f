"""Writes to claims: create, update, delete, and re-anchoring their quotes when a source's text changes."""

from __future__ import annotations

from django.db import transaction

from claims import anchoring, detection, values
from claims.copying import update_with_history
from claims.display import date_value
from claims.models import (
    Attribute,
    Claim,
    QuoteStatus,
    Rank,
)
from claims.services.candidates import candidates_extract
from claims.services.columns import quote_columns, time_columns, value_columns
from kb.models import Entity
from sources.models import Source
from sources.services import source_save


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
    """Save a source; when its text changed, find every claim's quote in the new text and
    store the candidates of the new text (candidates_extract).

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
    if old_digest != source.text_sha256:
        candidates_extract(source=source)
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
        update_with_history(Claim, claims, fields, user=user, reason=reason)
