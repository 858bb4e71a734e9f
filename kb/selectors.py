"""Reads of the entity graph: look-alike names, and names for the subject autocomplete; and the
per-row count of related rows that every app's lists annotate (related_count)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    When,
)
from rapidfuzz.distance import JaroWinkler

from kb.api.compiled import instance_by_id, instances_by_id, value_marker
from kb.models import Entity, EntityAlias


class _CountOf(Subquery):
    """How many rows a subquery gives: COUNT(*) over it, with no GROUP BY, so that PostgreSQL
    reads only an index that holds the columns it selects."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS kb_counted)"
    output_field = IntegerField()

    def get_db_converters(self, connection):
        # A count is an int from either database, never NULL: Django's int() of each value
        # made every row of a page pass through its converters (1% of the queue page).
        return []


def related_count(model, relation: str):
    """How many rows each row of `model` has under its reverse relation `relation` (an
    entity's "claims", a publisher's "sources"), as an annotation: a subquery on the related
    table's foreign-key index, run for each row read, which selects the key alone and counts
    its rows, so that it reads the index only (an editors' queue page of fifty contradictions
    at a million claims: 0.18 ms to count their claims, where grouping them by their key and
    counting their ids read each row too, 0.45 ms).

    Count(relation) would join and group the whole related table into every query the
    queryset makes: in the admin, its page, both counts, each filter's choices and the date
    hierarchy's, 1.3 s for a page of sources at a million claims."""
    reverse = model._meta.get_field(relation)
    key = reverse.field.name
    rows = (
        reverse.related_model._base_manager.filter(**{key: OuterRef("pk")}).order_by().values(key)
    )
    return _CountOf(rows)


# Names at least this alike (0-100) are suggested as the same entity.
SIMILARITY = 80
# Two words at least this alike (Jaro-Winkler, 0-1) count as the same word misspelt
# ("Richardsen", "Richardson"; "South", "Southern"), but not "Naval" and "Navy".
WORD_SIMILARITY = 0.92
# Words that never tell two names apart, in the languages of the sources.
STOP_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "in", "of", "on", "the", "to", "with"}
    | {"de", "del", "el", "en", "la", "las", "los", "y"}
)


@dataclass(frozen=True)
class Lookalike:
    entity: Entity
    name: str  # the name or alias that looks alike
    score: float


def _words(name: str) -> list[str]:
    # "U.S. Naval Medical Research Unit SOUTH" and "José Jerí" as ["us", "naval", ...] and
    # ["jose", "jeri"]: accents, case, punctuation and stop words do not tell names apart.
    plain = unicodedata.normalize("NFKD", name.replace(".", ""))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return [
        word
        for word in re.split(r"[\W_]+", plain)
        if word and word not in STOP_WORDS and (len(word) > 1 or word.isdigit())
    ]


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    # Numbers and short words (codes, initials) must be equal: Resolution 4766 is not 4767.
    if len(a) <= 3 or len(b) <= 3 or any(c.isdigit() for c in a + b):
        return 0.0
    similarity = JaroWinkler.normalized_similarity(a, b)
    return similarity if similarity >= WORD_SIMILARITY else 0.0


