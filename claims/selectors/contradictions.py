"""Reads of contradictions: the editors' queue, the API's list, a contradiction's history and
decisions, its positions side by side with their claims and their independent corroboration,
and every contradiction a claim stands in."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import NamedTuple

from django.db import models, router
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from claims.corroboration import Corroboration
from claims.display import value_display
from claims.models import (
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    last_activity,
)
from claims.selectors.claims import DEFERRED_COLUMNS, OpenContradictionIds, json_rows_sql
from claims.selectors.corroboration import SameValueSources, attach_corroboration
from kb.api.compiled import instance_by_id, instances, rows_by_ids, value_marker
from kb.memo import counted, version_from, version_of, version_sql
from kb.models import Entity
from kb.paging import Part
from kb.selectors import related_count
from sources.models import Source

# A position's claims in value order (SPEC section 3), the claim id breaking ties.
_POSITION_ORDER = ("position", "claim__low", "claim__date_low", "claim__id")


@dataclass
class Position:
    index: int
    display: str
    claims: list
    # The independent sources behind its claims (claims/corroboration.py).
    corroboration: Corroboration | None = None


@dataclass(frozen=True)
class Decision:
    """An editor's decision on a contradiction, as its history keeps it."""

    decided_at: datetime.datetime
    by: str | None  # the editor's username
    status: str
    outcome: str
    note: str


def contradiction_queue():
    """Open contradictions still detected, newest first, with subject and attribute joined."""
    return (
        Contradiction.objects.filter(status=ContradictionStatus.OPEN, withdrawn_at__isnull=True)
        .select_related("subject", "attribute")
        .annotate(claim_total=related_count(Contradiction, "memberships"))
        .order_by("-detected_at", "-id")
    )


def contradiction_for_page():
    """Contradictions with subject, attribute and the editors who flagged or resolved them
    joined: one query."""
    return Contradiction.objects.select_related("subject", "attribute", "resolved_by", "flagged_by")


def contradiction_page(pk: int) -> Contradiction | None:
    """The contradiction of that id for its page (contradiction_for_page), or None: one query,
    compiled once per connection (kb.api.compiled.instances)."""
    return instance_by_id(
        "contradiction page", lambda: contradiction_for_page().filter(pk=value_marker()), pk
    )


def current_contradictions_of(entity_id: int) -> list[Contradiction]:
    """The contradictions on an entity's claims that are not withdrawn, whatever their status,
    by id: what its facts show beside each attribute. One query, compiled once per
    connection (kb.api.compiled.instances)."""
    return instances(
        "current contradictions of an entity",
        lambda: Contradiction.objects.filter(
            subject_id=value_marker(), withdrawn_at__isnull=True
        ).order_by("id"),
        entity_id,
    )


def contradiction_list():
    """Contradictions with subject, attribute and the people who flagged or resolved them
    joined (positions: attach_positions; decisions: attach_decisions)."""
    return Contradiction.objects.select_related("subject", "attribute", "flagged_by", "resolved_by")


# How many of a contradiction's recorded changes its page shows, the newest.
HISTORY_SHOWN = 50


def contradiction_history(contradiction: Contradiction) -> list:
    """The last HISTORY_SHOWN recorded changes of a contradiction, newest first, with who made
    them: one query, compiled once per connection (kb.api.compiled.instances; simple_history
    builds a manager at each `Contradiction.history`, and Django compiles the query afresh:
    a sixth of the side-by-side page)."""
    return instances(
        "contradiction history",
        lambda: (
            Contradiction.history.filter(id=value_marker())
            .select_related("history_user")
            .order_by("-history_date", "-pk")[:HISTORY_SHOWN]
        ),
        contradiction.pk,
    )


def contradiction_positions(contradiction: Contradiction) -> list[Position]:
    """The positions of a contradiction, each with its claims ordered by value, claims with
    their source, publisher, subject, entity value and author loaded, and its independent
    corroboration: one query, and one more when a source of theirs derives from another.

    The claims' subject and attribute are the contradiction's (a contradiction is of one
    subject and attribute) and are taken from it rather than joined again: PostgreSQL took
    longer to plan a join of eight tables (2.8 ms) than to run it."""
    memberships = instances(
        "contradiction positions",
        lambda: (
            ContradictionClaim.objects.filter(contradiction_id=value_marker())
            .select_related("claim__source__publisher", "claim__entity_value", "claim__created_by")
            .order_by(*_POSITION_ORDER)
        ),
        contradiction.pk,
    )
    for membership in memberships:
        ContradictionClaim.contradiction.field.set_cached_value(membership, contradiction)
        claim = membership.claim
        # Should a claim name another (never, as things are written), it reads its own.
        if claim.subject_id == contradiction.subject_id:
            Claim.subject.field.set_cached_value(claim, contradiction.subject)
        if claim.attribute_id == contradiction.attribute_id:
            Claim.attribute.field.set_cached_value(claim, contradiction.attribute)
    positions = _positions(memberships).get(contradiction.pk, [])
    attach_corroboration(positions=positions)
    return positions


