"""The site's search box: entities (names and aliases), claims (quotes and values as written)
and sources (titles and publishers), each group ranked and bounded.

On PostgreSQL every condition is `to_tsvector('english', column) @@ plainto_tsquery(...)`,
written exactly as the GIN indexes of migrations 0003 and 0004 are, so each group is found
through an index and ranked (ts_rank) and highlighted (ts_headline) over its matches only.
Django's SearchVector wraps its column in COALESCE, which no index serves, so the vector here
is the bare expression; SearchQuery, SearchRank and SearchHeadline are Django's. On SQLite
each word must occur in one of the columns, case-insensitively, as in the API's search.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection
from django.db.models import (
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce

from claims.display import HIGHLIGHT_START, HIGHLIGHT_STOP, highlight, marked
from claims.models import Claim
from claims.selectors.claims import DEFERRED_COLUMNS
from claims.selectors.sources import claim_total
from kb.filters import search_terms
from kb.models import Entity, EntityAlias
from sources.models import Publisher, Source

# Each group shows at most this many results, best first.
GROUP_LIMIT = 20
# PostgreSQL ranks at most this many of a group's matches, the first its index gives: a word
# that half the claims hold costs ranking these, not the half (a group that reaches the window
# says so, and the page asks for another word).
RANK_WINDOW = 1000
# Longer searches are cut here before anything reads them.
MAX_QUERY_LENGTH = 200
# On SQLite a long quote is shown this many characters around its first match.
QUOTE_WIDTH = 240

_HEADLINE = {
    "config": "english",
    "start_sel": HIGHLIGHT_START,
    "stop_sel": HIGHLIGHT_STOP,
}
_QUOTE_HEADLINE = {
    **_HEADLINE,
    "max_words": 30,
    "min_words": 12,
    "max_fragments": 2,
    "fragment_delimiter": " … ",
}


class EnglishVector(Func):
    """to_tsvector('english', column), bare: the expression the GIN indexes are built on."""

    template = "to_tsvector('english'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


@dataclass
class SiteSearch:
    """What the search box found: up to GROUP_LIMIT rows a group, best first; `more` names the
    groups that hold more. Rows carry `snippet` (and entities `alias_snippet`, sources
    `publisher_snippet`): the matched text escaped, its words marked, safe to show."""

    query: str
    words: list[str] = field(default_factory=list)
    entities: list = field(default_factory=list)
    claims: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    more: set[str] = field(default_factory=set)
    error: str = ""
    # PostgreSQL: how many of a group's matches at most were ranked (RANK_WINDOW).
    ranked_among: int | None = None

    @property
    def total(self) -> int:
        return len(self.entities) + len(self.claims) + len(self.sources)


def _bounded(rows, name: str, found: SiteSearch, limit: int) -> list:
    rows = list(rows[: limit + 1])
    if len(rows) > limit:
        found.more.add(name)
    return rows[:limit]


def site_search(text: str, *, limit: int = GROUP_LIMIT) -> SiteSearch:
    """Search entities, claims and sources for every word of `text` (at most 8 words; more
    sets `error`). Three queries, each bounded to `limit` rows (plus one to tell there are
    more); nothing for an empty text."""
    text = " ".join(text[:MAX_QUERY_LENGTH].split())
    found = SiteSearch(query=text)
    try:
        found.words = search_terms(text)
    except ValueError as error:
        found.error = str(error)
        return found
    if not found.words:
        return found
    if connection.vendor == "postgresql":
        _search_postgres(found, limit)
    else:
        _search_substrings(found, limit)
    return found


def _search_postgres(found: SiteSearch, limit: int) -> None:
    found.ranked_among = RANK_WINDOW
    query = SearchQuery(found.query, config="english", search_type="plain")

    def matching(queryset, column: str):
        return queryset.alias(document=EnglishVector(column)).filter(document=query)

    live = Entity.objects.filter(merged_into__isnull=True)
    aliases = matching(EntityAlias.objects.filter(entity=OuterRef("pk")), "name")
    by_name = matching(live, "name").values("pk")
    by_alias = matching(EntityAlias.objects.all(), "name").values("entity_id")
    entities = (
        live.filter(pk__in=by_name.union(by_alias)[:RANK_WINDOW])
        .annotate(
            relevance=SearchRank(EnglishVector("name"), query, normalization=2)
            + Coalesce(
                Subquery(
                    aliases.annotate(relevance=SearchRank(EnglishVector("name"), query))
                    .order_by("-relevance")
                    .values("relevance")[:1],
                    output_field=FloatField(),
                ),
                0.0,
            ),
            snippet=SearchHeadline("name", query, highlight_all=True, **_HEADLINE),
            alias_snippet=Subquery(
                aliases.annotate(
                    marked=SearchHeadline("name", query, highlight_all=True, **_HEADLINE)
                )
                .order_by("name", "pk")
                .values("marked")[:1]
            ),
        )
        .order_by("-relevance", "name", "pk")
    )
    found.entities = _bounded(entities, "entities", found, limit)

    by_words = (
        Claim.objects.alias(
            in_quote=EnglishVector("quote"), in_value=EnglishVector("value_as_written")
        )
        .filter(Q(in_quote=query) | Q(in_value=query))
        .order_by()
        .values("pk")
    )
    claims = (
        Claim.objects.filter(pk__in=by_words[:RANK_WINDOW])
        .select_related("subject", "attribute", "source__publisher", "entity_value")
        .defer(*DEFERRED_COLUMNS)
        .annotate(
            relevance=SearchRank(EnglishVector("quote"), query)
            + SearchRank(EnglishVector("value_as_written"), query),
            snippet=SearchHeadline("quote", query, **_QUOTE_HEADLINE),
        )
        .order_by("-relevance", "pk")
    )
    found.claims = _bounded(claims, "claims", found, limit)

    by_title = matching(Source.objects.all(), "title").values("pk")
    by_publisher = Source.objects.filter(
        publisher__in=matching(Publisher.objects.all(), "name").values("pk")
    ).values("pk")
    sources = (
        Source.objects.filter(pk__in=by_title.union(by_publisher)[:RANK_WINDOW])
        .select_related("publisher")
        .defer("text", "notes")
        .annotate(
            relevance=SearchRank(EnglishVector("title"), query, normalization=2)
            + Coalesce(SearchRank(EnglishVector("publisher__name"), query), 0.0),
            snippet=SearchHeadline("title", query, highlight_all=True, **_HEADLINE),
            publisher_snippet=SearchHeadline(
                "publisher__name", query, highlight_all=True, **_HEADLINE
            ),
            claim_total=claim_total(),
        )
        .order_by("-relevance", F("published_on").desc(nulls_last=True), "pk")
    )
    found.sources = _bounded(sources, "sources", found, limit)
    for row in (*found.entities, *found.claims, *found.sources):
        for name in ("snippet", "alias_snippet", "publisher_snippet"):
            if getattr(row, name, None):
                setattr(row, name, marked(getattr(row, name)))


def _search_substrings(found: SiteSearch, limit: int) -> None:
    entities = Entity.objects.filter(merged_into__isnull=True)
    claims = Claim.objects.all()
    sources = Source.objects.all()
    for word in found.words:
        alias = EntityAlias.objects.filter(entity=OuterRef("pk"), name__icontains=word)
        entities = entities.filter(Q(name__icontains=word) | Exists(alias))
        claims = claims.filter(Q(quote__icontains=word) | Q(value_as_written__icontains=word))
        sources = sources.filter(Q(title__icontains=word) | Q(publisher__name__icontains=word))
    first = EntityAlias.objects.filter(entity=OuterRef("pk"))
    for word in found.words:
        first = first.filter(name__icontains=word)
    entities = entities.annotate(
        alias_snippet=Subquery(first.order_by("name", "pk").values("name")[:1])
    ).order_by("name", "pk")
    found.entities = _bounded(entities, "entities", found, limit)
    claims = (
        claims.select_related("subject", "attribute", "source__publisher", "entity_value")
        .defer(*DEFERRED_COLUMNS)
        .order_by("pk")
    )
    found.claims = _bounded(claims, "claims", found, limit)
    sources = (
        sources.select_related("publisher")
        .defer("text", "notes")
        .annotate(claim_total=claim_total())
        .order_by(F("published_on").desc(nulls_last=True), "pk")
    )
    found.sources = _bounded(sources, "sources", found, limit)
    # The same fields as PostgreSQL's headlines, unmarked: the page marks the words itself.
    words = found.words
    for entity in found.entities:
        entity.snippet = highlight(entity.name, words)
        entity.alias_snippet = entity.alias_snippet and highlight(entity.alias_snippet, words)
    for claim in found.claims:
        claim.snippet = highlight(claim.quote, words, width=QUOTE_WIDTH)
    for source in found.sources:
        source.snippet = highlight(source.title, words)
        source.publisher_snippet = source.publisher_id and highlight(source.publisher.name, words)