class _Weights:
    """Each word weighs its inverse document frequency among the existing entities, so that
    the filler many names share ("Port of", "Peru", "Naval", "US") weighs little and the
    distinctive words ("Ilo", "Callao", "NAMRU") decide."""

    def __init__(self, names_by_entity: dict[int, list[list[str]]]):
        self.total = len(names_by_entity)
        self.frequency = Counter(
            word
            for names in names_by_entity.values()
            for word in {word for words in names for word in words}
        )

    def vector(self, words: list[str]) -> dict[str, float]:
        weights = {
            word: math.log((self.total + 1) / (self.frequency[word] + 1)) + 1 for word in words
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {word: w / norm for word, w in weights.items()}


def _similarity(query: dict[str, float], other: dict[str, float], word_similarity) -> float:
    """Soft TF-IDF (Cohen, Ravikumar and Fienberg, 2003): the cosine of the two names' word
    weights, where a word also meets a near spelling of itself; each word is used once."""
    pairs = sorted(
        ((word_similarity(a, b), a, b) for a in query for b in other),
        key=lambda pair: -pair[0],
    )
    used_query, used_other, total = set(), set(), 0.0
    for similarity, a, b in pairs:
        if similarity == 0.0:
            break
        if a in used_query or b in used_other:
            continue
        used_query.add(a)
        used_other.add(b)
        total += query[a] * other[b] * similarity
    return total


def entity_lookalikes(
    name: str, *, exclude_id: int | None = None, limit: int = 5
) -> list[Lookalike]:
    """Entities whose name or an alias is close to `name`, best first: three queries.

    Names are compared word by word after stop words are dropped; words that many existing
    entities share weigh little, so "Port of Ilo" is not taken for "Port of Salaverry" nor
    "Peruvian Amazon", while "Namru South" is taken for "NAMRU-SOUTH".
    """
    rows: list[tuple[str, int]] = list(
        Entity.objects.filter(merged_into__isnull=True).values_list("name", "id")
    )
    rows += list(
        EntityAlias.objects.filter(entity__merged_into__isnull=True).values_list(
            "name", "entity_id"
        )
    )
    words = [_words(row_name) for row_name, _ in rows]
    names_by_entity: dict[int, list[list[str]]] = {}
    for (_, entity_id), row_words in zip(rows, words, strict=True):
        names_by_entity.setdefault(entity_id, []).append(row_words)
    weights = _Weights(names_by_entity)
    query = weights.vector(_words(name))
    if not query:
        return []
    cache: dict[tuple[str, str], float] = {}

    def word_similarity(a: str, b: str) -> float:
        if (a, b) not in cache:
            cache[a, b] = _word_similarity(a, b)
        return cache[a, b]

    best: dict[int, tuple[float, str]] = {}
    for (row_name, entity_id), row_words in zip(rows, words, strict=True):
        if entity_id == exclude_id:
            continue
        score = 100 * _similarity(query, weights.vector(row_words), word_similarity)
        if score >= SIMILARITY and score > best.get(entity_id, (0.0, ""))[0]:
            best[entity_id] = (score, row_name)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    entities = Entity.objects.in_bulk([entity_id for entity_id, _ in ranked])
    return [Lookalike(entities[i], matched, score) for i, (score, matched) in ranked]


# The subject field's autocomplete: bounded work whatever the database holds.
AUTOCOMPLETE_MIN_LENGTH = 2
AUTOCOMPLETE_LIMIT = 20


def entity_autocomplete(query: str, *, limit: int = AUTOCOMPLETE_LIMIT):
    """Entities not merged away whose key, name or an alias contains `query`, case-insensitively,
    those whose name starts with it first, then by name; each with `matched_alias` (the first
    alias that contains the query, or None). None for a query shorter than
    AUTOCOMPLETE_MIN_LENGTH; at most `limit` (capped at AUTOCOMPLETE_LIMIT). One query."""
    query = query.strip()
    if len(query) < AUTOCOMPLETE_MIN_LENGTH:
        return Entity.objects.none()
    aliases = EntityAlias.objects.filter(entity=OuterRef("pk"), name__icontains=query)
    return (
        Entity.objects.filter(merged_into__isnull=True)
        .filter(Q(key__icontains=query) | Q(name__icontains=query) | Exists(aliases))
        .annotate(
            name_first=Case(When(name__istartswith=query, then=0), default=1),
            matched_alias=Subquery(aliases.order_by("name").values("name")[:1]),
        )
        .order_by("name_first", "name", "id")[: min(limit, AUTOCOMPLETE_LIMIT)]
    )


def entities_named(reference: str, *, limit: int = 10):
    """Entities not merged away that `reference` names by key, or by name or alias
    case-insensitively, by name: what a person may have meant (the services' entity_resolve
    picks one, or none when this finds several). At most `limit`; one query."""
    reference = reference.strip()
    if not reference:
        return Entity.objects.none()
    aliases = EntityAlias.objects.filter(entity=OuterRef("pk"), name__iexact=reference)
    return (
        Entity.objects.filter(merged_into__isnull=True)
        .filter(Q(key=reference) | Q(name__iexact=reference) | Exists(aliases))
        .order_by("name", "id")[:limit]
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


def entity_list():
    """Entities with their aliases, for the API: two queries per page (rows, then aliases)."""
    return Entity.objects.prefetch_related(
        Prefetch("aliases", queryset=EntityAlias.objects.order_by("name", "id"))
    )


def entity_by_id(pk: int) -> Entity | None:
    """The entity of that id, or None: one query, compiled once per connection
    (kb.api.compiled.instances)."""
    return instance_by_id("entity by id", lambda: Entity.objects.filter(pk=value_marker()), pk)


def entity_page(pk: int) -> tuple[Entity, list[EntityAlias]] | None:
    """The entity of that id and its aliases (by name), or None: one query, the entity joined
    to its aliases (a row for each, the entity alone when it has none), compiled once per
    connection (kb.api.compiled.instances)."""
    rows = instances_by_id("entity page", _entity_with_aliases, pk)
    if not rows:
        return None
    aliases = [
        EntityAlias(id=row.alias_id, entity_id=pk, name=row.alias_name)
        for row in rows
        if row.alias_id is not None
    ]
    return rows[0], aliases


def _entity_with_aliases():
    return (
        Entity.objects.filter(pk=value_marker())
        .annotate(alias_id=F("aliases__id"), alias_name=F("aliases__name"))
        .order_by("alias_name", "alias_id")
    )


def entities_for_admin_list(entities):
    """The admin's entity list: claims counted, the entity merged into joined, aliases
    prefetched; two queries a page."""
    return (
        entities.annotate(claim_total=related_count(Entity, "claims"))
        .select_related("merged_into")
        .prefetch_related("aliases")
    )
