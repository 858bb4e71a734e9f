"""Reads for independent corroboration (the rule: claims/corroboration.py): the derivation
chains of the sources behind a position or a value, and the claims giving the same value."""

from __future__ import annotations

import functools
import operator
from dataclasses import replace

from django.db.models import Q

from claims.corroboration import Corroboration, SourceFact, corroborate
from claims.models import Claim
from sources.selectors import SourceLink, source_chains

# What the claims giving the same value are read with: the value's columns (for
# claims.facts.value_identity) and what names and grades their sources.
_SAME_VALUE_COLUMNS = (
    "id", "subject", "attribute", "value_type", "qualifier", "amount", "amount_max",
    "currency", "unit", "date_value", "date_precision", "entity_value", "boolean_value",
    "text_value", "source__key", "source__title", "source__reliability",
    "source__derived_from", "source__publisher__default_reliability",
)  # fmt: skip


def position_corroboration(claims) -> Corroboration:
    """The independent sources behind a group of claims (a position's), each origin named with
    its copies. The claims come with their source and its publisher loaded (as the positions'
    selectors give them); at most one query, none when no source derives from another."""
    return _corroborations([[claim.source for claim in claims]])[0]


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
    subjects and attributes, and the derivation chains of every source involved."""
    claims, positions = list(claims), list(positions)
    same_value = _same_value_sources(claims)
    groups = [same_value[claim.pk] for claim in claims]
    groups += [[claim.source for claim in position.claims] for position in positions]
    for item, corroboration in zip([*claims, *positions], _corroborations(groups), strict=True):
        item.corroboration = corroboration


def _same_value_sources(claims: list[Claim]) -> dict[int, list]:
    """{claim id: the sources of the claims giving its value}: one query over the claims of
    the subjects and attributes of `claims`, none for no claims."""
    # claims.facts reads through claims.selectors: imported here, once both are loaded.
    from claims.facts import value_identity

    if not claims:
        return {}
    attributes_of: dict[int, set[int]] = {}
    for claim in claims:
        attributes_of.setdefault(claim.subject_id, set()).add(claim.attribute_id)
    condition = functools.reduce(
        operator.or_,
        (
            Q(subject_id=subject_id, attribute_id__in=sorted(attribute_ids))
            for subject_id, attribute_ids in sorted(attributes_of.items())
        ),
    )
    rows = (
        Claim.objects.filter(condition)
        .select_related("source__publisher")
        .only(*_SAME_VALUE_COLUMNS)
        .order_by("id")
    )
    sources: dict[tuple, dict] = {}
    for row in rows:
        value = (row.subject_id, row.attribute_id, value_identity(row))
        sources.setdefault(value, {})[row.source_id] = row.source
    return {
        claim.pk: list(
            sources.get((claim.subject_id, claim.attribute_id, value_identity(claim)), {}).values()
        )
        for claim in claims
    }


def _corroborations(groups: list[list]) -> list[Corroboration]:
    """Each group of sources' corroboration, every source in it named by a SourceLink: one
    query for the derivation chains, none when no source of the groups derives from another."""
    named = {
        source.pk: SourceLink(source.pk, source.key, source.title, source.derived_from_id)
        for group in groups
        for source in group
    }
    chains = source_chains(
        link.derived_from for link in named.values() if link.derived_from is not None
    )
    links = {source_id: link.derived_from for source_id, link in chains.items()}
    named = {**chains, **named}
    found = []
    for group in groups:
        facts = [SourceFact(source.pk, source.derived_from_id, source.grade) for source in group]
        found.append(_named(corroborate(facts, links), named))
    return found


def _named(corroboration: Corroboration, named: dict[int, SourceLink]) -> Corroboration:
    return replace(
        corroboration,
        origins=tuple(
            replace(
                origin,
                source=named[origin.source],
                copies=tuple(named[source_id] for source_id in origin.copies),
                repeats=named.get(origin.repeats),
            )
            for origin in corroboration.origins
        ),
    )
