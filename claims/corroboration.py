"""Independent corroboration: how many independent sources back a value, a source that repeats
another (sources.Source.derived_from) counting once with it. The one place the rule lives; the
API, the side-by-side page and the claim page read it through claims.selectors
(position_corroboration, claim_corroboration, attach_corroboration).

The rule, over the distinct sources of a group of claims (a position of a contradiction, or the
claims of one subject and attribute that give the same value):

- Following derived_from from a source, through any number of sources and whether or not they
  are in the group, ends at its **root**, a source that derives from nothing.
- Sources of the group with the same root are not independent: one repeats the other, directly
  or through a chain, or both repeat a common source. Each such family counts **once**.
- A family's **origin** is its source nearest the root (the root itself when it is in the
  group); between sources equally near, the better graded, then the lower id. The family's
  other sources are its copies; `repeats` names the source outside the group the origin derives
  from, if any.
- `independent` is the number of families; `best_grade` the best reliability grade (the grade
  in force) among their origins, so that a copy adds neither to the count nor to the grade.
- Only the group's own sources count: a source deriving from a source outside the group counts
  for itself, with its own grade, whatever that other source says.

Pure: it takes (source id, derived_from id, grade) facts and the derived_from links of the
sources further up their chains (sources.selectors.source_chains reads them in one query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sources.models import GRADES
from sources.selectors import derivation_chain


@dataclass(frozen=True)
class SourceFact:
    """What the rule needs of one source of the group."""

    id: int
    derived_from: int | None
    grade: str


@dataclass(frozen=True)
class Origin:
    """One independent source of the group and the group's sources that repeat it.

    `source`, `copies` and `repeats` are source ids as the rule gives them; the selectors
    replace them with sources.selectors.SourceLink, which name the sources.
    """

    source: Any
    grade: str
    copies: tuple = ()
    repeats: Any = None


@dataclass(frozen=True)
class Corroboration:
    """How many independent sources back a value, their best grade, and each one named."""

    independent: int
    best_grade: str | None
    origins: tuple[Origin, ...] = ()


def _grade_rank(grade: str) -> int:
    # A before B ... before F; an unknown grade after all of them.
    return GRADES.index(grade) if grade in GRADES else len(GRADES)


def corroborate(
    sources: Iterable[SourceFact], links: Mapping[int, int | None] | None = None
) -> Corroboration:
    """The independent corroboration that `sources` (a group's sources; repeats are ignored)
    give a value. `links` maps the sources further up their derivation chains to the source
    each derives from; a chain ends where neither `sources` nor `links` go on."""
    facts = {fact.id: fact for fact in sources}
    if len(facts) == 1:
        # One source is one family, its own origin (most values on a page have one source).
        (fact,) = facts.values()
        return Corroboration(
            independent=1,
            best_grade=fact.grade,
            origins=(Origin(source=fact.id, grade=fact.grade, repeats=fact.derived_from),),
        )
    chain_links = {**(links or {}), **{fact.id: fact.derived_from for fact in facts.values()}}
    families: dict[int, list[tuple[int, int, int]]] = {}
    for fact in facts.values():
        chain = derivation_chain(chain_links, fact.id)
        families.setdefault(chain[-1], []).append(
            (len(chain) - 1, _grade_rank(fact.grade), fact.id)
        )
    origins = []
    for members in families.values():
        members.sort()
        origin = facts[members[0][2]]
        origins.append(
            Origin(
                source=origin.id,
                grade=origin.grade,
                copies=tuple(sorted(member[2] for member in members[1:])),
                repeats=origin.derived_from,
            )
        )
    origins.sort(key=lambda origin: (_grade_rank(origin.grade), origin.source))
    return Corroboration(
        independent=len(origins),
        best_grade=origins[0].grade if origins else None,
        origins=tuple(origins),
    )
