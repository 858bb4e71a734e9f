"""The export built from column values and written by orjson gives byte for byte what the
exporter built from model instances and written by json.dumps gave (kept here as the
reference), on the demo and on a synthetic bundle with every kind of value, on whichever
database the run uses."""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from claims.bundles import bundle_export, bundle_import, bundle_parse
from claims.bundles.export import bundle_export_text
from claims.bundles.schema import FORMAT
from claims.display import claim_value, date_value
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Attribute, Claim, Contradiction
from kb.models import Entity
from sources.models import Publisher, Source

pytestmark = pytest.mark.django_db(transaction=False)


def reference_text() -> bytes:
    return (json.dumps(reference_export(), ensure_ascii=False, indent=2) + "\n").encode()


def assert_same_export():
    assert bundle_export() == reference_export()
    assert bundle_export_text() == reference_text()
    out = io.StringIO()
    call_command("export_bundle", stdout=out)
    assert out.getvalue().encode() == reference_text()


def test_demo_exports_as_before(demo_bundle):
    bundle_import(bundle=demo_bundle)
    assert_same_export()


def odd_bundle() -> dict:
    """A synthetic bundle with flags, dates of every precision, texts JSON escapes, a source
    with a text and a derivation, an entity without aliases and a tiny tolerance."""
    bundle = synthetic_bundle(claims=300, seed=7)
    bundle["attributes"].append(
        {"code": "syn_note", "label": "Note", "value_type": "text", "tolerance": 0.25}
    )
    bundle["entities"].append({"key": "syn-bare", "kind": "place", "name": "Bare"})
    bundle["sources"].append(
        {
            "key": "syn-texted",
            "title": "A source with its text",
            "kind": "news",
            "text": 'Line one\n\t"quoted" \\ back\u2028slash é 😀 Bare words.',
        }
    )
    bundle["sources"][1]["derived_from"] = bundle["sources"][0]["key"]
    for index, claim in enumerate(bundle["claims"][:40]):
        claim["valid_from"] = ("2001", "2002-03", "2003-04-05")[index % 3]
        claim["claimed_on"] = ("2011-07", None)[index % 2]
        claim["notes"] = 'tab\there \u001f and "quotes"'
        claim["rank"] = ("preferred", "deprecated", "normal")[index % 3]
    bundle["claims"].append(
        {
            "key": "syn-text-claim",
            "subject": "syn-bare",
            "attribute": "syn_note",
            "value": {"text": "ünïcode \\ text"},
            "source": "syn-texted",
            "quote": "Bare words.",
            "credibility": 2,
            "value_as_written": "as written",
        }
    )
    bundle["claims"][5]["subject"] = bundle["claims"][0]["subject"]
    bundle["flags"] = [
        {
            "key": "syn-flag",
            "claims": [bundle["claims"][5]["key"], bundle["claims"][0]["key"]],
            "note": "Flagged by hand.",
        }
    ]
    # Read back as the import command reads a file (fractions as decimals).
    return bundle_parse(json.dumps(bundle))


def test_synthetic_bundle_exports_as_before():
    bundle_import(bundle=odd_bundle())
    assert Contradiction.objects.filter(origin=Contradiction.Origin.MANUAL).exists()
    assert_same_export()


def test_a_tolerance_written_with_an_exponent_exports_as_before():
    """json writes 1e-06 where orjson writes 1e-6: such a document is written by json."""
    bundle = copy.deepcopy(odd_bundle())
    bundle["attributes"][0]["approx_tolerance"] = Decimal("0.000001")
    bundle_import(bundle=bundle)
    assert b"1e-06" in reference_text()
    assert_same_export()


def test_an_empty_knowledge_base_exports_as_before():
    assert_same_export()


# The exporter as it was, built from model instances: the reference.

CHUNK = 2000  # claims fetched per round trip


def reference_export() -> dict:
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
