"""Reads for independent corroboration (the rule: claims/corroboration.py): the derivation
chains of the sources behind a position or a value, and the claims giving the same value."""

from __future__ import annotations

import orjson
from django.db import connection, models
from django.db.models import F, Func

from claims.corroboration import Corroboration, Origin, SourceFact, corroborate
from claims.models import Claim
from claims.selectors.claims import json_rows_sql
from sources.models import Publisher, Source, grade_in_force
from sources.selectors import SourceLink, source_chains

# A claim not stored yet: no claim gives its value.
_NONE = Corroboration(independent=0, best_grade=None, origins=())


def position_corroboration(claims) -> Corroboration:
    """The independent sources behind a group of claims (a position's), each origin named with
    its copies. The claims come with their source and its publisher loaded (as the positions'
    selectors give them); at most one query, none when no source derives from another."""
    sources = {claim.source.pk: claim.source for claim in claims}
    named = {
        pk: SourceLink(pk, source.key, source.title, source.derived_from_id, source.grade)
        for pk, source in sources.items()
    }
    chains = source_chains(
        link.derived_from for link in named.values() if link.derived_from is not None
    )
    return _corroborations([list(named)], {**chains, **named})[0]


def claim_corroboration(claim: Claim) -> Corroboration:
    """The independent sources giving the same value as `claim`: the claims of its subject and
    attribute whose value is the same (claims.facts.value_identity), its own included. At most
    two queries."""
    attach_corroboration(claims=[claim])
    return claim.corroboration


class _SourceRows(models.Field):
    """Rows of sources as the database wrote them in JSON (SameValueSources)."""

    def from_db_value(self, value, expression, connection):
        return orjson.loads(value) if value else []


class SameValueSources(Func):
    """The sources of the claims giving the same value as a claim, its own included (the
    claims of its subject and attribute whose value is the same: claims.facts.same_value_sql),
    by id, each as [id, key, title, derived from, reliability, publisher's default
    reliability]: a correlated subquery through the subject-and-attribute index, so that a
    page of claims reads what its corroboration needs in its own query (attach_corroboration
    then reads none)."""

    output_field = _SourceRows()

    def __init__(self, claim: str = ""):
        # `claim`: the path to the claim from the query's rows ("claim__" from memberships).
        # Its subject column names the claim's table (a path to its id would stop short, at
        # the foreign key holding it).
        super().__init__(F(f"{claim}subject_id"))

    def as_sql(self, compiler, connection, **extra):
        from claims.facts import same_value_sql

        column, params = compiler.compile(self.source_expressions[0])
        claim = column.rpartition(".")[0]  # the claim's table as this query names it
        quote = connection.ops.quote_name
        same = (
            f"SELECT api_sv.source_id FROM {quote(Claim._meta.db_table)} api_sv "
            f"WHERE {same_value_sql(claim, 'api_sv')}"
        )
        tables = (
            f"{quote(Source._meta.db_table)} api_ss LEFT JOIN {quote(Publisher._meta.db_table)} "
            f"api_sp ON api_sp.id = api_ss.publisher_id WHERE api_ss.id IN ({same})"
        )
        array = "json_build_array" if connection.vendor == "postgresql" else "json_array"
        item = (
            f"{array}(api_ss.id, api_ss.key, api_ss.title, api_ss.derived_from_id, "
            "api_ss.reliability, api_sp.default_reliability)"
        )
        sql = json_rows_sql(item=item, tables=tables, order="api_ss.id", vendor=connection.vendor)
        return sql, params


def attach_corroboration(*, claims=(), positions=()) -> None:
    """Set `corroboration` on each claim (the independent sources giving its value, as
    claim_corroboration) and on each position (the independent sources behind its claims, as
    position_corroboration). At most two queries whatever their number: the sources of the
    claims giving the claims' values, named (none when the claims were read with them:
    SameValueSources); then, only where a source derives from one not read yet or a
    position's source was not, those with their derivation chains."""
    claims, positions = list(claims), list(positions)
    if claims and all(hasattr(claim, "same_value_sources") for claim in claims):
        sources_of, named = _read_sources(claims)
    else:
        sources_of, named = _same_value_sources(
            [claim.pk for claim in claims if claim.pk is not None]
        )
    groups = [sources_of[claim.pk] for claim in claims if claim.pk in sources_of]
    groups += [[claim.source_id for claim in position.claims] for position in positions]
    unread = {pk for group in groups for pk in group if pk not in named}
    unread |= {
        link.derived_from
        for link in named.values()
        if link.derived_from is not None and link.derived_from not in named
    }
    if unread:
        named.update(source_chains(unread))
    found = iter(_corroborations(groups, named))
    for claim in claims:
        claim.corroboration = next(found) if claim.pk in sources_of else _NONE
    for position in positions:
        position.corroboration = next(found)


