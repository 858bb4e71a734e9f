"""Reads of sources as claims see them: each with the number of claims it makes."""

from __future__ import annotations

from kb.selectors import related_count
from sources.models import Source


def claim_total():
    """A source's claim count, as an annotation: a subquery on the claim-source index for
    each row read, so a page of sources costs its own claims, never the whole table's."""
    return related_count(Source, "claims")


def with_claim_totals(sources):
    """`sources` (a queryset) each with `claim_total`: still one query."""
    return sources.annotate(claim_total=claim_total())
