"""Reads of claims: the API's claim rows with the ids of their open contradictions, the
conditions claims are filtered by, the claims that conflict with one, and a source's claims
and the entities' claim totals for the pages."""

from __future__ import annotations

import json

from django.db import models
from django.db.models import Exists, Func, OuterRef, Q

from claims import conflicts
from claims.models import (
    NUMERIC_TYPES,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    ValueType,
)
from kb.models import Entity, EntityAlias
from kb.selectors import related_count

# Columns a claim row does not need for the API and that may be long: the source's full text
# above all. (Deferring more costs more in building the rows than it saves in reading them.)
DEFERRED_COLUMNS = ("notes", "source__text", "source__notes")


class _IdList(models.Field):
    """A list of ids from an array (PostgreSQL) or a JSON text (SQLite)."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        if isinstance(value, str):
            return json.loads(value)
        return list(value)


def json_rows_sql(*, item: str, tables: str, order: str, vendor: str) -> str:
    """A correlated subquery's rows as one JSON array, in `order`, or [] for none: `item` is
    an expression of the database's JSON (json_object, json_array on SQLite; json_build_object,
    json_build_array on PostgreSQL) for each row of `tables` (FROM ... WHERE ...). Text on
    both databases, which the caller parses."""
    if vendor == "postgresql":
        rows = f"COALESCE(json_agg({item} ORDER BY {order}), '[]'::json)"
        return f"(SELECT CAST({rows} AS text) FROM {tables})"
    inner = f"SELECT {item} AS item FROM {tables} ORDER BY {order}"
    return f"(SELECT json_group_array(json(api_jx.item)) FROM ({inner}) api_jx)"


class OpenContradictionIds(Func):
    """The ids of the open, current contradictions a claim stands in, ascending, as a list:
    a correlated subquery on the membership index, so a page of claims stays one query."""

    output_field = _IdList()

    def __init__(self, claim_id="id"):
        super().__init__(models.F(claim_id))

    def _inner(self, compiler, connection):
        claim_id, params = compiler.compile(self.source_expressions[0])
        quote = connection.ops.quote_name
        membership = quote(ContradictionClaim._meta.db_table)
        contradiction = quote(Contradiction._meta.db_table)
        sql = (
            f"SELECT api_m.contradiction_id FROM {membership} api_m "
            f"INNER JOIN {contradiction} api_c ON api_c.id = api_m.contradiction_id "
            f"WHERE api_m.claim_id = {claim_id} AND api_c.status = %s "
            f"AND api_c.withdrawn_at IS NULL ORDER BY api_m.contradiction_id"
        )
        return sql, [*params, ContradictionStatus.OPEN.value]

    def as_sql(self, compiler, connection, **extra):
        sql, params = self._inner(compiler, connection)
        return f"(SELECT json_group_array(contradiction_id) FROM ({sql}))", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self._inner(compiler, connection)
        return f"ARRAY({sql})", params


def claim_list():
    """Claims with subject, attribute, source, publisher and entity value joined and the ids
    of their open contradictions: one query per page."""
    return (
        Claim.objects.select_related("subject", "attribute", "source__publisher", "entity_value")
        .defer(*DEFERRED_COLUMNS)
        .annotate(open_contradiction_ids=OpenContradictionIds())
    )


def claims_held_on(start, end) -> Q:
    """Claims whose value held at some day of [start, end] by valid time (SPEC section 3).

    For a time-varying attribute, a claim holds over its valid period, else over the period
    of its claimed_on date, else always. For the others the value is timeless: a claim holds
    over its valid period when it states one, else always.
    """

    def overlaps(start_column: str, end_column: str) -> Q:
        return (Q(**{f"{start_column}__isnull": True}) | Q(**{f"{start_column}__lte": end})) & (
            Q(**{f"{end_column}__isnull": True}) | Q(**{f"{end_column}__gte": start})
        )

    time_varying = Q(attribute__time_varying=True) & (
        Q(period_known=False) | overlaps("period_start", "period_end")
    )
    timeless = Q(attribute__time_varying=False) & overlaps("valid_start", "valid_end")
    return time_varying | timeless


def in_open_contradiction() -> Exists:
    """Whether a claim stands in an open, current contradiction (for filters)."""
    return Exists(
        ContradictionClaim.objects.filter(
            claim_id=OuterRef("pk"),
            contradiction__status=ContradictionStatus.OPEN,
            contradiction__withdrawn_at__isnull=True,
        )
    )


def claim_conflicts(claim: Claim):
    """The claims that conflict with `claim` by SPEC section 3, as one query on the normalised
    interval and period columns (the same rules as claims.conflicts.conflict)."""
    rules = conflicts.Rules.of(claim.attribute)
    others = Claim.objects.filter(
        subject_id=claim.subject_id, attribute_id=claim.attribute_id
    ).exclude(pk=claim.pk)
    if not rules.checked:
        return others.none()
    kind = rules.value_type
    if kind in NUMERIC_TYPES:
        disjoint = Q(high__lt=claim.low)  # a NULL high is +infinity: never below
        if claim.high is not None:
            disjoint |= Q(low__gt=claim.high)
        others = others.filter(disjoint, currency=claim.currency, unit=claim.unit)
    elif kind == ValueType.DATE:
        others = others.filter(Q(date_high__lt=claim.date_low) | Q(date_low__gt=claim.date_high))
    elif kind == ValueType.ENTITY:
        others = others.exclude(entity_value_id=claim.entity_value_id)
    elif kind == ValueType.BOOLEAN:
        others = others.exclude(boolean_value=claim.boolean_value)
    else:
        others = others.exclude(text_value=claim.text_value)
    if rules.time_varying and claim.period_known:
        # Apart in time only when the other's known period ends before or starts after.
        if claim.period_start is not None:
            others = others.exclude(period_known=True, period_end__lt=claim.period_start)
        if claim.period_end is not None:
            others = others.exclude(period_known=True, period_start__gt=claim.period_end)
    return others


def claims_of_subject(entity):
    """The claims about an entity, in id order (a form's choices): one query when read."""
    return Claim.objects.filter(subject=entity).order_by("id")


def claim_for_update(pk: int) -> Claim:
    """One claim with its attribute and source, locked for the rest of the transaction."""
    return (
        Claim.objects.select_related("attribute", "source")
        .select_for_update(of=("self",))
        .get(pk=pk)
    )


def claims_for_inline(claims):
    """Claims as their source's page lists them: subject, attribute and entity value joined."""
    return claims.select_related("subject", "attribute", "entity_value")


def claims_of_source(source):
    """A source's claims with subject, attribute and entity value joined, in text order, each
    with `open_contradictions` (the ids, as claim_list gives them): one query."""
    return list(
        Claim.objects.filter(source=source)
        .select_related("subject", "attribute", "entity_value")
        .annotate(open_contradictions=OpenContradictionIds())
        .order_by("quote_start", "id")
    )


def entities_with_claim_totals(query: str = ""):
    """Entities not merged away, by name, each with `claim_total`; with a query, only those whose
    name or an alias contains it (case-insensitively). One query, whose cost follows the rows
    read, not the table: aliases are matched in an EXISTS subquery (an entity with two matching
    aliases is one row) and each row's claims are counted on the subject index."""
    entities = Entity.objects.filter(merged_into__isnull=True)
    if query:
        alias_matches = EntityAlias.objects.filter(entity=OuterRef("pk"), name__icontains=query)
        entities = entities.filter(Q(name__icontains=query) | Exists(alias_matches))
    return entities.annotate(claim_total=related_count(Entity, "claims")).order_by("name", "id")


def claim_for_page():
    """Claims with subject, attribute, source, publisher, entity value and author joined: one
    query."""
    return Claim.objects.select_related(
        "subject", "attribute", "source__publisher", "entity_value", "created_by"
    )
