"""Reads for the candidates page: a source's money, count and date candidates with the subject
each suggests and the claims already saved from it, and the key a claim made from one gets."""

from __future__ import annotations

from dataclasses import dataclass

from claims.display import claim_value
from claims.extraction import ENTITY, Candidate, extract_candidates, subject_suggestions
from claims.models import NUMERIC_TYPES, Claim, QuoteStatus, ValueType
from kb.models import Entity


@dataclass
class CandidateRow:
    """A money, count or date candidate of a source, as the candidates page lists it."""

    candidate: Candidate
    subject: str  # the key of the entity suggested as subject, "" when none
    saved: list  # the claims already saved from it
    form: object = None  # the page's form for it, when it offers one


@dataclass
class SourceCandidates:
    rows: list[CandidateRow]
    mentioned: list[Entity]  # the entities the text names, in order of first mention


def _same_value(claim: Claim, value: dict | None) -> bool:
    # A count's unit comes from its attribute, never from the text: leave it out.
    if value is None or claim.value_type not in (*NUMERIC_TYPES, ValueType.DATE):
        return False
    stored = claim_value(claim).to_dict()
    stored.pop("unit", None)
    return stored == {k: v for k, v in value.items() if k != "unit"}


def source_candidates(source) -> SourceCandidates:
    """The money, count and date candidates of the source's text in text order, each with the
    subject its sentence suggests and the claims already saved from it, and the entities the
    text names. Three queries: the entities with their aliases, and the source's claims.

    A claim counts as saved from a candidate when its key was made from it (see
    candidate_claim_key), or when its anchored quote covers the candidate and gives its value.
    """
    if not source.text:
        return SourceCandidates([], [])
    by_key = {
        entity.key: entity
        for entity in Entity.objects.filter(merged_into__isnull=True)
        .prefetch_related("aliases")
        .order_by("key")
    }
    entities = [
        (key, [entity.name, *(alias.name for alias in entity.aliases.all())])
        for key, entity in by_key.items()
    ]
    candidates = extract_candidates(source.text, entities=entities)
    suggestions = subject_suggestions(source.text, candidates)
    claims = list(
        Claim.objects.filter(source=source)
        .select_related("subject", "attribute", "entity_value")
        .order_by("quote_start", "id")
    )
    rows = []
    for candidate in candidates:
        if candidate.kind == ENTITY:
            continue
        made_here = candidate_claim_key(source, candidate, "")
        saved = [
            claim
            for claim in claims
            if claim.key.startswith(made_here)
            or claim.quote_status == QuoteStatus.ANCHORED
            and claim.quote_start <= candidate.start
            and candidate.end <= claim.quote_end
            and _same_value(claim, candidate.value)
        ]
        rows.append(CandidateRow(candidate, suggestions.get(candidate.start, ""), saved))
    mentioned = dict.fromkeys(c.entity_key for c in candidates if c.kind == ENTITY)
    return SourceCandidates(rows, [by_key[key] for key in mentioned])


# Keys stay this short, so that a number can be added to make one unique.
_KEY_ROOM = 190


def candidate_claim_key(source, candidate: Candidate, attribute_code: str) -> str:
    """The key of a claim made from a candidate: source key, candidate offset, attribute."""
    return f"{source.key}-{candidate.start}-{attribute_code}"[:_KEY_ROOM]


def unused_claim_key(key: str) -> str:
    """`key` if no claim has it, else the first of `key-2`, `key-3`, ... that none has. One
    query. (Two analysts saving at the same instant may still collide: the unique constraint
    then refuses the second, who is told.)"""
    key = key[:_KEY_ROOM]
    taken = set(Claim.objects.filter(key__startswith=key).values_list("key", flat=True))
    number = 1
    found = key
    while found in taken:
        number += 1
        found = f"{key}-{number}"
    return found
