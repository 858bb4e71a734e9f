"""Reads for independent corroboration (the rule: claims/corroboration.py): the derivation
chains of the sources behind a position or a value, and the claims giving the same value."""

from __future__ import annotations

from django.db import connection

from claims.corroboration import Corroboration, Origin, SourceFact, corroborate
from claims.models import Claim
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


def attach_corroboration(*, claims=(), positions=()) -> None:
    """Set `corroboration` on each claim (the independent sources giving its value, as
    claim_corroboration) and on each position (the independent sources behind its claims, as
    position_corroboration). At most two queries whatever their number: the sources of the
    claims giving the claims' values, and every source involved with its derivation chain."""
    claims, positions = list(claims), list(positions)
    sources_of = _same_value_sources([claim.pk for claim in claims if claim.pk is not None])
    groups = [sources_of[claim.pk] for claim in claims if claim.pk in sources_of]
    groups += [[claim.source_id for claim in position.claims] for position in positions]
    found = iter(_corroborations(groups, source_chains({pk for group in groups for pk in group})))
    for claim in claims:
        claim.corroboration = next(found) if claim.pk in sources_of else _NONE
    for position in positions:
        position.corroboration = next(found)


def _same_value_sources(claim_ids: list[int]) -> dict[int, list[int]]:
    """{claim id: the ids of the sources of the claims giving its value, its own included}:
    the claims of its subject and attribute whose value is the same (claims.facts.
    value_identity, as claims.facts.same_value_sql says it in SQL). One query through the
    subject-and-attribute index, none for no claims."""
    # claims.facts reads through claims.selectors: imported here, once both are loaded.
    from claims.facts import same_value_sql

    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    table = connection.ops.quote_name(Claim._meta.db_table)
    sql = (
        f"SELECT DISTINCT claim.id, other.source_id FROM {table} claim "
        f"JOIN {table} other ON {same_value_sql('claim', 'other')} "
        f"WHERE claim.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY claim.id, other.source_id"
    )
    found: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        for claim_id, source_id in cursor.fetchall():
            found.setdefault(claim_id, []).append(source_id)
    return found


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
