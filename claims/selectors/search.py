"""Full-text search over claims: every word in the quote, the source's title, or the subject's
name or an alias (English full text on PostgreSQL, substrings elsewhere)."""

from __future__ import annotations

from django.db import models
from django.db.models import Func, Q, Value

from claims.models import Claim
from kb.filters import (
    entities_named_sql,
    entity_name_places,
    rare_words,
    search_terms,
    uses_postgres,
)
from kb.models import EntityAlias
from sources.models import Source

# A word is rare when it is in at most this many quotes and names at most this many sources
# and entities (kb.filters.RARE_ENTITIES): then its claims are gathered first
# (ClaimsMatching), else walked in order.
RARE_QUOTES, RARE_SOURCES = 2000, 100


def _word_sql(connection, word_sql: str, quote: str, source_id: str, subject_id: str) -> str:
    """One word's condition on a claim whose columns are named: in the quote, the source's
    title, or the subject's name or an alias. Uses the word's parameter five times."""
    name = connection.ops.quote_name
    query = f"plainto_tsquery('english'::regconfig, {word_sql})"

    def matches(column: str) -> str:
        return f"to_tsvector('english'::regconfig, {column}) @@ {query}"

    sources = f"SELECT id FROM {name(Source._meta.db_table)} WHERE {matches('title')}"
    entities = entities_named_sql(connection, word_sql)
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


def claim_rare_words(words: list[str]) -> list[bool]:
    """PostgreSQL: for each word, whether it is rare (RARE_QUOTES, ...) in quotes, source
    titles, entity names and aliases: one query (kb.filters.rare_words)."""
    return rare_words(
        words,
        (
            (Claim._meta.db_table, "quote", RARE_QUOTES),
            (Source._meta.db_table, "title", RARE_SOURCES),
            *entity_name_places(),
        ),
    )


def claim_search(queryset, text: str):
    """Claims where every word of `text` is in the quote, the source's title, or the subject's
    name or an alias: English full text on PostgreSQL (one query first, to tell rare words
    from common ones), case-insensitive substrings elsewhere."""
    words = search_terms(text)
    if uses_postgres(queryset):
        rare = [
            word for word, is_rare in zip(words, claim_rare_words(words), strict=True) if is_rare
        ]
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
