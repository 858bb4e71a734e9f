"""Reads of sources and publishers, for the pages, the admin and the API."""

from __future__ import annotations

from django.db.models import Count

from sources.models import Publisher, Source


def source_list():
    """Sources with their publisher joined: one query per page."""
    return Source.objects.select_related("publisher")


def source_for_page():
    """Sources with the publisher and the source they derive from joined: one query."""
    return Source.objects.select_related("publisher", "derived_from")


def sources_with_claim_totals(sources=None):
    """Sources (by default all) with the publisher joined and `claim_total`: one query."""
    sources = Source.objects.all() if sources is None else sources
    return sources.select_related("publisher").annotate(claim_total=Count("claims"))


def publishers_with_source_totals(publishers=None):
    """Publishers (by default all) with `source_total`: one query."""
    publishers = Publisher.objects.all() if publishers is None else publishers
    return publishers.annotate(source_total=Count("sources"))
