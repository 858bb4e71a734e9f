"""What the knowledge base holds, counted: the home page's four numbers."""

from __future__ import annotations

from dataclasses import dataclass

from claims.models import Claim
from claims.selectors.contradictions import contradiction_queue
from kb.models import Entity
from sources.models import Source


@dataclass(frozen=True)
class Totals:
    sources: int
    entities: int
    claims: int
    open_contradictions: int


def knowledge_base_totals() -> Totals:
    """Sources, entities (not merged away), claims and open contradictions: four COUNT
    queries, each answered from an index or the table's own count."""
    return Totals(
        sources=Source.objects.count(),
        entities=Entity.objects.filter(merged_into__isnull=True).count(),
        claims=Claim.objects.count(),
        open_contradictions=contradiction_queue().count(),
    )
