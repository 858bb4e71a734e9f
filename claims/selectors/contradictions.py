"""Reads of contradictions: the editors' queue, the API's list, a contradiction's history,
and its positions side by side with their claims."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from claims.display import value_display
from claims.models import Contradiction, ContradictionClaim, ContradictionStatus
from claims.selectors.claims import DEFERRED_COLUMNS, OpenContradictionIds

# A position's claims in value order (SPEC section 3), the claim id breaking ties.
_POSITION_ORDER = ("position", "claim__low", "claim__date_low", "claim__id")


@dataclass
class Position:
    index: int
    display: str
    claims: list


def contradiction_queue():
    """Open contradictions still detected, newest first, with subject and attribute joined."""
    return (
        Contradiction.objects.filter(status=ContradictionStatus.OPEN, withdrawn_at__isnull=True)
        .select_related("subject", "attribute")
        .annotate(claim_total=Count("memberships"))
        .order_by("-detected_at", "-id")
    )


def contradiction_for_page():
    """Contradictions with subject, attribute and the editors who flagged or resolved them
    joined: one query."""
    return Contradiction.objects.select_related("subject", "attribute", "resolved_by", "flagged_by")


def contradiction_list():
    """Contradictions with subject and attribute joined (positions: attach_positions)."""
    return Contradiction.objects.select_related("subject", "attribute")


def contradiction_history(contradiction: Contradiction):
    """The recorded changes of a contradiction, newest first, with who made them."""
    return contradiction.history.select_related("history_user").order_by("-history_date", "-pk")


def contradiction_positions(contradiction: Contradiction) -> list[Position]:
    """The positions of a contradiction, each with its claims ordered by value, claims with
    their source, publisher, subject, entity value and author loaded: one query."""
    memberships = contradiction.memberships.select_related(
        "claim__source__publisher",
        "claim__subject",
        "claim__attribute",
        "claim__entity_value",
        "claim__created_by",
    ).order_by(*_POSITION_ORDER)
    return _positions(memberships).get(contradiction.pk, [])


def attach_positions(contradictions) -> None:
    """Set `api_positions` on each contradiction: its positions in order, each with its
    display and its claims (as claim_list gives them), ordered by value. One query."""
    by_id = {contradiction.pk: contradiction for contradiction in contradictions}
    if not by_id:
        return
    memberships = list(
        ContradictionClaim.objects.filter(contradiction_id__in=list(by_id))
        .select_related(
            "claim__subject", "claim__attribute", "claim__source__publisher", "claim__entity_value"
        )
        .defer(*(f"claim__{name}" for name in DEFERRED_COLUMNS))
        .annotate(open_contradiction_ids=OpenContradictionIds("claim_id"))
        .order_by("contradiction_id", *_POSITION_ORDER)
    )
    for membership in memberships:
        membership.claim.open_contradiction_ids = membership.open_contradiction_ids
    positions = _positions(memberships)
    for contradiction_id, contradiction in by_id.items():
        contradiction.api_positions = positions.get(contradiction_id, [])


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
