"""Reads of sources as claims see them: each with the number of claims it makes."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from claims.models import Claim


def claim_total():
    """A source's claim count, as an annotation: a subquery on the claim-source index for
    each row read, so a page of sources costs its own claims, never the whole table's."""
    return Coalesce(
        Subquery(
            Claim.objects.filter(source_id=OuterRef("pk"))
            .order_by()
            .values("source_id")
            .annotate(total=Count("id"))
            .values("total")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def with_claim_totals(sources):
    """`sources` (a queryset) each with `claim_total`: still one query."""
    return sources.annotate(claim_total=claim_total())
