"""Reads: claims and their values as people see them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from claims import conflicts
from claims.display import claim_value, claim_value_display, date_value  # noqa: F401
from claims.extraction import ENTITY, Candidate, extract_candidates, subject_suggestions
from claims.models import (
    NUMERIC_TYPES,
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    QuoteStatus,
    ValueType,
)
from kb.models import Entity, EntityAlias


def claim_conflicts(claim: Claim):
    """The claims that conflict with `claim` by SPEC section 3, as one query on the normalised
    interval and period columns (the same rules as claims.conflicts.conflict)."""
    rules = conflicts.Rules.of(claim.attribute)
    others = Claim.objects.filter(
        subject_id=claim.subject_id, attribute_id=claim.attribute_id
    ).exclude(pk=claim.pk)
    if not rules.checked:
        return others.none()
    kind = rules.value_type
    if kind in NUMERIC_TYPES:
        disjoint = Q(high__lt=claim.low)  # a NULL high is +infinity: never below
        if claim.high is not None:
            disjoint |= Q(low__gt=claim.high)
        others = others.filter(disjoint, currency=claim.currency, unit=claim.unit)
    elif kind == ValueType.DATE:
        others = others.filter(Q(date_high__lt=claim.date_low) | Q(date_low__gt=claim.date_high))
    elif kind == ValueType.ENTITY:
        others = others.exclude(entity_value_id=claim.entity_value_id)
    elif kind == ValueType.BOOLEAN:
        others = others.exclude(boolean_value=claim.boolean_value)
    else:
        others = others.exclude(text_value=claim.text_value)
    if rules.time_varying and claim.period_known:
        # Apart in time only when the other's known period ends before or starts after.
        if claim.period_start is not None:
            others = others.exclude(period_known=True, period_end__lt=claim.period_start)
        if claim.period_end is not None:
            others = others.exclude(period_known=True, period_start__gt=claim.period_end)
    return others


@dataclass
class Position:
    index: int
    display: str
    claims: list


def contradiction_queue():
    """Open contradictions still detected, newest first, with subject and attribute joined."""
    return (
        Contradiction.objects.filter(status=ContradictionStatus.OPEN, withdrawn_at__isnull=True)
        .select_related("subject", "attribute")
        .annotate(claim_total=Count("memberships"))
        .order_by("-detected_at", "-id")
    )


def contradiction_positions(contradiction: Contradiction) -> list[Position]:
    """The positions of a contradiction, each with its claims ordered by value, claims with
    their source, publisher, subject and entity value loaded: one query."""
    memberships = contradiction.memberships.select_related(
        "claim__source__publisher",
        "claim__subject",
        "claim__attribute",
        "claim__entity_value",
        "claim__created_by",
    ).order_by("position", "claim__low", "claim__date_low", "claim__id")
    positions: dict[int, Position] = {}
    for membership in memberships:
        claim = membership.claim
        position = positions.get(membership.position)
        if position is None:
            position = positions[membership.position] = Position(
                index=membership.position, display=claim_value_display(claim), claims=[]
            )
        position.claims.append(claim)
    return list(positions.values())


def contradiction_history(contradiction: Contradiction):
    """The recorded changes of a contradiction, newest first, with who made them."""
    return contradiction.history.select_related("history_user").order_by("-history_date", "-pk")


def open_contradictions_of_claims(claim_ids) -> dict[int, list[int]]:
    """{claim id: ids of the open, current contradictions it stands in}: one query."""
    result: dict[int, list[int]] = {}
    memberships = ContradictionClaim.objects.filter(
        claim_id__in=list(claim_ids),
        contradiction__status=ContradictionStatus.OPEN,
        contradiction__withdrawn_at__isnull=True,
    ).values_list("claim_id", "contradiction_id")
    for claim_id, contradiction_id in memberships.order_by("contradiction_id"):
        result.setdefault(claim_id, []).append(contradiction_id)
    return result


def claims_of_source(source):
    """A source's claims with subject, attribute and entity value joined, in text order, each
    with `open_contradictions`: two queries."""
    claims = list(
        Claim.objects.filter(source=source)
        .select_related("subject", "attribute", "entity_value")
        .order_by("quote_start", "id")
    )
    in_contradiction = open_contradictions_of_claims(c.pk for c in claims)
    for claim in claims:
        claim.open_contradictions = in_contradiction.get(claim.pk, [])
    return claims


def entities_with_claim_totals(query: str = ""):
    """Entities not merged away, by name, each with `claim_total`; with a query, only those whose
    name or an alias contains it (case-insensitively). One query: aliases are matched in an
    EXISTS subquery, so an entity with two matching aliases still counts each claim once."""
    entities = Entity.objects.filter(merged_into__isnull=True)
    if query:
        alias_matches = EntityAlias.objects.filter(entity=OuterRef("pk"), name__icontains=query)
        entities = entities.filter(Q(name__icontains=query) | Exists(alias_matches))
    return entities.annotate(claim_total=Count("claims")).order_by("name", "id")


# The candidates page.


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


def attributes_by_value_type() -> dict[str, list]:
    """{value type: its attributes by label}: one query, for a page of claim forms."""
    found: dict[str, list] = {}
    for attribute in Attribute.objects.order_by("label", "id"):
        found.setdefault(attribute.value_type, []).append(attribute)
    return found


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