def attach_positions(contradictions) -> None:
    """Set `api_positions` on each contradiction: its positions in order, each with its
    display, its corroboration and its claims (as the claims API gives them: claim_list's
    fields, with_memberships' and attach_corroboration's), ordered by value. Two queries (the
    claims' corroboration read with them), three when a source derives from one not read."""
    by_id = {contradiction.pk: contradiction for contradiction in contradictions}
    if not by_id:
        return
    memberships = list(
        ContradictionClaim.objects.filter(contradiction_id__in=list(by_id))
        .select_related(
            "claim__subject", "claim__attribute", "claim__source__publisher", "claim__entity_value"
        )
        .defer(*(f"claim__{name}" for name in DEFERRED_COLUMNS))
        .annotate(
            open_contradiction_ids=OpenContradictionIds("claim_id"),
            all_contradictions=ContradictionMemberships("claim_id"),
            same_value_sources=SameValueSources("claim__"),
        )
        .order_by("contradiction_id", *_POSITION_ORDER)
    )
    for membership in memberships:
        membership.claim.open_contradiction_ids = membership.open_contradiction_ids
        membership.claim.all_contradictions = membership.all_contradictions
        membership.claim.same_value_sources = membership.same_value_sources
    positions = _positions(memberships)
    attach_corroboration(
        claims=[membership.claim for membership in memberships],
        positions=[position for found in positions.values() for position in found],
    )
    for contradiction_id, contradiction in by_id.items():
        contradiction.api_positions = positions.get(contradiction_id, [])


def attach_decisions(contradictions) -> None:
    """Set `decisions` on each contradiction: every decision recorded on it, oldest first,
    from its history rows (a decision is a row with a resolved_at no earlier row had). One
    query, none when none of them was ever decided: a decision sets resolved_at, and only a
    reopening (which sets reopened_at) clears it."""
    by_id = {contradiction.pk: contradiction for contradiction in contradictions}
    for contradiction in by_id.values():
        contradiction.decisions = []
    by_id = {
        pk: contradiction
        for pk, contradiction in by_id.items()
        if contradiction.resolved_at is not None or contradiction.reopened_at is not None
    }
    if not by_id:
        return
    columns = ("id", "resolved_at", "status", "outcome", "note", "resolved_by__username")
    rows = (
        Contradiction.history.filter(id__in=list(by_id), resolved_at__isnull=False)
        .order_by("id", "history_date", "history_id")
        .values(*columns, "history_user__username")
    )
    seen = set()
    for row in rows:
        if (row["id"], row["resolved_at"]) in seen:
            continue  # the same decision, kept through a later change (claims changed, ...)
        seen.add((row["id"], row["resolved_at"]))
        by_id[row["id"]].decisions.append(
            Decision(
                decided_at=row["resolved_at"],
                by=row["resolved_by__username"] or row["history_user__username"],
                status=row["status"],
                outcome=row["outcome"],
                note=row["note"],
            )
        )


class ClaimMembership(NamedTuple):
    """A contradiction a claim stands in, and where (ContradictionMemberships)."""

    id: int
    status: str
    outcome: str | None  # None while open
    withdrawn: bool
    position: int  # 0-based, in the order of the contradiction's positions


class _Memberships(models.JSONField):
    def from_db_value(self, value, expression, connection):
        found = super().from_db_value(value, expression, connection) or []
        return [ClaimMembership(**item) for item in found]


