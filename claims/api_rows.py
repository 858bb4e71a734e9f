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

import orjson
from django.db import models
from rest_framework.fields import DateTimeField

from claims.selectors import attach_corroboration
from claims.selectors.claims import OpenContradictionIds
from claims.selectors.contradictions import ContradictionMemberships
from claims.serializers import claim_value_data
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
    "source__reliability", "source__publisher__default_reliability",
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


def claim_values(queryset, prefix: str = ""):
    """`queryset` (claims, or rows that name a claim through `prefix`, e.g. "claim__") as
    values() dicts of CLAIM_COLUMNS (named without the prefix) with the ids of the claim's
    open contradictions and every contradiction it stands in: one query when read."""
    claim_id = f"{prefix}id" if prefix else "id"
    columns = {name: models.F(prefix + name) for name in CLAIM_COLUMNS} if prefix else {}
    return queryset.values(
        *(() if prefix else CLAIM_COLUMNS),
        **columns,
        open_contradiction_ids=OpenContradictionIds(claim_id),
        all_contradictions=MembershipRows(claim_id),
    )


class ClaimRow:
    """A claim read as its columns: the attributes claims.display, claims.facts and
    attach_corroboration read of a claim, under the same names, over a values() dict."""

    @property
    def pk(self) -> int:
        return self.id


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
            "reliability": grade_in_force(
                claim.source__reliability, claim.source__publisher__default_reliability
            ),
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
