"""An entity's facts: per attribute, every value claimed, the best value and whether it is
contested. The one place the best-value rule lives (`facts_of`); the entity page and the API's
facts endpoint read it over an entity's claims as column values (claims.api_rows.entity_fact_rows),
`entity_facts` over claims as models.

The rule (SPEC section 1's ranks, as in Wikidata):

- the claims of the best rank count: the preferred ones, else the normal ones; when every claim
  is deprecated, the attribute has no best value;
- among the values those claims give, the best supported comes first: the better source grade,
  then the better credibility, then more claims, then the latest claimed, then the first claim
  key (stable across export and import); that is `best`;
- `best_values` are the values that hold: `best` alone for a single-valued attribute, every
  value of the best rank for one that is not (an agreement has several parties);
- the attribute is **contested** while an open contradiction stands between its claims; the
  best value is still named, beside the contradictions that question it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from claims.display import value_display
from claims.models import (
    NUMERIC_TYPES,
    Attribute,
    Claim,
    ContradictionStatus,
    Rank,
    ValueType,
)
from claims.selectors import claim_list, current_contradictions_of
from kb.models import Entity
from sources.models import GRADES


@dataclass
class FactValue:
    """One value given for an attribute, and the claims that give it."""

    display: str
    claims: list = field(default_factory=list)

    @property
    def rank(self) -> str:
        """The best rank among its claims."""
        ranks = {claim.rank for claim in self.claims}
        for rank in (Rank.PREFERRED, Rank.NORMAL):
            if rank in ranks:
                return rank
        return Rank.DEPRECATED


@dataclass
class Fact:
    """One attribute of an entity: its values (best first), its best and its contradictions."""

    attribute: Attribute
    claims: list  # every claim, in id order
    values: list[FactValue]  # every value claimed, best first
    best_values: list[FactValue]  # the values that hold (see the module's rule), best first
    contested: bool
    contradictions: list  # current (not withdrawn) contradictions, open and decided

    @property
    def best(self) -> FactValue | None:
        return self.best_values[0] if self.best_values else None

    @property
    def open_contradiction_ids(self) -> list[int]:
        return [c.pk for c in self.contradictions if c.status == ContradictionStatus.OPEN]


# The columns whose values make two claims of one subject and attribute give the same value
# (their wording aside), by value type; text for any other type.
IDENTITY_COLUMNS = {
    **{
        value_type: ("amount", "amount_max", "qualifier", "currency", "unit")
        for value_type in NUMERIC_TYPES
    },
    ValueType.DATE: ("date_value", "date_precision"),
    ValueType.ENTITY: ("entity_value_id",),
    ValueType.BOOLEAN: ("boolean_value",),
}
_TEXT_IDENTITY = ("text_value",)


def value_identity(claim: Claim) -> tuple:
    """What makes two claims give the same value (their wording aside)."""
    return tuple(
        getattr(claim, column) for column in IDENTITY_COLUMNS.get(claim.value_type, _TEXT_IDENTITY)
    )


def same_value_sql(one: str, other: str) -> str:
    """SQL saying that the claims aliased `one` and `other` give the same value, as
    value_identity says it: same subject, attribute and value type, and equal identity
    columns (NULL equal to NULL)."""
    quote = connection.ops.quote_name

    def equal(column: str) -> str:
        left, right = f"{one}.{quote(column)}", f"{other}.{quote(column)}"
        return f"({left} = {right} OR ({left} IS NULL AND {right} IS NULL))"

    by_type = [
        f"WHEN {_sql_word(value_type)} THEN ({' AND '.join(equal(c) for c in columns)})"
        for value_type, columns in IDENTITY_COLUMNS.items()
    ]
    text = " AND ".join(equal(column) for column in _TEXT_IDENTITY)
    return (
        f"{one}.subject_id = {other}.subject_id AND {one}.attribute_id = {other}.attribute_id "
        f"AND {one}.value_type = {other}.value_type "
        f"AND CASE {one}.value_type {' '.join(by_type)} ELSE ({text}) END"
    )


def _sql_word(text: str) -> str:
    """A value type as an SQL string literal (value types are fixed words of claims.models)."""
    if not text.replace("_", "").isalnum():
        raise ValueError(text)
    return f"'{text}'"


def _support(value: FactValue) -> tuple:
    """How well a value is supported by the claims that count for it; smaller is better."""
    rank = value.rank
    counted = [claim for claim in value.claims if claim.rank == rank]
    standing = (Rank.PREFERRED, Rank.NORMAL, Rank.DEPRECATED).index(rank)
    grade = min(GRADES.index(claim.source.grade) for claim in counted)
    credibility = min(claim.credibility for claim in counted)
    latest = max((claim.claimed_on.toordinal() for claim in counted if claim.claimed_on), default=0)
    return (standing, grade, credibility, -len(counted), -latest, value.claims[0].key)


def entity_facts(entity: Entity, claims=None) -> list[Fact]:
    """Per attribute of `entity`, ordered by label: every value claimed with its claims, the
    best values, and the state of the attribute's contradictions. Two queries.

    `claims` is a claim_list() queryset of the entity's claims, filtered as the caller likes
    (the API's trust filters); by default all of them.
    """
    if claims is None:
        claims = claim_list().filter(subject=entity)
    return facts_of(entity, claims.order_by(*FACT_CLAIM_ORDER))


# The order facts_of takes an entity's claims in: by attribute label, then id.
FACT_CLAIM_ORDER = ("attribute__label", "attribute_id", "id")


def facts_of(entity: Entity, rows) -> list[Fact]:
    """entity_facts over `rows`, the entity's claims in FACT_CLAIM_ORDER: claims, or anything
    with a claim's attributes (the API's claims.api_rows.ClaimRow: its value's columns,
    attribute, rank, credibility, claimed_on, key and source with its grade). One query."""
    contradictions: dict[int, list] = {}
    for contradiction in current_contradictions_of(entity.pk):
        contradictions.setdefault(contradiction.attribute_id, []).append(contradiction)
    by_attribute: dict[int, dict[tuple, FactValue]] = {}
    claims_of: dict[int, list] = {}
    for claim in rows:
        claims_of.setdefault(claim.attribute_id, []).append(claim)
        found = by_attribute.setdefault(claim.attribute_id, {})
        identity = value_identity(claim)
        if identity not in found:
            found[identity] = FactValue(display=value_display(claim))
        found[identity].claims.append(claim)
    facts = []
    for attribute_id, found in by_attribute.items():
        ranked = sorted(found.values(), key=_support)
        of_attribute = contradictions.get(attribute_id, [])
        attribute = claims_of[attribute_id][0].attribute
        best_rank = ranked[0].rank
        best = [] if best_rank == Rank.DEPRECATED else [v for v in ranked if v.rank == best_rank]
        facts.append(
            Fact(
                attribute=attribute,
                claims=claims_of[attribute_id],
                values=ranked,
                best_values=best[:1] if attribute.single_valued else best,
                contested=any(c.status == ContradictionStatus.OPEN for c in of_attribute),
                contradictions=of_attribute,
            )
        )
    return facts