class ContradictionMemberships(models.Func):
    """Every contradiction a claim stands in, whatever its status, withdrawn ones too: a list
    of ClaimMembership by id. A correlated subquery on the membership index (its rows made
    into JSON by the database), so a page of claims stays one query."""

    output_field = _Memberships()

    def __init__(self, claim_id="id"):
        super().__init__(F(claim_id))

    def as_sql(self, compiler, connection, **extra):
        claim_id, params = compiler.compile(self.source_expressions[0])
        quote = connection.ops.quote_name
        tables = (
            f"{quote(ContradictionClaim._meta.db_table)} api_mm INNER JOIN "
            f"{quote(Contradiction._meta.db_table)} api_mc ON api_mc.id = api_mm.contradiction_id "
            f"WHERE api_mm.claim_id = {claim_id}"
        )
        fields = (
            "'id', api_mc.id, 'status', api_mc.status, 'outcome', NULLIF(api_mc.outcome, ''), "
            "'withdrawn', {withdrawn}, 'position', api_mm.position"
        )
        if connection.vendor == "postgresql":
            item = (
                f"json_build_object({fields.format(withdrawn='api_mc.withdrawn_at IS NOT NULL')})"
            )
        else:
            withdrawn = "json(CASE WHEN api_mc.withdrawn_at IS NULL THEN 'false' ELSE 'true' END)"
            item = f"json_object({fields.format(withdrawn=withdrawn)})"
        order = "api_mm.contradiction_id"
        return json_rows_sql(
            item=item, tables=tables, order=order, vendor=connection.vendor
        ), params


def with_memberships(claims):
    """Claims (a queryset) with `all_contradictions` (ContradictionMemberships), as the claims
    API shows them; the same query."""
    return claims.annotate(all_contradictions=ContradictionMemberships())


def _positions(memberships) -> dict[int, list[Position]]:
    """{contradiction id: its positions in order}, from memberships in position order; a
    position's display is its first claim's value."""
    found: dict[int, list[Position]] = {}
    for membership in memberships:
        claim = membership.claim
        positions = found.setdefault(membership.contradiction_id, [])
        if not positions or positions[-1].index != membership.position:
            positions.append(
                Position(index=membership.position, display=value_display(claim), claims=[])
            )
        positions[-1].claims.append(claim)
    return found


# The editors' queue by status, and a claim's contradictions.

# The queue's status filter: each choice and the condition it stands for. A withdrawn
# contradiction keeps the status it had, so the other choices leave it out.
QUEUE_STATUSES = {
    "open": Q(status=ContradictionStatus.OPEN, withdrawn_at__isnull=True),
    "resolved": Q(status=ContradictionStatus.RESOLVED, withdrawn_at__isnull=True),
    "dismissed": Q(status=ContradictionStatus.DISMISSED, withdrawn_at__isnull=True),
    "withdrawn": Q(withdrawn_at__isnull=False),
    "all": Q(),
}


# What the queue's page reads: the contradictions, their subjects' kinds, their claims'
# sources' kinds (its filters and counts), the attributes (its select).
_QUEUE_READ = (Contradiction, Entity, Claim, Source, Attribute)


def queue_version(rows: list[dict]) -> str:
    """The version of the data the queue's page reads, for its counts and its attribute select
    alike: the one its `rows` (queue_rows_of's) were read with, in their statement; one query
    (kb.memo.version_of) for a page without rows."""
    if rows:
        return version_from(rows[0]["data_version"])
    return version_of(_QUEUE_READ)


def contradictions_for_queue():
    """Every contradiction, current or withdrawn, for the queue's filters and status counts
    (QUEUE_STATUSES); contradictions_by_activity then orders a filtered set."""
    return Contradiction.objects.all()


# What a queue row shows (claims.display.queue_rows adds its labels and times).
QUEUE_ROW_FIELDS = (
    "id", "origin", "status", "outcome", "note", "flag_note", "reopen_reason",
    "withdrawn_reason", "detected_at", "resolved_at", "reopened_at", "withdrawn_at",
    "subject_name", "subject_kind", "attribute_label", "flagged_by_name", "claim_total",
    "last_activity",
)  # fmt: skip


def contradictions_by_activity(contradictions):
    """`contradictions` as the queue's rows, latest activity first, so that a reopened
    contradiction comes before those detected since: values() dicts of QUEUE_ROW_FIELDS, with
    the names of their subject, attribute and who flagged them joined, `claim_total` (a
    subquery on the membership index for each row read) and `last_activity`. One query a
    page, no model instance per row."""
    return (
        contradictions.annotate(
            claim_total=related_count(Contradiction, "memberships"),
            last_activity=last_activity(),
            subject_name=F("subject__name"),
            subject_kind=F("subject__kind"),
            attribute_label=F("attribute__label"),
            flagged_by_name=F("flagged_by__username"),
        )
        .values(*QUEUE_ROW_FIELDS)
        .order_by("-last_activity", "-id")
    )


