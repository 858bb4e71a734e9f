"""When two claims conflict (SPEC section 3), and how conflicting claims group into positions.

Pure Python over plain facts read from the claim columns, so the rules are tested without a
database; `claims.selectors.claim_conflicts` asks the same question of the interval columns
as one query.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

NUMERIC = ("money", "quantity", "count")


@dataclass(frozen=True)
class Rules:
    """What an attribute says about conflicts."""

    value_type: str
    single_valued: bool = True
    time_varying: bool = False
    choices: tuple[str, ...] | None = None

    @classmethod
    def of(cls, attribute) -> Rules:
        """The rules an attribute (anything with its fields) sets."""
        return cls(
            value_type=attribute.value_type,
            single_valued=attribute.single_valued,
            time_varying=attribute.time_varying,
            choices=tuple(attribute.choices) if attribute.choices is not None else None,
        )

    @property
    def checked(self) -> bool:
        """Multi-valued attributes, and free text without choices, are never checked."""
        if not self.single_valued:
            return False
        return self.value_type != "text" or self.choices is not None


@dataclass(frozen=True)
class Facts:
    """The columns of one claim that the rules read."""

    id: int
    low: Decimal | None = None
    high: Decimal | None = None  # None: +infinity
    currency: str = ""
    unit: str = ""
    date_low: datetime.date | None = None
    date_high: datetime.date | None = None
    entity_id: int | None = None
    boolean: bool | None = None
    text: str = ""
    # The period the claim is valid in: its valid period, else its claimed_on period,
    # else None for "overlaps everything". Ends may be None (open).
    period: tuple[datetime.date | None, datetime.date | None] | None = None


def _disjoint(low_a, high_a, low_b, high_b) -> bool:
    """Whether two closed intervals share no point; None as a high end is +infinity."""
    return (high_a is not None and high_a < low_b) or (high_b is not None and high_b < low_a)


def _overlap(a, b) -> bool:
    if a is None or b is None:
        return True
    (start_a, end_a), (start_b, end_b) = a, b
    return not (
        (end_a is not None and start_b is not None and end_a < start_b)
        or (end_b is not None and start_a is not None and end_b < start_a)
    )


def values_conflict(a: Facts, b: Facts, rules: Rules) -> bool:
    """Whether the two values cannot both be true (rules 1 to 4), dates of validity aside."""
    kind = rules.value_type
    if kind in NUMERIC:
        if (a.currency, a.unit) != (b.currency, b.unit):
            return False  # different currencies or units are not compared
        return _disjoint(a.low, a.high, b.low, b.high)
    if kind == "date":
        return _disjoint(a.date_low, a.date_high, b.date_low, b.date_high)
    if kind == "entity":
        return a.entity_id != b.entity_id
    if kind == "boolean":
        return a.boolean != b.boolean
    if kind == "text":
        return rules.choices is not None and a.text != b.text
    return False


def conflict(a: Facts, b: Facts, rules: Rules) -> bool:
    """Whether two claims on the same subject and attribute conflict (SPEC section 3)."""
    if a.id == b.id or not rules.checked:
        return False
    if not values_conflict(a, b, rules):
        return False
    return not rules.time_varying or _overlap(a.period, b.period)


def value_order(facts: Facts) -> tuple:
    """Claims ordered by value: low then high bound, date, entity, boolean, text; id last."""
    infinity = Decimal("Infinity")
    return (
        facts.currency,
        facts.unit,
        facts.low if facts.low is not None else -infinity,
        facts.high if facts.high is not None else infinity,
        facts.date_low or datetime.date.min,
        facts.date_high or datetime.date.max,
        facts.entity_id or 0,
        facts.boolean is True,
        facts.text,
        facts.id,
    )


def components(claims: list[Facts], rules: Rules) -> list[list[Facts]]:
    """The connected components of the conflict graph that have at least one conflict.

    Each component is ordered by value, and the components by their first claim's id.
    Quadratic in the claims of one subject and attribute, which is what it is given.
    """
    if not rules.checked:
        return []
    parent = {c.id: c.id for c in claims}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    conflicting = set()
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if conflict(a, b, rules):
                conflicting.update((a.id, b.id))
                parent[root(a.id)] = root(b.id)
    groups: dict[int, list[Facts]] = {}
    for c in claims:
        if c.id in conflicting:
            groups.setdefault(root(c.id), []).append(c)
    result = [sorted(group, key=value_order) for group in groups.values()]
    return sorted(result, key=lambda group: min(c.id for c in group))


def positions(component: list[Facts], rules: Rules) -> list[list[Facts]]:
    """The component's claims in groups of mutually compatible claims, ordered by value.

    Greedy in value order: each claim joins the first position all of whose claims it is
    compatible with, else opens a new one; so positions are deterministic.
    """
    result: list[list[Facts]] = []
    for claim in sorted(component, key=value_order):
        for position in result:
            if not any(conflict(claim, other, rules) for other in position):
                position.append(claim)
                break
        else:
            result.append([claim])
    return result
