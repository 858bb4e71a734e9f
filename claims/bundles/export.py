"""Export: the whole knowledge base as one kb-bundle/1 document, which imports back the same.

Built from column values (one query per section, claims fetched CHUNK at a time), not from
model instances, and written by orjson: bundle_export_text gives the very bytes json.dumps
gave with indent=2, in a fraction of the time."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import orjson

from claims.bundles.schema import FORMAT
from claims.display import claim_value, date_value
from claims.models import Attribute, Claim, Contradiction, ContradictionClaim, ValueType
from kb.models import Entity, EntityAlias
from kb.runtime import bulk_allocation
from sources.models import Publisher, Source

CHUNK = 2000  # claims fetched per round trip

CLAIM_COLUMNS = (
    "key", "subject__key", "attribute__code", "value_type", "amount", "amount_max", "qualifier",
    "currency", "unit", "date_value", "date_precision", "entity_value__key", "boolean_value",
    "text_value", "value_as_written", "valid_from", "valid_from_precision", "valid_to",
    "valid_to_precision", "claimed_on", "claimed_on_precision", "source__key", "quote",
    "credibility", "rank", "notes",
)  # fmt: skip


def bundle_export() -> dict:
    """The whole knowledge base as a kb-bundle/1 document, every section ordered by key
    (publishers by name). A source carries its own reliability grade, null when it inherits
    its publisher's default, which the publishers section carries."""
    publishers = [
        {
            "name": p["name"],
            "url": p["url"] or None,
            "default_reliability": p["default_reliability"] or None,
            "notes": p["notes"],
        }
        for p in Publisher.objects.order_by("name").values(
            "name", "url", "default_reliability", "notes"
        )
    ]
    sources = [
        _source_out(s)
        for s in Source.objects.order_by("key").values(
            "key",
            "title",
            "url",
            "publisher__name",
            "author",
            "published_on",
            "published_on_precision",
            "kind",
            "reliability",
            "language",
            "text",
            "notes",
            "derived_from__key",
        )  # fmt: skip
    ]
    aliases = defaultdict(list)
    for entity_id, name in EntityAlias.objects.order_by("pk").values_list("entity_id", "name"):
        aliases[entity_id].append(name)
    entities = [
        {
            "key": e["key"],
            "kind": e["kind"],
            "name": e["name"],
            "aliases": aliases.get(e["id"], []),
            "description": e["description"],
            "country": e["country"] or None,
            "wikidata": e["wikidata"] or None,
        }
        for e in Entity.objects.order_by("key").values(
            "id", "key", "kind", "name", "description", "country", "wikidata"
        )
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
    claims = Claim.objects.order_by("key").values_list(*CLAIM_COLUMNS)
    dates, values = _Dates(), _Values()
    flags = Contradiction.objects.filter(
        origin=Contradiction.Origin.MANUAL, withdrawn_at__isnull=True
    ).order_by("key")
    members = defaultdict(list)
    for contradiction_id, key in ContradictionClaim.objects.filter(
        contradiction__in=flags
    ).values_list("contradiction_id", "claim__key"):
        members[contradiction_id].append(key)
    return {
        "format": FORMAT,
        "publishers": publishers,
        "sources": sources,
        "entities": entities,
        "attributes": attributes,
        "claims": [_claim_out(row, dates, values) for row in claims.iterator(chunk_size=CHUNK)],
        "flags": [
            {"key": key, "claims": sorted(members.get(pk, [])), "note": note}
            for pk, key, note in flags.values_list("pk", "key", "flag_note")
        ],
    }


def bundle_export_text() -> bytes:
    """bundle_export as the UTF-8 text of json.dumps(..., ensure_ascii=False, indent=2) and a
    final newline, written by orjson. orjson writes a float's exponent without json's
    padding ("1e-7", not "1e-07"); a document holding such a float (a tolerance below
    0.0001) is written by json itself."""
    with bulk_allocation(acyclic=True):
        bundle = bundle_export()
    if any(
        isinstance(number, float) and "e" in repr(number)
        for attribute in bundle["attributes"]
        for number in (attribute["tolerance"], attribute["approx_tolerance"])
    ):
        return (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode()
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"


def _source_out(source: dict) -> dict:
    published = date_value(source["published_on"], source["published_on_precision"])
    return {
        "key": source["key"],
        "title": source["title"],
        "url": source["url"] or None,
        "publisher": source["publisher__name"],
        "author": source["author"] or None,
        "published_on": published.iso() if published else None,
        "kind": source["kind"],
        # The source's own grade: an empty one inherits its publisher's default, and must
        # still inherit it after export and import (not the grade in force, source.grade).
        "reliability": source["reliability"] or None,
        "language": source["language"],
        "text": source["text"] or None,
        "notes": source["notes"],
        "derived_from": source["derived_from__key"],
    }


class _Dates(dict):
    """ISO forms of (date, precision) pairs, each worked out once."""

    def __missing__(self, pair):
        value = date_value(*pair)
        self[pair] = iso = value.iso() if value else None
        return iso


class _Values(dict):
    """The bundle form of each distinct stored value (type, amount, bound, qualifier, currency,
    unit, date, precision), worked out once: a knowledge base repeats its figures and dates
    (every source that gives the port's cost gives the same few)."""

    def __missing__(self, columns):
        value_type, amount, amount_max, qualifier, currency, unit, date, precision = columns
        self[columns] = out = claim_value(
            SimpleNamespace(
                value_type=value_type,
                amount=amount,
                amount_max=amount_max,
                qualifier=qualifier,
                currency=currency,
                unit=unit,
                date_value=date,
                date_precision=precision,
            )  # fmt: skip
        ).to_dict()
        return out


def _claim_out(row: tuple, dates: _Dates, values: _Values) -> dict:
    (
        key, subject, attribute, value_type, amount, amount_max, qualifier, currency, unit,
        date, date_precision, entity, boolean, text, value_as_written, valid_from,
        valid_from_precision, valid_to, valid_to_precision, claimed_on, claimed_on_precision,
        source, quote, credibility, rank, notes,
    ) = row  # fmt: skip
    if value_type == ValueType.ENTITY:
        value_out = {"entity": entity}
    elif value_type == ValueType.BOOLEAN:
        value_out = {"boolean": boolean}
    elif value_type == ValueType.TEXT:
        value_out = {"text": text}
    else:
        # A copy: the claims of one value must not share a dict a caller could change.
        value_out = dict(
            values[value_type, amount, amount_max, qualifier, currency, unit, date, date_precision]
        )
    return {
        "key": key,
        "subject": subject,
        "attribute": attribute,
        "value": value_out,
        "value_as_written": value_as_written or None,
        "valid_from": dates[valid_from, valid_from_precision],
        "valid_to": dates[valid_to, valid_to_precision],
        "claimed_on": dates[claimed_on, claimed_on_precision],
        "source": source,
        "quote": quote,
        "credibility": credibility,
        "rank": rank,
        "notes": notes,
    }


def _number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)
