"""Reads for independent corroboration (the rule: claims/corroboration.py): the derivation
chains of the sources behind a position or a value, and the claims giving the same value."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from claims.corroboration import Corroboration, Origin, SourceFact, corroborate
from claims.models import Claim
from sources.selectors import SourceLink, source_chains

# What the claims giving the same value are read with: the value's columns, named as on a
# claim (for claims.facts.value_identity), and the source. Rows, not model instances, and no
# join: a page's claims may have thousands of others, and their sources are read once each
# with their derivation chains (source_chains).
_SAME_VALUE_COLUMNS = (
    "id", "subject_id", "attribute_id", "value_type", "qualifier", "amount", "amount_max",
    "currency", "unit", "date_value", "date_precision", "entity_value_id", "boolean_value",
    "text_value", "source_id",
)  # fmt: skip


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
    position_corroboration). At most two queries whatever their number: the claims of their
    subjects and attributes, and every source involved with its derivation chain."""
    claims, positions = list(claims), list(positions)
    value_of, sources_of = _same_value_sources(claims)
    # Claims giving the same value share one corroboration, worked out once.
    values = [value for value in dict.fromkeys(value_of.values()) if value in sources_of]
    groups = [sources_of[value] for value in values]
    groups += [[claim.source_id for claim in position.claims] for position in positions]
    found = _corroborations(groups, source_chains({pk for group in groups for pk in group}))
    by_value = dict(zip(values, found, strict=False))
    for claim in claims:
        claim.corroboration = by_value.get(value_of[claim.pk], _NONE)
    for position, corroboration in zip(positions, found[len(values) :], strict=True):
        position.corroboration = corroboration


def _same_value_sources(claims: list[Claim]) -> tuple[dict[int, tuple], dict[tuple, list]]:
    """({claim id: its value}, {value: the ids of the sources of the claims giving it}), a
    value being (subject id, attribute id, claims.facts.value_identity): one query over the
    claims of the subjects and attributes of `claims` (as rows), none for no claims."""
    # claims.facts reads through claims.selectors: imported here, once both are loaded.
    from claims.facts import value_identity

    if not claims:
        return {}, {}
    pairs = sorted({(claim.subject_id, claim.attribute_id) for claim in claims})
    rows = (
        Claim.objects.filter(_subject_and_attribute_in(pairs))
        .order_by("id")
        .values_list(*_SAME_VALUE_COLUMNS, named=True)
    )
    sources: dict[tuple, dict] = {}
    for row in rows:
        value = (row.subject_id, row.attribute_id, value_identity(row))
        sources.setdefault(value, {})[row.source_id] = None
    value_of = {
        claim.pk: (claim.subject_id, claim.attribute_id, value_identity(claim)) for claim in claims
    }
    return value_of, {value: list(found) for value, found in sources.items()}


def _subject_and_attribute_in(pairs: list[tuple[int, int]]) -> RawSQL:
    """`(subject_id, attribute_id) IN (VALUES ...)`: a row-value list (PostgreSQL, SQLite 3.15+)
    that the subject-and-attribute index serves, built in one step where an OR of a condition
    a pair costs Django more to build than the query costs to run."""
    quote = connection.ops.quote_name
    table = quote(Claim._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(pairs))
    sql = f"({table}.{quote('subject_id')}, {table}.{quote('attribute_id')}) IN (VALUES {values})"
    return RawSQL(sql, [number for pair in pairs for number in pair], output_field=BooleanField())


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
