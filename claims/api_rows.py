"""The read API's claims as plain dicts: read as column values (one values() query a page, only
the columns the API shows), then written out in the representation claims/serializers.py
declares, without a model instance or a serializer field a row.

The serializers stay the OpenAPI schema and the CSV columns; this module gives what they would
give, key for key (tests/api/test_contract_equivalence.py compares the two on every endpoint).
The rules stay where they live: a value's display in claims.display, its identity in
claims.facts, corroboration in claims.selectors.corroboration, a source's grade in
sources.models.grade_in_force, dates at their precision in kb.dates.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import orjson
from django.db import models
from django.db.models import F
from rest_framework.fields import DateTimeField

from claims.display import plain_decimal, value_display
from claims.facts import FACT_CLAIM_ORDER, facts_of
from claims.models import Attribute, Claim, Contradiction, ContradictionStatus, Rank
from claims.selectors import Position, attach_corroboration, attach_decisions
from claims.selectors.contradictions import ContradictionMemberships
from claims.selectors.corroboration import SameValueSources
from claims.serializers import claim_value_data
from kb.api.compiled import rows_by_ids
from kb.dates import iso_at_precision
from kb.models import Entity
from sources.models import grade_in_force

# The columns of a claim the API shows (or needs to show them), named as on a claim where
# claims.display and claims.facts read them.
CLAIM_COLUMNS = (
    "id", "key", "subject_id", "subject__key", "subject__name", "subject__kind",
    "attribute_id", "attribute__code", "attribute__label",
    "value_type", "qualifier", "amount", "amount_max", "currency", "unit", "low", "high",
    "date_value", "date_precision", "entity_value_id", "entity_value__key",
    "entity_value__name", "boolean_value", "text_value", "value_as_written",
    "valid_from", "valid_from_precision", "valid_to", "valid_to_precision",
    "claimed_on", "claimed_on_precision",
    "source_id", "source__key", "source__title", "source__publisher__name", "source__url",
    "source__published_on", "source__published_on_precision", "source__kind",
    "source__reliability", "source__publisher__default_reliability", "source__derived_from_id",
    "quote", "credibility", "rank",
)  # fmt: skip


class _JSONList(models.Field):
    """A JSON array the database built (ContradictionMemberships), read as plain dicts."""

    def from_db_value(self, value, expression, connection):
        return orjson.loads(value) if value else []


class MembershipRows(ContradictionMemberships):
    """Every contradiction a claim stands in, as the API writes it: {id, status, outcome,
    withdrawn, position} by id (the database's JSON, keys in that order)."""

    output_field = _JSONList()


def claim_values(queryset, *columns, omit: tuple[str, ...] = (), corroborated: bool = True, **more):
    """`queryset` (claims) as values() dicts of CLAIM_COLUMNS (less those in `omit`, which
    the caller fills in) with every contradiction the claim stands in (which says which are
    open: ClaimRow.open_contradiction_ids), the sources giving the same value (for
    attach_corroboration; not when `corroborated` is false), and the `columns` and
    expressions `more` asked for besides: one query when read."""
    if corroborated:
        more = {"same_value_sources": SameValueSources(), **more}
    return queryset.values(
        *(column for column in CLAIM_COLUMNS if column not in omit),
        *columns,
        all_contradictions=MembershipRows(),
        **more,
    )


@functools.cache
def _every_claim_values():
    return claim_values(Claim.objects.all())


def every_claim_values():
    """claim_values() of every claim, to filter further: built once per process and cloned for
    each request (building a values() query of these columns costs more than running a small
    one: about 3 ms)."""
    return _every_claim_values().all()


class SourceRef(NamedTuple):
    """A claim's source as corroboration and the best-value rule read it (what a
    sources.Source gives too)."""

    pk: int
    key: str
    title: str
    derived_from_id: int | None
    grade: str


_OPEN = ContradictionStatus.OPEN.value


class ClaimRow:
    """A claim read as its columns: the attributes claims.display, claims.facts and
    attach_corroboration read of a claim, under the same names, over a values() dict."""

    @property
    def pk(self) -> int:
        return self.id

    @property
    def source(self) -> SourceRef:
        return SourceRef(
            self.source_id,
            self.source__key,
            self.source__title,
            self.source__derived_from_id,
            self.grade,
        )

    @property
    def publisher_name(self) -> str | None:
        return self.source__publisher__name

    def get_rank_display(self) -> str:
        return Rank(self.rank).label

    @property
    def open_contradiction_ids(self) -> list[int]:
        """The ids of the open, current contradictions it stands in, ascending (what
        claims.selectors.OpenContradictionIds reads): taken from all_contradictions, which the
        database gives by id, rather than read again by a second subquery of each row."""
        return [
            membership["id"]
            for membership in self.all_contradictions
            if membership["status"] == _OPEN and not membership["withdrawn"]
        ]

    @property
    def grade(self) -> str:
        """The grade in force of the claim's source (grade_in_force)."""
        return grade_in_force(self.source__reliability, self.source__publisher__default_reliability)


def claim_row(values: dict) -> ClaimRow:
    """A values() dict of claim_values as a ClaimRow (the dict itself is its attributes)."""
    row = ClaimRow()
    row.__dict__ = values
    values["entity_value"] = (
        Entity(
            id=values["entity_value_id"],
            key=values["entity_value__key"],
            name=values["entity_value__name"],
        )
        if values["entity_value_id"] is not None
        else None
    )
    return row


def claims_data(rows: list[dict]) -> list[dict]:
    """The API's representation of each claim (ClaimSerializer's), from claim_values() dicts:
    their corroboration read in at most two queries whatever their number."""
    claims = [claim_row(values) for values in rows]
    attach_corroboration(claims=claims)
    written: dict[int, dict] = {}
    return [claim_data(claim, written) for claim in claims]


def claim_data(claim: ClaimRow, corroborations: dict) -> dict:
    """One claim as ClaimSerializer writes it; `corroborations` keeps each corroboration
    written once (claims giving one value share one)."""
    found = claim.corroboration
    corroboration = corroborations.get(id(found))
    if corroboration is None:
        corroboration = corroborations[id(found)] = corroboration_data(found)
    return {
        "id": claim.id,
        "key": claim.key,
        "subject": {
            "id": claim.subject_id,
            "key": claim.subject__key,
            "name": claim.subject__name,
            "kind": claim.subject__kind,
        },
        "attribute": {"code": claim.attribute__code, "label": claim.attribute__label},
        "value": claim_value_data(claim),
        "valid_from": iso_at_precision(claim.valid_from, claim.valid_from_precision),
        "valid_to": iso_at_precision(claim.valid_to, claim.valid_to_precision),
        "claimed_on": iso_at_precision(claim.claimed_on, claim.claimed_on_precision),
        "source": {
            "id": claim.source_id,
            "key": claim.source__key,
            "title": claim.source__title,
            "publisher": claim.source__publisher__name,
            "url": claim.source__url,
            "published_on": iso_at_precision(
                claim.source__published_on, claim.source__published_on_precision
            ),
            "kind": claim.source__kind,
            "reliability": claim.grade,
        },
        "quote": claim.quote,
        "credibility": claim.credibility,
        "rank": claim.rank,
        "contradictions": claim.open_contradiction_ids,
        "all_contradictions": claim.all_contradictions,
        "corroboration": corroboration,
    }


def _source_name(link) -> dict:
    return {"id": link.id, "key": link.key, "title": link.title}


def corroboration_data(corroboration) -> dict:
    """A claims.corroboration.Corroboration as CorroborationSerializer writes it."""
    return {
        "independent": corroboration.independent,
        "best_grade": corroboration.best_grade,
        "origins": [
            {
                "id": origin.source.id,
                "key": origin.source.key,
                "title": origin.source.title,
                "grade": origin.grade,
                "copies": [_source_name(copy) for copy in origin.copies],
                "repeats": None if origin.repeats is None else _source_name(origin.repeats),
            }
            for origin in corroboration.origins
        ],
    }


_DATETIME = DateTimeField()


def datetime_data(value) -> str | None:
    """A date and time as DRF's DateTimeField writes it (the current time zone, ISO 8601, UTC
    as Z), None for none."""
    return None if value is None else _DATETIME.to_representation(value)


# Contradictions.

# The columns of a contradiction the API shows.
CONTRADICTION_COLUMNS = (
    "id", "status", "outcome", "note", "subject_id", "subject__key", "subject__name",
    "subject__kind", "attribute_id", "attribute__code", "attribute__label", "detected_at",
    "resolved_at",
    "origin", "flag_note", "flagged_by__username", "resolved_by__username", "reopened_at",
    "reopen_reason", "withdrawn_at", "withdrawn_reason",
)  # fmt: skip

# A position's claims in value order (SPEC section 3), the claim id breaking ties: as the
# side-by-side page orders them (claims.selectors.contradictions).
POSITION_ORDER = ("position", "low", "date_low", "id")


class ContradictionRow:
    """A contradiction read as its columns, for attach_decisions (which sets `decisions`)."""

    @property
    def pk(self) -> int:
        return self.id


def contradiction_values(queryset):
    """`queryset` (contradictions) as values() dicts of CONTRADICTION_COLUMNS: one query."""
    return queryset.values(*CONTRADICTION_COLUMNS)


@functools.cache
def _every_contradiction_values():
    return contradiction_values(Contradiction.objects.all())


def every_contradiction_values():
    """contradiction_values() of every contradiction, to filter further: built once per process
    and cloned for each request (as every_claim_values)."""
    return _every_contradiction_values().all()


def contradictions_data(rows: list[dict]) -> list[dict]:
    """The API's representation of each contradiction (ContradictionSerializer's), from
    contradiction_values() dicts: their positions' claims in one query, their corroboration
    in at most two and their decisions in one, whatever their number."""
    contradictions = []
    for values in rows:
        row = ContradictionRow()
        row.__dict__ = values
        contradictions.append(row)
    attach_decisions(contradictions)
    positions = _positions(contradictions)
    claims = [claim for found in positions.values() for p in found for claim in p.claims]
    attach_corroboration(
        claims=claims, positions=[p for found in positions.values() for p in found]
    )
    written: dict[int, dict] = {}
    return [contradiction_data(row, positions.get(row.id, []), written) for row in contradictions]


# A claim's subject and attribute as they are shown: a contradiction's claims share its own.
GROUP_COLUMNS = (
    "subject__key", "subject__name", "subject__kind", "attribute__code", "attribute__label",
)  # fmt: skip


def _position_claim_values():
    """claim_values() of every claim in every contradiction it stands in, less GROUP_COLUMNS
    (_positions takes them from the contradiction), with the contradiction's id and the
    claim's position in it, by contradiction and position: what _positions reads, by
    contradiction id."""
    # The claims' subject and attribute are taken from their contradiction, not joined again:
    # PostgreSQL took longer to plan the join of both (1.4 ms) than to run it (0.2 ms).
    return claim_values(
        Claim.objects.all(),
        omit=GROUP_COLUMNS,
        contradiction_id=F("memberships__contradiction_id"),
        position=F("memberships__position"),
    ).order_by("contradiction_id", *POSITION_ORDER)


def _positions(contradictions: list[ContradictionRow]) -> dict[int, list[Position]]:
    """{contradiction id: its positions in order, each with its claims (ClaimRow) in value
    order and its display (its first claim's value)}: one query, and one more should a claim
    name another subject or attribute than its contradiction (never, as things are written)."""
    if not contradictions:
        return {}
    by_id = {row.id: row for row in contradictions}
    # Read with a query compiled once per connection (kb.api.compiled).
    rows = rows_by_ids(
        "position claims",
        _position_claim_values,
        Contradiction.objects.filter(pk__in=list(by_id)).values("pk"),
        column="contradiction_id",
    )
    odd = []
    for values in rows:
        contradiction = by_id[values["contradiction_id"]]
        if (values["subject_id"], values["attribute_id"]) == (
            contradiction.subject_id,
            contradiction.attribute_id,
        ):
            values.update({column: getattr(contradiction, column) for column in GROUP_COLUMNS})
        else:
            odd.append(values)
    if odd:
        own = Claim.objects.filter(pk__in={values["id"] for values in odd}).values(
            "id", *GROUP_COLUMNS
        )
        own = {values.pop("id"): values for values in own}
        for values in odd:
            values.update(own[values["id"]])
    found: dict[int, list[Position]] = {}
    for values in rows:
        claim = claim_row(values)
        positions = found.setdefault(values["contradiction_id"], [])
        if not positions or positions[-1].index != values["position"]:
            positions.append(
                Position(index=values["position"], display=value_display(claim), claims=[])
            )
        positions[-1].claims.append(claim)
    return found


def contradiction_data(row: ContradictionRow, positions: list[Position], written: dict) -> dict:
    """One contradiction as ContradictionSerializer writes it."""
    return {
        "id": row.id,
        "status": row.status,
        "outcome": row.outcome or None,
        "note": row.note,
        "subject": {
            "id": row.subject_id,
            "key": row.subject__key,
            "name": row.subject__name,
            "kind": row.subject__kind,
        },
        "attribute": {"code": row.attribute__code, "label": row.attribute__label},
        "detected_at": datetime_data(row.detected_at),
        "resolved_at": datetime_data(row.resolved_at),
        "origin": row.origin,
        "flag_note": row.flag_note,
        "flagged_by": row.flagged_by__username,
        "resolved_by": row.resolved_by__username,
        "reopened_at": datetime_data(row.reopened_at),
        "reopen_reason": row.reopen_reason,
        "withdrawn_at": datetime_data(row.withdrawn_at),
        "withdrawn_reason": row.withdrawn_reason,
        "decisions": [
            {
                "decided_at": datetime_data(decision.decided_at),
                "by": decision.by,
                "status": decision.status,
                "outcome": decision.outcome or None,
                "note": decision.note,
            }
            for decision in row.decisions
        ],
        "positions": [
            {
                "display": position.display,
                "corroboration": corroboration_data(position.corroboration),
                "claims": [claim_data(claim, written) for claim in position.claims],
            }
            for position in positions
        ],
    }


# Attributes and an entity's facts.

# The columns of an attribute the API shows (AttributeSerializer's fields).
ATTRIBUTE_COLUMNS = (
    "id", "code", "label", "description", "value_type", "unit", "single_valued",
    "time_varying", "tolerance", "approx_tolerance", "choices",
)  # fmt: skip


def attribute_data(attribute) -> dict:
    """An attribute (a claims.Attribute or its values() dict's row) as AttributeSerializer
    writes it."""
    return {
        "id": attribute.id,
        "code": attribute.code,
        "label": attribute.label,
        "description": attribute.description,
        "value_type": attribute.value_type,
        "unit": attribute.unit,
        "single_valued": attribute.single_valued,
        "time_varying": attribute.time_varying,
        "tolerance": plain_decimal(attribute.tolerance),
        "approx_tolerance": plain_decimal(attribute.approx_tolerance),
        "choices": attribute.choices,
    }


def entity_ref_data(entity) -> dict:
    """An entity where another object names it (EntityRefSerializer)."""
    return {"id": entity.id, "key": entity.key, "name": entity.name, "kind": entity.kind}


_FACT_ATTRIBUTE_COLUMNS = [f"attribute__{name}" for name in ATTRIBUTE_COLUMNS[1:]]


_SUBJECT_COLUMNS = ("subject__key", "subject__name", "subject__kind")


@functools.cache
def _fact_claims(corroborated: bool):
    # The subject's columns are the entity's, not joined again (as a contradiction's claims).
    return claim_values(
        Claim.objects.order_by(*FACT_CLAIM_ORDER),
        *(column for column in _FACT_ATTRIBUTE_COLUMNS if column not in CLAIM_COLUMNS),
        omit=_SUBJECT_COLUMNS,
        corroborated=corroborated,
    )


def fact_claim_values(*, corroborated: bool = True):
    """claim_values() of every claim with its attribute's columns, in the order the best-value
    rule reads them (FACT_CLAIM_ORDER), for entity_facts_data once filtered to an entity's
    claims (which gives their subject's columns): built once per process (as
    every_claim_values). Without the same-value sources when not `corroborated`."""
    return _fact_claims(corroborated).all()


def entity_fact_rows(
    entity, claims=None, *, corroborated: bool = True
) -> tuple[list, list[ClaimRow]]:
    """An entity's facts by the one best-value rule (claims.facts.facts_of) over `claims`
    (a Claim queryset of the entity's claims, filtered as the caller likes; by default all of
    them), read as ClaimRows, each with its attribute; and those rows. Two queries: the
    claims with their attributes, the entity's contradictions. The API's facts and the
    entity's page both read them so; the page, which shows no corroboration, without the
    sources giving the same value (`corroborated` false: a correlated subquery of the claims
    of each claim's value, a quarter of the claims' query)."""
    alike = claims is None
    if claims is None:
        claims = Claim.objects.filter(subject=entity)
    # Read by id, with the claims' query compiled once per connection (kb.api.compiled). The
    # ids come from the plain queryset, which joins only what its filters need: taken from
    # fact_claim_values(), they would join the four tables of its columns too (a fifth of
    # the query's time for an entity of forty claims).
    ids = claims.values("pk").order_by()
    rows = [
        claim_row(values)
        for values in rows_by_ids(
            ("fact claims", corroborated),
            functools.partial(fact_claim_values, corroborated=corroborated),
            ids,
            # The entity's id alone chooses the claims: one plan serves any entity.
            alike=alike,
        )
    ]
    subject = {column: getattr(entity, column[9:]) for column in _SUBJECT_COLUMNS}
    attributes: dict[int, Attribute] = {}
    for row in rows:
        if row.subject_id != entity.id:
            raise ValueError(f"claim {row.id} is not of entity {entity.id}")
        row.__dict__.update(subject)
        attribute = attributes.get(row.attribute_id)
        if attribute is None:
            attribute = attributes[row.attribute_id] = Attribute(
                id=row.attribute_id,
                **{column[11:]: getattr(row, column) for column in _FACT_ATTRIBUTE_COLUMNS},
            )
        row.attribute = attribute
    return facts_of(entity, rows), rows


def entity_facts_data(entity, claims, *, as_rows: bool = False):
    """An entity's facts as the API gives them (EntityFactsSerializer's), by the one best-value
    rule (claims.facts.facts_of) over `claims` (a Claim queryset of the entity's claims,
    filtered as the request asks, or None for all of them); with `as_rows`, one
    FactRowSerializer row a claim (the CSV).
    Four queries whatever the number of claims: the claims (with their attributes), the
    entity's contradictions, and the corroboration's two."""
    facts, rows = entity_fact_rows(entity, claims)
    attach_corroboration(claims=rows)
    written: dict[int, dict] = {}
    claim_of = {row.id: claim_data(row, written) for row in rows}
    entity_ref = entity_ref_data(entity)
    if as_rows:
        return [
            {
                "entity": entity_ref,
                "attribute": {"code": fact.attribute.code, "label": fact.attribute.label},
                "value": value.display,
                "best": value is fact.best,
                "holds": any(value is holding for holding in fact.best_values),
                "contested": fact.contested,
                "claim": claim_of[claim.id],
            }
            for fact in facts
            for value in fact.values
            for claim in value.claims
        ]

    def value_data(value) -> dict:
        return {"display": value.display, "claims": [claim_of[c.id] for c in value.claims]}

    return {
        "entity": entity_ref,
        "facts": [
            {
                "attribute": attribute_data(fact.attribute),
                "best": None if fact.best is None else value_data(fact.best),
                "best_values": [value_data(value) for value in fact.best_values],
                "contested": fact.contested,
                "values": [value_data(value) for value in fact.values],
                "contradictions": [
                    {
                        "id": contradiction.id,
                        "status": contradiction.status,
                        "outcome": contradiction.outcome or None,
                        "note": contradiction.note,
                        "detected_at": datetime_data(contradiction.detected_at),
                        "resolved_at": datetime_data(contradiction.resolved_at),
                    }
                    for contradiction in fact.contradictions
                ],
            }
            for fact in facts
        ],
    }