def _same_value_sources(claim_ids: list[int]) -> tuple[dict[int, list[int]], dict[int, SourceLink]]:
    """{claim id: the ids of the sources of the claims giving its value, its own included}:
    the claims of its subject and attribute whose value is the same (claims.facts.
    value_identity, as claims.facts.same_value_sql says it in SQL); and those sources, each
    a SourceLink with its grade in force. One query through the subject-and-attribute index,
    none for no claims."""
    # claims.facts reads through claims.selectors: imported here, once both are loaded.
    from claims.facts import same_value_sql

    ids = sorted(set(claim_ids))
    if not ids:
        return {}, {}
    quote = connection.ops.quote_name
    table = quote(Claim._meta.db_table)
    sources, publishers = quote(Source._meta.db_table), quote(Publisher._meta.db_table)
    sql = (
        f"SELECT DISTINCT claim.id, s.id, s.key, s.title, s.derived_from_id, s.reliability, "
        f"p.default_reliability FROM {table} claim "
        f"JOIN {table} other ON {same_value_sql('claim', 'other')} "
        f"JOIN {sources} s ON s.id = other.source_id "
        f"LEFT JOIN {publishers} p ON p.id = s.publisher_id "
        f"WHERE claim.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY claim.id, s.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return _sources_by_claim(cursor)


def _read_sources(claims) -> tuple[dict[int, list[int]], dict[int, SourceLink]]:
    """_same_value_sources's answer from what the claims' own query read (SameValueSources)."""
    read = {claim.pk: claim.same_value_sources for claim in claims}
    return _sources_by_claim(
        (claim_id, *source) for claim_id, sources in read.items() for source in sources
    )


def _sources_by_claim(rows) -> tuple[dict[int, list[int]], dict[int, SourceLink]]:
    """Rows of (claim id, source id, key, title, derived from, reliability, publisher's
    default reliability) as {claim id: its source ids} and {source id: SourceLink, graded}."""
    found: dict[int, list[int]] = {}
    named: dict[int, SourceLink] = {}
    for claim_id, source_id, key, title, derived_from, reliability, default in rows:
        found.setdefault(claim_id, []).append(source_id)
        if source_id not in named:
            named[source_id] = SourceLink(
                source_id, key, title, derived_from, grade_in_force(reliability, default)
            )
    return found, named


def _corroborations(groups: list[list[int]], named: dict[int, SourceLink]) -> list[Corroboration]:
    """Each group of sources' (their ids) corroboration, by the rule, every source in it named:
    `named` holds every source of the groups and of their derivation chains (source_chains)."""
    links = {source_id: link.derived_from for source_id, link in named.items()}
    # The rule depends on the set of sources only: groups of the same sources (a position and
    # the value its claims give, claims of one value on many pages' rows) share one result.
    worked_out: dict[frozenset, Corroboration] = {}
    found = []
    for group in groups:
        ids = frozenset(group)
        corroboration = worked_out.get(ids)
        if corroboration is None:
            facts = [SourceFact(pk, named[pk].derived_from, named[pk].grade) for pk in ids]
            corroboration = worked_out[ids] = _named(corroborate(facts, links), named)
        found.append(corroboration)
    return found


def _named(corroboration: Corroboration, named: dict[int, SourceLink]) -> Corroboration:
    return Corroboration(
        independent=corroboration.independent,
        best_grade=corroboration.best_grade,
        origins=tuple(
            Origin(
                source=named[origin.source],
                grade=origin.grade,
                copies=tuple(named[source_id] for source_id in origin.copies),
                repeats=named.get(origin.repeats),
            )
            for origin in corroboration.origins
        ),
    )
