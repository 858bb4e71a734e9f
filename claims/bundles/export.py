"""Export: the whole knowledge base as one kb-bundle/1 document, which imports back the same."""

from __future__ import annotations

from decimal import Decimal

from claims.bundles.schema import FORMAT
from claims.display import claim_value, date_value
from claims.models import Attribute, Claim, Contradiction
from kb.models import Entity
from sources.models import Publisher, Source

CHUNK = 2000  # claims fetched per round trip


def bundle_export() -> dict:
    """The whole knowledge base as a kb-bundle/1 document, every section ordered by key
    (publishers by name). A source carries its own reliability grade, null when it inherits
    its publisher's default, which the publishers section carries."""
    publishers = [
        {
            "name": p.name,
            "url": p.url or None,
            "default_reliability": p.default_reliability or None,
            "notes": p.notes,
        }
        for p in Publisher.objects.order_by("name")
    ]
    sources = [
        _source_out(s)
        for s in Source.objects.select_related("publisher", "derived_from").order_by("key")
    ]
    entities = [
        {
            "key": e.key,
            "kind": e.kind,
            "name": e.name,
            "aliases": [a.name for a in sorted(e.aliases.all(), key=lambda a: a.pk)],
            "description": e.description,
            "country": e.country or None,
            "wikidata": e.wikidata or None,
        }
        for e in Entity.objects.prefetch_related("aliases").order_by("key")
    ]
    attributes = [
        {
            "code": a.code,
            "label": a.label,
            "value_type": a.value_type,
            "single_valued": a.single_valued,
            "time_varying": a.time_varying,
            "tolerance": _number(a.tolerance),
            "approx_tolerance": _number(a.approx_tolerance),
            "unit": a.unit or None,
            "choices": a.choices,
            "description": a.description,
        }
        for a in Attribute.objects.order_by("code")
    ]
    claims = Claim.objects.select_related(
        "subject", "attribute", "source", "entity_value"
    ).order_by("key")
    flags = (
        Contradiction.objects.filter(origin=Contradiction.Origin.MANUAL, withdrawn_at__isnull=True)
        .prefetch_related("memberships__claim")
        .order_by("key")
    )
    return {
        "format": FORMAT,
        "publishers": publishers,
        "sources": sources,
        "entities": entities,
        "attributes": attributes,
        "claims": [_claim_out(c) for c in claims.iterator(chunk_size=CHUNK)],
        "flags": [
            {
                "key": flag.key,
                "claims": sorted(m.claim.key for m in flag.memberships.all()),
                "note": flag.flag_note,
            }
            for flag in flags
        ],
    }


def _source_out(source: Source) -> dict:
    published = date_value(source.published_on, source.published_on_precision)
    return {
        "key": source.key,
        "title": source.title,
        "url": source.url or None,
        "publisher": source.publisher.name if source.publisher else None,
        "author": source.author or None,
        "published_on": published.iso() if published else None,
        "kind": source.kind,
        # The source's own grade: an empty one inherits its publisher's default, and must
        # still inherit it after export and import (not the grade in force, source.grade).
        "reliability": source.reliability or None,
        "language": source.language,
        "text": source.text or None,
        "notes": source.notes,
        "derived_from": source.derived_from.key if source.derived_from else None,
    }


def _claim_out(claim: Claim) -> dict:
    value = claim_value(claim)
    if isinstance(value, Entity):
        value_out = {"entity": value.key}
    elif isinstance(value, bool):
        value_out = {"boolean": value}
    elif isinstance(value, str):
        value_out = {"text": value}
    else:
        value_out = value.to_dict()
    valid_from = date_value(claim.valid_from, claim.valid_from_precision)
    valid_to = date_value(claim.valid_to, claim.valid_to_precision)
    claimed_on = date_value(claim.claimed_on, claim.claimed_on_precision)
    return {
        "key": claim.key,
        "subject": claim.subject.key,
        "attribute": claim.attribute.code,
        "value": value_out,
        "value_as_written": claim.value_as_written or None,
        "valid_from": valid_from.iso() if valid_from else None,
        "valid_to": valid_to.iso() if valid_to else None,
        "claimed_on": claimed_on.iso() if claimed_on else None,
        "source": claim.source.key,
        "quote": claim.quote,
        "credibility": claim.credibility,
        "rank": claim.rank,
        "notes": claim.notes,
    }


def _number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)
