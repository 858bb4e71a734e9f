"""What the knowledge base holds, counted: the home page's four numbers."""

from __future__ import annotations

from dataclasses import dataclass

from claims.models import Claim, Contradiction
from claims.selectors.contradictions import QUEUE_STATUSES
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
    the queue shows them): four plain COUNT queries, no join or grouping."""
    return Totals(
        sources=Source.objects.count(),
        entities=Entity.objects.filter(merged_into__isnull=True).count(),
        claims=Claim.objects.count(),
        open_contradictions=Contradiction.objects.filter(QUEUE_STATUSES["open"]).count(),
    )
