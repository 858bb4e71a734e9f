"""Reads of sources and publishers, for the pages, the admin and the API, and the derivation
chains of sources (derived_from), with the one walk along them."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection
from django.db.models import F

from kb.selectors import related_count
from sources.models import Publisher, Source, grade_in_force

K = TypeVar("K", bound=Hashable)


def source_list():
    """Sources with their publisher joined: one query per page."""
    return Source.objects.select_related("publisher")


def source_for_page():
    """Sources with the publisher and the source they derive from joined: one query."""
    return Source.objects.select_related("publisher", "derived_from")


def sources_with_claim_totals(sources=None):
    """Sources (by default all) with the publisher joined and `claim_total` (counted for the
    rows read, kb.selectors.related_count): one query."""
    sources = Source.objects.all() if sources is None else sources
    return sources.select_related("publisher").annotate(claim_total=related_count(Source, "claims"))


def publishers_with_source_totals(publishers=None):
    """Publishers (by default all) with `source_total` (counted for the rows read): one
    query."""
    publishers = Publisher.objects.all() if publishers is None else publishers
    return publishers.annotate(source_total=related_count(Publisher, "sources"))


def source_index():
    """Sources for the sources index: publisher joined, the stored text left unread, newest
    published first, undated last, the id breaking ties (the published_on index)."""
    return (
        Source.objects.select_related("publisher")
        .defer("text", "notes")
        .order_by(F("published_on").desc(nulls_last=True), "-id")
    )


def publisher_choices():
    """Publishers by name, for a filter's choices: one query."""
    return Publisher.objects.order_by("name", "id")


# Derivation chains: what a source repeats (derived_from), and what that one repeats, ...


@dataclass(frozen=True)
class SourceLink:
    """A source on a derivation chain: enough to name it, and the source it derives from."""

    id: int
    key: str
    title: str
    derived_from: int | None
    # Its reliability grade in force (sources.models.grade_in_force), where the read gave it.
    grade: str = ""


def derivation_chain(links: Mapping[K, K | None], start: K) -> list[K]:
    """Pure: `start`, the source it derives from, the one that derives from, and so on, as far
    as `links` ({source: the source it derives from, or None}) goes. The chain ends at a source
    that derives from nothing or that `links` does not know, and stops before a repeat, so a
    cycle ends where it would close. The one walk along derived_from: corroboration and the
    cycle check both take it."""
    chain, seen = [start], {start}
    current = links.get(start)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = links.get(current)
    return chain


def derivation_cycle(links: Mapping[K, K | None], start: K) -> list[K] | None:
    """Pure: the circle `start`, ..., `start` that following `links` from `start` closes, or
    None when the chain from `start` ends without coming back to it."""
    chain = derivation_chain(links, start)
    return [*chain, start] if links.get(chain[-1]) == start else None


def source_chains(source_ids: Iterable[int]) -> dict[int, SourceLink]:
    """The given sources and every source they derive from, directly or through a chain of
    any length, each with its grade in force: {id: SourceLink}. One query (a recursive CTE;
    UNION stops at a repeat, so a cycle cannot make it loop)."""
    ids = sorted({int(source_id) for source_id in source_ids})
    if not ids:
        return {}
    quote = connection.ops.quote_name
    table, publishers = quote(Source._meta.db_table), quote(Publisher._meta.db_table)
    seeds = ", ".join(["%s"] * len(ids))
    sql = (
        f"WITH RECURSIVE chain(id) AS ("
        f"SELECT id FROM {table} WHERE id IN ({seeds}) "
        f"UNION SELECT up.derived_from_id FROM {table} up INNER JOIN chain ON up.id = chain.id "
        f"WHERE up.derived_from_id IS NOT NULL) "
        f"SELECT s.id, s.key, s.title, s.derived_from_id, s.reliability, p.default_reliability "
        f"FROM {table} s LEFT JOIN {publishers} p ON p.id = s.publisher_id "
        f"WHERE s.id IN (SELECT id FROM chain)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return {
            row[0]: SourceLink(*row[:4], grade=grade_in_force(row[4], row[5]))
            for row in cursor.fetchall()
        }


def source_derivation_cycle(source: Source) -> list[SourceLink] | None:
    """The circle of copies that `source`'s derived_from would close (from `source` through
    what it derives from back to `source`), or None. One query; none for a new source or one
    that derives from nothing."""
    if source.pk is None or source.derived_from_id is None:
        return None
    chains = source_chains([source.derived_from_id])
    links = {link.id: link.derived_from for link in chains.values()}
    links[source.pk] = source.derived_from_id
    cycle = derivation_cycle(links, source.pk)
    if cycle is None:
        return None
    chains[source.pk] = SourceLink(source.pk, source.key, source.title, source.derived_from_id)
    return [chains[source_id] for source_id in cycle]
