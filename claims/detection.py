"""Contradiction detection: brings the contradictions of subject/attribute groups in line with
their claims, incrementally on every write and from scratch in the full recheck."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from claims import conflicts
from claims.copying import copy_applies, overlapping, rows_create, update_with_history
from claims.display import claim_value_display
from claims.models import (
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    Rank,
)
from claims.selectors import claim_conflicts

# Groups handled per round trip: a few queries serve this many subject/attribute pairs.
CHUNK = 500
# From this many new contradictions in a round trip, they are written with COPY (PostgreSQL).
COPY_FROM = 100

WITHDRAWN_NO_CONFLICT = "Its claims no longer conflict (a claim was edited or deleted)."
WITHDRAWN_BECAUSE = "Its claims no longer conflict: {cause}."
WITHDRAWN_MERGED = "Merged into contradiction #{id}: a claim now connects them."
WITHDRAWN_TOO_FEW = "Fewer than two of its claims remain on this subject and attribute."
REOPENED = (
    'Reopened: claim "{key}" ({value}, from "{source}") conflicts with the preferred '
    "position ({preferred})."
)

Group = tuple[int, int]  # (subject id, attribute id)

FACT_FIELDS = (
    "id", "key", "subject_id", "attribute_id", "low", "high", "currency", "unit", "date_low",
    "date_high", "entity_value_id", "boolean_value", "text_value", "period_known",
    "period_start", "period_end", "rank",
)  # fmt: skip


# What detection changes on an existing contradiction.
UPDATED_FIELDS = [
    "status", "outcome", "note", "resolved_at", "resolved_by", "reopened_at", "reopen_reason",
    "withdrawn_at", "withdrawn_reason", "version",
]  # fmt: skip


@dataclass
class RecheckReport:
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    reopened: int = 0
    groups: int = 0


@dataclass
class _Changes:
    # New contradictions as column values (a model instance only where bulk_create needs one),
    # each with its (claim id, position) pairs.
    create: list[tuple[dict, list[tuple[int, int]]]] = field(default_factory=list)
    update: dict[int, Contradiction] = field(default_factory=dict)
    memberships: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    # Why claims may stop conflicting in this recheck, for a withdrawn contradiction's record.
    cause: str = ""


def facts_of(row: dict) -> conflicts.Facts:
    """The facts the rules read, from a row of FACT_FIELDS."""
    return conflicts.Facts(
        id=row["id"],
        low=row["low"],
        high=row["high"],
        currency=row["currency"],
        unit=row["unit"],
        date_low=row["date_low"],
        date_high=row["date_high"],
        entity_id=row["entity_value_id"],
        boolean=row["boolean_value"],
        text=row["text_value"],
        period=(row["period_start"], row["period_end"]) if row["period_known"] else None,
    )


def groups_recheck(
    *,
    groups: Iterable[Group],
    changed: set[int] = frozenset(),
    user=None,
    progress=None,
    cause: str = "",
) -> RecheckReport:
    """Rebuild the contradictions of the given (subject id, attribute id) groups.

    Each connected component of conflicting claims becomes one automatic contradiction,
    matched to the existing one it overlaps most, so decisions stay attached; contradictions
    whose claims no longer conflict are withdrawn, not deleted. A resolved contradiction that
    a `changed` claim now contradicts (against its preferred position) is reopened. Hand flags
    keep their claims. `cause` says why claims may stop conflicting ("the attribute's tolerance
    changed"), recorded on what is withdrawn; by default a claim was edited or deleted. Cost:
    a few queries per CHUNK groups, proportional to their claims.
    """
    groups = sorted({g for g in groups if None not in g})
    report = RecheckReport(groups=len(groups))
    attribute_ids = {attribute for _, attribute in groups}
    rules = {a.pk: conflicts.Rules.of(a) for a in Attribute.objects.filter(pk__in=attribute_ids)}
    if progress is not None:
        progress.start(len(groups), "rechecking")
    chunks = [groups[start : start + CHUNK] for start in range(0, len(groups), CHUNK)]
    if overlapping():
        # The import's one transaction, its COPYs sent from a second thread: each chunk's rows
        # are read before the chunk before is written, so that the server writes that one
        # while this thread reconciles the next (the chunks' groups are disjoint: no chunk
        # reads what another writes).
        read = _chunk_read(chunks[0]) if chunks else None
        for index, chunk in enumerate(chunks):
            changes = _chunk_reconcile(chunk, read, rules, changed, report, cause)
            if index + 1 < len(chunks):
                read = _chunk_read(chunks[index + 1])
            _apply(changes, report, user)
            if progress is not None:
                progress.advance(len(chunk))
    else:
        for chunk in chunks:
            with transaction.atomic():
                changes = _chunk_reconcile(chunk, _chunk_read(chunk), rules, changed, report, cause)
                _apply(changes, report, user)
            if progress is not None:
                progress.advance(len(chunk))
    if progress is not None:
        progress.close()
    return report


def all_groups() -> set[Group]:
    """Every subject/attribute group that has claims or contradictions."""
    with_claims = Claim.objects.values_list("subject_id", "attribute_id").distinct()
    with_contradictions = Contradiction.objects.values_list("subject_id", "attribute_id")
    return set(with_claims) | set(with_contradictions.distinct())


def recheck_all(*, progress=None) -> RecheckReport:
    """The full recheck: every group rebuilt from its claims, as incremental detection would."""
    return groups_recheck(groups=all_groups(), progress=progress)


@dataclass
class _ChunkRead:
    """What a chunk of groups holds: its claims' FACT_FIELDS rows and its contradictions
    (with their members), by group."""

    claims: dict[Group, list[dict]]
    contradictions: dict[Group, list[Contradiction]]


def _chunk_read(chunk: list[Group]) -> _ChunkRead:
    wanted = set(chunk)
    subjects = {s for s, _ in chunk}
    attributes = {a for _, a in chunk}
    claims_by_group: dict[Group, list[dict]] = defaultdict(list)
    rows = Claim.objects.filter(subject_id__in=subjects, attribute_id__in=attributes)
    for row in rows.values(*FACT_FIELDS).order_by("id"):
        group = (row["subject_id"], row["attribute_id"])
        if group in wanted:
            claims_by_group[group].append(row)
    contradictions_by_group: dict[Group, list[Contradiction]] = defaultdict(list)
    existing = Contradiction.objects.filter(subject_id__in=subjects, attribute_id__in=attributes)
    by_id = {}
    for contradiction in existing.order_by("id"):
        group = (contradiction.subject_id, contradiction.attribute_id)
        if group in wanted:
            contradiction.members = {}
            contradictions_by_group[group].append(contradiction)
            by_id[contradiction.pk] = contradiction
    if by_id:
        memberships = ContradictionClaim.objects.filter(contradiction_id__in=list(by_id))
        for contradiction_id, claim_id, position in memberships.values_list(
            "contradiction_id", "claim_id", "position"
        ):
            by_id[contradiction_id].members[claim_id] = position
    return _ChunkRead(claims_by_group, contradictions_by_group)


def _chunk_reconcile(
    chunk: list[Group],
    read: _ChunkRead,
    rules,
    changed: set[int],
    report: RecheckReport,
    cause: str = "",
) -> _Changes:
    changes = _Changes(cause=cause)
    now = timezone.now()
    for group in chunk:
        _reconcile(
            read.claims.get(group, []),
            rules.get(group[1]),
            read.contradictions.get(group, []),
            changed,
            changes,
            now,
            report,
        )
    return changes


def _reconcile(rows, rule, existing, changed, changes: _Changes, now, report) -> None:
    facts = {row["id"]: facts_of(row) for row in rows}
    rows_by_id = {row["id"]: row for row in rows}
    components = conflicts.components(list(facts.values()), rule) if rule else []
    automatic = [c for c in existing if c.origin == Contradiction.Origin.AUTOMATIC]
    taken: dict[int, set[int]] = {}  # contradiction id: the claim ids it now holds

    for component in components:
        ids = {f.id for f in component}
        candidates = [c for c in automatic if c.pk not in taken and ids & set(c.members)]
        members = [
            (claim.id, index)
            for index, position in enumerate(conflicts.positions(component, rule))
            for claim in position
        ]
        if not candidates:
            changes.create.append(
                (
                    {
                        "subject_id": rows[0]["subject_id"],
                        "attribute_id": rows[0]["attribute_id"],
                        "origin": Contradiction.Origin.AUTOMATIC,
                        "detected_at": now,
                    },
                    members,
                )
            )
            continue
        best = max(
            candidates,
            key=lambda c: (c.withdrawn_at is None, len(ids & set(c.members)), -c.pk),
        )
        taken[best.pk] = ids
        reasons = []
        if best.withdrawn_at is not None:
            best.withdrawn_at, best.withdrawn_reason = None, ""
            reasons.append("detected again")
        if dict(members) != best.members:
            changes.memberships[best.pk] = members
            reasons.append("claims changed")
        if best.status == ContradictionStatus.RESOLVED:
            reason = _reopen_reason(component, rows_by_id, changed)
            if reason:
                best.status, best.outcome, best.note = ContradictionStatus.OPEN, "", ""
                best.resolved_at = best.resolved_by = None
                best.reopened_at, best.reopen_reason = now, reason
                best.version += 1
                report.reopened += 1
                reasons.append("reopened")
        if reasons:
            if "reopened" not in reasons:
                best.version += 1  # a decision made on the old positions is stale
            changes.update[best.pk] = best
            changes.reasons[best.pk] = ", ".join(reasons)

    for contradiction in automatic:
        if contradiction.pk in taken or contradiction.withdrawn_at is not None:
            continue
        merged_into = [pk for pk, ids in taken.items() if ids & set(contradiction.members)]
        contradiction.withdrawn_at = now
        contradiction.version += 1
        contradiction.withdrawn_reason = (
            WITHDRAWN_MERGED.format(id=merged_into[0])
            if merged_into
            else WITHDRAWN_BECAUSE.format(cause=changes.cause)
            if changes.cause
            else WITHDRAWN_NO_CONFLICT
        )
        changes.update[contradiction.pk] = contradiction
        changes.reasons[contradiction.pk] = "withdrawn"
        report.withdrawn += 1

    for contradiction in existing:
        if contradiction.origin == Contradiction.Origin.MANUAL:
            _reconcile_flag(contradiction, facts, rule, changes, now, report)


def _reconcile_flag(contradiction, facts, rule, changes: _Changes, now, report) -> None:
    """A hand flag keeps the claims the analyst chose that are still on its subject/attribute."""
    kept = [facts[claim_id] for claim_id in contradiction.members if claim_id in facts]
    if len(kept) < 2:
        if contradiction.withdrawn_at is None:
            contradiction.withdrawn_at, contradiction.withdrawn_reason = now, WITHDRAWN_TOO_FEW
            contradiction.version += 1
            changes.update[contradiction.pk] = contradiction
            changes.reasons[contradiction.pk] = "withdrawn"
            report.withdrawn += 1
        return
    members = flag_positions(kept)
    if dict(members) != contradiction.members:
        changes.memberships[contradiction.pk] = members
        contradiction.version += 1
        changes.update[contradiction.pk] = contradiction
        changes.reasons[contradiction.pk] = "claims changed"


def flag_positions(facts: list[conflicts.Facts]) -> list[tuple[int, int]]:
    """Positions of hand-flagged claims: claims with the same value stand together."""
    by_value: dict[tuple, list[int]] = {}
    for fact in sorted(facts, key=conflicts.value_order):
        by_value.setdefault(conflicts.value_order(fact)[:-1], []).append(fact.id)
    return [(claim_id, index) for index, ids in enumerate(by_value.values()) for claim_id in ids]


def _reopen_reason(component, rows_by_id, changed) -> str:
    """Why a changed claim reopens a resolved contradiction, or "" when it does not: a query
    for its conflicts among the component's preferred claims."""
    ids = [f.id for f in component]
    if not any(rows_by_id[i]["rank"] == Rank.PREFERRED for i in ids):
        return ""
    for claim in Claim.objects.filter(pk__in=[i for i in ids if i in changed]).order_by("id"):
        preferred = claim_conflicts(claim).filter(pk__in=ids, rank=Rank.PREFERRED).first()
        if preferred is not None:
            claim = Claim.objects.select_related("source").get(pk=claim.pk)
            return REOPENED.format(
                key=claim.key,
                value=claim_value_display(claim),
                source=claim.source.title,
                preferred=claim_value_display(preferred),
            )
    return ""


def _create_copied(changes: _Changes, report: RecheckReport, user) -> None:
    """changes.create written with COPY (claims.copying), recorded in the history as
    bulk_create_with_history records it: for the many contradictions of an import."""
    now = timezone.now()
    ids = rows_create(
        Contradiction, [c for c, _ in changes.create], now=now, history=(user, "detected")
    )
    rows_create(
        ContradictionClaim,
        (
            {"contradiction_id": pk, "claim_id": claim_id, "position": position}
            for pk, (_, members) in zip(ids, changes.create, strict=True)
            for claim_id, position in members
        ),
        now=now,
    )
    report.created += len(ids)


def _apply(changes: _Changes, report: RecheckReport, user) -> None:
    if len(changes.create) >= COPY_FROM and copy_applies():
        _create_copied(changes, report, user)
    elif changes.create:
        created = bulk_create_with_history(
            [Contradiction(**c) for c, _ in changes.create],
            Contradiction,
            default_user=user,
            default_change_reason="detected",
        )
        new_members = [
            ContradictionClaim(contradiction=contradiction, claim_id=claim_id, position=position)
            for contradiction, (_, members) in zip(created, changes.create, strict=True)
            for claim_id, position in members
        ]
        ContradictionClaim.objects.bulk_create(new_members, batch_size=2000)
        report.created += len(created)
    if changes.memberships:
        ContradictionClaim.objects.filter(contradiction_id__in=list(changes.memberships)).delete()
        ContradictionClaim.objects.bulk_create(
            [
                ContradictionClaim(contradiction_id=cid, claim_id=claim_id, position=position)
                for cid, members in changes.memberships.items()
                for claim_id, position in members
            ],
            batch_size=2000,
        )
    if changes.update:
        by_reason: dict[str, list[Contradiction]] = defaultdict(list)
        for pk, contradiction in changes.update.items():
            by_reason[changes.reasons[pk]].append(contradiction)
        for reason, contradictions in by_reason.items():
            update_with_history(
                Contradiction, contradictions, UPDATED_FIELDS, user=user, reason=reason
            )
        report.updated += len(changes.update)