def queue_keys(contradictions):
    """`contradictions` with their `last_activity`, for keyset_page to order and bound: the
    page's rows are then read by id (queue_rows_of)."""
    return contradictions.annotate(last_activity=last_activity())


def queue_rows_of(
    part: Part, size: int, *, from_start: bool = False, chosen: Hashable | None = None
) -> list[dict]:
    """The first `size` of `part` (a kb.paging.Part of queue_keys(), filtered and ordered by
    keyset_page) as the queue's rows (contradictions_by_activity's, each with the
    `data_version` they were read with: queue_version), in the part's order: one query, its
    ids' small query spliced into the rows' query, compiled once per connection and order
    (kb.api.compiled.rows_by_ids; Django compiled the rows' joins, count and annotations
    afresh at each request). The queue's first page (`from_start`), which editors open again
    and again under the same filters, is one statement for each choice of them, `chosen`
    (queue_rows_reader), written once per connection, and the part's queryset is not even
    built again; unless the filters hold a time that moves with the clock (an age), which no
    two requests share (`chosen` None)."""
    return rows_by_ids(
        ("queue rows", part.order),
        lambda: (
            contradictions_by_activity(Contradiction.objects.all())
            # The data's version, read with the rows (queue_version): a subquery, which
            # PostgreSQL runs once for them all, not once a row.
            .annotate(data_version=RawSQL(f"SELECT {version_sql(_QUEUE_READ)}", ()))
            .order_by(*part.order)
        ),
        lambda: part.queryset.values("pk")[:size],
        recurring=from_start and chosen is not None,
        ids_key=(chosen, size),
        using=router.db_for_read(Contradiction),
    )


def queue_rows_reader(choice):
    """queue_rows_of for the queue's filters as chosen (keyset_page's `read`; `choice`, a
    claims.filters.QueueChoice): the status and the others as the queue's counts are kept
    under them, which name the rows exactly; none when an age is chosen (`moving`)."""
    if choice.moving:
        return queue_rows_of
    return functools.partial(queue_rows_of, chosen=(choice.status, choice.filters))


def queue_filters_chosen(filterset) -> str:
    """The filters a queue's counts depend on, as the text counts are kept under: every valid
    filter but the status (an invalid one filters nothing, so it changes nothing), and the hour
    when an age is chosen (the ages slide with the clock)."""
    filterset.is_valid()
    cleaned = getattr(filterset.form, "cleaned_data", {})
    chosen = {
        name: getattr(value, "pk", value)
        for name, value in sorted(cleaned.items())
        if name != "status" and value not in (None, "")
    }
    if "age" in chosen:
        chosen["hour"] = timezone.now().strftime("%Y-%m-%dT%H")
    return repr(sorted(chosen.items()))


def contradiction_status_totals(
    contradictions: Callable[[], QuerySet], *, filters: str, version: str | None = None
) -> dict[str, int]:
    """{status choice: how many of `contradictions()`} for every QUEUE_STATUSES choice,
    counted once after each write for each choice of the other `filters` (kb.memo): one query
    (none given the `version`, queue_version()) and a cache read a view, one counting query
    after a write, the only time `contradictions()` is built."""

    def count():
        counts = {name: Count("id", filter=condition) for name, condition in QUEUE_STATUSES.items()}
        return contradictions().order_by().aggregate(**counts)

    return counted("queue status totals", _QUEUE_READ, count, vary=filters, version=version)


def claim_contradictions(claim):
    """Every contradiction a claim stands in, whatever its status (withdrawn ones too), with
    subject and attribute joined, `claim_position` (the claim's position, 0-based) and
    `claim_total`, newest first: one query."""
    of_claim = ContradictionClaim.objects.filter(claim=claim)
    return (
        Contradiction.objects.filter(pk__in=of_claim.values("contradiction_id"))
        .select_related("subject", "attribute")
        .annotate(
            claim_position=Subquery(
                of_claim.filter(contradiction=OuterRef("pk")).values("position")[:1]
            ),
            claim_total=related_count(Contradiction, "memberships"),
        )
        .order_by("-detected_at", "-id")
    )
