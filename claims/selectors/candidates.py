"""Reads for the candidates page: a page of a source's stored money, count and date candidates
with the subject each suggests and the claims already saved from it, the names the extractor
looks for, and the key a claim made from a candidate gets."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Min, Q

from claims.display import claim_value
from claims.models import (
    CLAIMABLE_CANDIDATE_KINDS,
    NUMERIC_TYPES,
    Candidate,
    CandidateKind,
    Claim,
    QuoteStatus,
    ValueType,
)
from kb.models import Entity
from sources.models import Source

# Candidates a page of the candidates page lists.
CANDIDATES_PER_PAGE = 50
# The entities the subject field offers by name, at most.
MENTIONED_ON_A_PAGE = 100


@dataclass
class CandidateRow:
    """A money, count or date candidate of a source, as the candidates page lists it."""

    candidate: Candidate
    subject: str  # the key of the entity suggested as subject, "" when none
    saved: list  # the claims already saved from it
    form: object = None  # the page's form for it, when it offers one


@dataclass
class SourceCandidates:
    """One page of a source's candidates."""

    page: Page  # of Candidate rows, for the page's navigation
    rows: list[CandidateRow]
    mentioned: list[Entity]  # the entities this page's sentences name, in text order


def entity_names() -> list[tuple[int, str, list[str]]]:
    """(id, key, [name, *aliases]) of every entity not merged into another, in key order: what
    the extractor looks for in a text. Two queries."""
    entities = (
        Entity.objects.filter(merged_into__isnull=True).prefetch_related("aliases").order_by("key")
    )
    return [
        (
            entity.pk,
            entity.key,
            [entity.name, *sorted(alias.name for alias in entity.aliases.all())],
        )
        for entity in entities
    ]


def source_for_candidates():
    """Sources as the candidates page shows them: without their text, which may run to
    megabytes and which the page does not show (`text_sha256` says whether there is one)."""
    return Source.objects.defer("text")


def sources_with_text(keys: list[str] | None = None):
    """The sources that have a text (those with the given keys, else all), in id order, for
    storing their candidates; iterate with .iterator(), their texts may be long."""
    sources = Source.objects.exclude(text="").order_by("id")
    return sources if keys is None else sources.filter(key__in=keys)


def _claimable(source: Source):
    return Candidate.objects.filter(source=source, kind__in=CLAIMABLE_CANDIDATE_KINDS)


def source_candidates(
    source: Source, *, page: int | str | None = 1, per_page: int = CANDIDATES_PER_PAGE
) -> SourceCandidates:
    """One page of the source's stored money, count and date candidates in text order, each
    with the subject its sentence suggests and the claims already saved from it, and the
    entities named in the sentences of the page. Never runs the extractor: five queries
    whatever the length of the text (count, the page's rows with their subjects, the claims
    around them, the entities mentioned there). A page number out of range gives the last page.

    A claim counts as saved from a candidate when its key was made from it (see
    candidate_claim_key), or when its anchored quote covers the candidate and gives its value.
    """
    candidates = _claimable(source).select_related("entity__merged_into").order_by("start", "id")
    found = Paginator(candidates, per_page).get_page(page)
    return SourceCandidates(found, *_rows(source, list(found.object_list)))


def source_candidate(source: Source, start) -> CandidateRow | None:
    """The money, count or date candidate of the source at `start` (a number, or the text of
    one a form posted), with its subject and saved claims; None when there is none. Two
    queries."""
    try:
        start = int(start)
    except (TypeError, ValueError):
        return None
    candidate = _claimable(source).filter(start=start).select_related("entity__merged_into").first()
    if candidate is None:
        return None
    rows, _ = _rows(source, [candidate], mentioned=False)
    return rows[0]


def candidate_page_number(
    source: Source, candidate: Candidate, *, per_page: int = CANDIDATES_PER_PAGE
) -> int:
    """The page of the candidates page that lists `candidate`. One query."""
    before = _claimable(source).filter(start__lt=candidate.start).count()
    return before // per_page + 1


def _rows(source, candidates: list[Candidate], *, mentioned: bool = True):
    if not candidates:
        return [], []
    first = min(c.start for c in candidates)
    last = max(c.end for c in candidates)
    made_here = {c.pk: candidate_claim_key(source, c, "") for c in candidates}
    claims = list(
        Claim.objects.filter(source=source)
        .filter(
            Q(quote_start__lt=last, quote_end__gt=first) | _any_prefix("key", made_here.values())
        )
        .select_related("subject", "attribute", "entity_value")
        .order_by("quote_start", "id")
    )
    rows = []
    for candidate in candidates:
        saved = [
            claim
            for claim in claims
            if claim.key.startswith(made_here[candidate.pk])
            or claim.quote_status == QuoteStatus.ANCHORED
            and claim.quote_start <= candidate.start
            and candidate.end <= claim.quote_end
            and _same_value(claim, candidate.value)
        ]
        rows.append(CandidateRow(candidate, _subject_key(candidate.entity), saved))
    names = _mentioned(source, candidates) if mentioned else []
    return rows, names


def _any_prefix(field: str, prefixes) -> Q:
    condition = Q(pk__in=[])
    for prefix in prefixes:
        condition |= Q(**{f"{field}__startswith": prefix})
    return condition


def _subject_key(entity: Entity | None) -> str:
    if entity is None:
        return ""
    # An entity merged since the text was read stands for the one it was merged into.
    return (entity.merged_into or entity).key


def _mentioned(source, candidates: list[Candidate]) -> list[Entity]:
    """The entities mentioned in the sentences of these candidates, in order of first mention."""
    first = min(c.sentence_start for c in candidates)
    last = max(c.sentence_start + len(c.sentence) for c in candidates)
    ids = list(
        Candidate.objects.filter(
            source=source, kind=CandidateKind.ENTITY, start__gte=first, start__lt=last
        )
        .exclude(entity=None)
        .values("entity")
        .annotate(first_mention=Min("start"))
        .order_by("first_mention")
        .values_list("entity", flat=True)[:MENTIONED_ON_A_PAGE]
    )
    found = Entity.objects.select_related("merged_into").in_bulk(ids)
    return list(dict.fromkeys((found[pk].merged_into or found[pk]) for pk in ids if pk in found))


def _same_value(claim: Claim, value: dict | None) -> bool:
    # A count's unit comes from its attribute, never from the text: leave it out.
    if value is None or claim.value_type not in (*NUMERIC_TYPES, ValueType.DATE):
        return False
    stored = claim_value(claim).to_dict()
    stored.pop("unit", None)
    return stored == {k: v for k, v in value.items() if k != "unit"}


# Keys stay this short, so that a number can be added to make one unique.
_KEY_ROOM = 190


def candidate_claim_key(source, candidate, attribute_code: str) -> str:
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
