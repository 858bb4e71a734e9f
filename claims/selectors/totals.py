"""What the knowledge base holds, counted: the home page's four numbers."""

from __future__ import annotations

from dataclasses import dataclass

from claims.models import Claim, Contradiction
from claims.selectors.contradictions import QUEUE_STATUSES
from kb.memo import counted
from kb.models import Entity
from sources.models import Source


@dataclass(frozen=True)
class Totals:
    sources: int
    entities: int
    claims: int
    open_contradictions: int


def knowledge_base_totals() -> Totals:
    """Sources, entities (not merged away), claims and open contradictions (current ones, as
    the queue shows them), counted once after each write (kb.memo): one query and a cache
    read a view, four plain COUNT queries after a write."""
    return counted("knowledge base totals", (Source, Entity, Claim, Contradiction), _count)


def _count() -> Totals:
    return Totals(
        sources=Source.objects.count(),
        entities=Entity.objects.filter(merged_into__isnull=True).count(),
        claims=Claim.objects.count(),
        open_contradictions=Contradiction.objects.filter(QUEUE_STATUSES["open"]).count(),
    )
