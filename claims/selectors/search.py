"""Reads for the API: claims, contradictions with their positions, entity facts, search."""

from __future__ import annotations

import json

from django.db import connection, models
from django.db.models import Func, Q, Value

from claims.display import value_display
from claims.models import (
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
)
from claims.selectors import Position
from kb.filters import search_terms, uses_postgres
from kb.models import Entity, EntityAlias
from sources.models import Source

# Columns a claim row does not need for the API and that may be long: the source's full text
# above all. (Deferring more costs more in building the rows than it saves in reading them.)
_DEFERRED = ("notes", "source__text", "source__notes")


class _IdList(models.Field):
    """A list of ids from an array (PostgreSQL) or a JSON text (SQLite)."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        if isinstance(value, str):
            return json.loads(value)
        return list(value)


class OpenContradictionIds(Func):
    """The ids of the open, current contradictions a claim stands in, ascending, as a list:
    a correlated subquery on the membership index, so a page of claims stays one query."""

    output_field = _IdList()

    def __init__(self, claim_id="id"):
        super().__init__(models.F(claim_id))

    def _inner(self, compiler, connection):
        claim_id, params = compiler.compile(self.source_expressions[0])
        quote = connection.ops.quote_name
        membership = quote(ContradictionClaim._meta.db_table)
        contradiction = quote(Contradiction._meta.db_table)
        sql = (
            f"SELECT api_m.contradiction_id FROM {membership} api_m "
            f"INNER JOIN {contradiction} api_c ON api_c.id = api_m.contradiction_id "
            f"WHERE api_m.claim_id = {claim_id} AND api_c.status = %s "
            f"AND api_c.withdrawn_at IS NULL ORDER BY api_m.contradiction_id"
        )
        return sql, [*params, ContradictionStatus.OPEN.value]

    def as_sql(self, compiler, connection, **extra):
        sql, params = self._inner(compiler, connection)
        return f"(SELECT json_group_array(contradiction_id) FROM ({sql}))", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self._inner(compiler, connection)
        return f"ARRAY({sql})", params


def claim_list():
    """Claims with subject, attribute, source, publisher and entity value joined and the ids
    of their open contradictions: one query per page."""
    return (
        Claim.objects.select_related("subject", "attribute", "source__publisher", "entity_value")
        .defer(*_DEFERRED)
        .annotate(open_contradiction_ids=OpenContradictionIds())
    )


def claims_held_on(start, end) -> Q:
    """Claims whose value held at some day of [start, end] by valid time (SPEC section 3).

    For a time-varying attribute, a claim holds over its valid period, else over the period
    of its claimed_on date, else always. For the others the value is timeless: a claim holds
    over its valid period when it states one, else always.
    """

    def overlaps(start_column: str, end_column: str) -> Q:
        return (Q(**{f"{start_column}__isnull": True}) | Q(**{f"{start_column}__lte": end})) & (
            Q(**{f"{end_column}__isnull": True}) | Q(**{f"{end_column}__gte": start})
        )

    time_varying = Q(attribute__time_varying=True) & (
        Q(period_known=False) | overlaps("period_start", "period_end")
    )
    timeless = Q(attribute__time_varying=False) & overlaps("valid_start", "valid_end")
    return time_varying | timeless


# A word is rare when it is in at most this many quotes and names at most this many sources
# and entities: then its claims are gathered first (ClaimsMatching), else walked in order.
RARE_QUOTES, RARE_SOURCES, RARE_ENTITIES = 2000, 100, 250


def _word_sql(connection, word_sql: str, quote: str, source_id: str, subject_id: str) -> str:
    """One word's condition on a claim whose columns are named: in the quote, the source's
    title, or the subject's name or an alias. Uses the word's parameter five times."""
    name = connection.ops.quote_name
    query = f"plainto_tsquery('english'::regconfig, {word_sql})"

    def matches(column: str) -> str:
        return f"to_tsvector('english'::regconfig, {column}) @@ {query}"

    sources = f"SELECT id FROM {name(Source._meta.db_table)} WHERE {matches('title')}"
    entities = (
        f"SELECT id FROM {name(Entity._meta.db_table)} WHERE {matches('name')} "
        f"UNION SELECT entity_id FROM {name(EntityAlias._meta.db_table)} WHERE {matches('name')}"
    )
    return (
        f"(numnode({query}) = 0 OR {matches(quote)} "
        f"OR {source_id} = ANY(ARRAY({sources})) OR {subject_id} = ANY(ARRAY({entities})))"
    )


class WordMatches(Func):
    """PostgreSQL: the word is in the claim's quote, its source's title, or its subject's name
    or an alias (English full text, stemmed), tested on the claim's row: right for a common
    word, whose claims the id index reaches quickly in order.

    A GIN index cannot span a join, so each table has its own on the same expression
    (migration api_search); the sources and entities the word names become id arrays that
    the claim table's indexes on source and subject serve.
    """

    output_field = models.BooleanField()

    def __init__(self, word: str):
        super().__init__(
            models.F("quote"), models.F("source_id"), models.F("subject_id"), Value(word)
        )

    def as_postgresql(self, compiler, connection, **extra):
        (quote, q1), (source_id, q2), (subject_id, q3), (word, q4) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        sql = _word_sql(connection, word, quote, source_id, subject_id)
        return sql, [*q4, *q1, *q4, *q2, *q4, *q3, *q4, *q4]


class ClaimsMatching(Func):
    """PostgreSQL: the claim is one of those holding every word, gathered first as an array
    through the GIN indexes: right for rare words. The planner cannot see through the array,
    so it never walks the id index testing each row's text, which for a rare word means the
    whole table (PostgreSQL guesses 0.5% of rows for a word it has no statistics on)."""

    output_field = models.BooleanField()

    def __init__(self, words: list[str]):
        super().__init__(models.F("id"), *(Value(word) for word in words))

    def as_postgresql(self, compiler, connection, **extra):
        outer_id, outer_params = compiler.compile(self.source_expressions[0])
        conditions, params = [], []
        for expression in self.source_expressions[1:]:
            word, word_params = compiler.compile(expression)
            conditions.append(
                _word_sql(connection, word, "api_s.quote", "api_s.source_id", "api_s.subject_id")
            )
            params += word_params * 5
        claims = connection.ops.quote_name(Claim._meta.db_table)
        inner = f"SELECT api_s.id FROM {claims} api_s WHERE {' AND '.join(conditions)}"
        return f"{outer_id} = ANY(ARRAY({inner}))", [*outer_params, *params]


def rare_words(words: list[str]) -> list[bool]:
    """PostgreSQL: for each word, whether it is rare (RARE_QUOTES, ...). One query, each count
    stopping at its limit."""
    quote = connection.ops.quote_name
    parts, params = [], []
    for word in words:
        query = "plainto_tsquery('english'::regconfig, %s)"
        for table, column, limit in (
            (Claim._meta.db_table, "quote", RARE_QUOTES),
            (Source._meta.db_table, "title", RARE_SOURCES),
            (Entity._meta.db_table, "name", RARE_ENTITIES),
            (EntityAlias._meta.db_table, "name", RARE_ENTITIES),
        ):
            # Each count stops at its limit: a common word costs a short walk, a rare one the
            # GIN index.
            stop = f" LIMIT {limit + 1}"
            parts.append(
                f"(SELECT count(*) <= {limit} FROM (SELECT 1 FROM {quote(table)} WHERE "
                f"to_tsvector('english'::regconfig, {column}) @@ {query}{stop}) AS api_n)"
            )
            params.append(word)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return [all(row[index : index + 4]) for index in range(0, len(row), 4)]


def claim_search(queryset, text: str):
    """Claims where every word of `text` is in the quote, the source's title, or the subject's
    name or an alias: English full text on PostgreSQL (one query first, to tell rare words
    from common ones), case-insensitive substrings elsewhere."""
    words = search_terms(text)
    if uses_postgres(queryset):
        rare = [word for word, is_rare in zip(words, rare_words(words), strict=True) if is_rare]
        if rare:
            queryset = queryset.filter(ClaimsMatching(rare))
        for word in words:
            if word not in rare:
                queryset = queryset.filter(WordMatches(word))
        return queryset
    for word in words:
        aliases = EntityAlias.objects.filter(name__icontains=word).values("entity_id")
        queryset = queryset.filter(
            Q(quote__icontains=word)
            | Q(source__title__icontains=word)
            | Q(subject__name__icontains=word)
            | Q(subject_id__in=aliases)
        )
    return queryset


def in_open_contradiction() -> models.Exists:
    """Whether a claim stands in an open, current contradiction (for filters)."""
    return models.Exists(
        ContradictionClaim.objects.filter(
            claim_id=models.OuterRef("pk"),
            contradiction__status=ContradictionStatus.OPEN,
            contradiction__withdrawn_at__isnull=True,
        )
    )


# Attributes and contradictions.


def attribute_list():
    """Every attribute: one query per page."""
    return Attribute.objects.all()


def contradiction_list():
    """Contradictions with subject and attribute joined (positions: attach_positions)."""
    return Contradiction.objects.select_related("subject", "attribute")


def attach_positions(contradictions) -> None:
    """Set `api_positions` on each contradiction: its positions in order, each with its
    display and its claims (as claim_list gives them), ordered by value. One query."""
    by_id = {contradiction.pk: contradiction for contradiction in contradictions}
    for contradiction in by_id.values():
        contradiction.api_positions = []
    if not by_id:
        return
    memberships = (
        ContradictionClaim.objects.filter(contradiction_id__in=list(by_id))
        .select_related(
            "claim__subject", "claim__attribute", "claim__source__publisher", "claim__entity_value"
        )
        .defer(*(f"claim__{name}" for name in _DEFERRED))
        .annotate(open_contradiction_ids=OpenContradictionIds("claim_id"))
        .order_by("contradiction_id", "position", "claim__low", "claim__date_low", "claim__id")
    )
    current: dict[tuple[int, int], Position] = {}
    for membership in memberships:
        claim = membership.claim
        claim.open_contradiction_ids = membership.open_contradiction_ids
        key = (membership.contradiction_id, membership.position)
        position = current.get(key)
        if position is None:
            position = current[key] = Position(
                index=membership.position, display=value_display(claim), claims=[]
            )
            by_id[membership.contradiction_id].api_positions.append(position)
        position.claims.append(claim)
