"""The kb-bundle/1 format (SPEC section 4): all-or-nothing, idempotent import, and export."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from claims import values
from claims.detection import RecheckReport, groups_recheck
from claims.models import (
    NUMERIC_TYPES,
    OUTCOMES_WITH_POSITION,
    Attribute,
    Claim,
    Contradiction,
    ContradictionClaim,
    ContradictionStatus,
    Rank,
    ValueType,
)
from claims.selectors import claim_value, date_value
from claims.services import (
    QUOTE_NOT_IN_SOURCE,
    attribute_update,
    claimed_on_columns,
    claims_reanchor,
    contradiction_flag,
    contradiction_flag_update,
    effective_period_columns,
    empty_value_columns,
    period_columns,
    quote_columns,
    value_columns,
)
from claims.services.attributes import RULE_FIELDS, attribute_groups
from kb.models import KEY_PATTERN, DatePrecision, Entity, EntityAlias
from kb.services import unique_aliases
from sources.models import GRADES, Publisher, Source
from sources.services import text_digest

FORMAT = "kb-bundle/1"
BATCH = 2000
CHANGE_REASON = "bundle import"

NOT_AN_OBJECT = "expected a JSON object"
NOT_A_LIST = "expected a list"
BAD_FORMAT = 'expected "kb-bundle/1"'
MISSING = "is required"
UNKNOWN_FIELD = "unknown field"
BAD_KEY = "a key may contain only letters, digits, '-', '_' and '.'"
DUPLICATE_KEY = 'the key "{key}" is used twice in this bundle (first at {first})'
UNKNOWN_SOURCE = 'unknown source "{ref}"'
UNKNOWN_ENTITY = 'unknown entity "{ref}"'
AMBIGUOUS_ENTITY = '"{ref}" names more than one entity: {keys}'
UNKNOWN_ATTRIBUTE = 'unknown attribute "{ref}"'
BAD_GRADE = 'unknown reliability grade "{value}": use one of A, B, C, D, E, F'
BAD_CHOICE = 'unknown value "{value}": use one of {choices}'
BAD_CREDIBILITY = "credibility must be a whole number from 1 to 6"
KEPT_RANK = 'kept "{rank}" (the bundle says "{wanted}"), set by the decision on contradiction #{id}'
ALREADY_HOLDS_DATA = (
    "The database already holds data; {what} was not imported, and nothing was changed."
)

_key_re = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class Problem:
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class BundleInvalid(Exception):
    """The bundle has errors; nothing was written. `problems` lists each with its place."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        listed = "; ".join(str(problem) for problem in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} error(s) in the bundle: {listed}{more}")


@dataclass
class ImportReport:
    dry_run: bool = False
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    detection: RecheckReport | None = None
    # Ranks an editor's decision set, which the bundle would have changed: left as decided.
    kept: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for section in ("publishers", "sources", "entities", "attributes", "claims", "flags"):
            parts.append(
                f"{section}: {self.created[section]} created, {self.updated[section]} updated, "
                f"{self.unchanged[section]} unchanged"
            )
        prefix = "dry run, nothing written. " if self.dry_run else ""
        if self.detection is not None:
            parts.append(
                f"contradictions: {self.detection.created} detected, "
                f"{self.detection.updated} updated, {self.detection.reopened} reopened"
            )
        if self.kept:
            parts.append(f"ranks: {len(self.kept)} kept as editors decided")
        return prefix + "; ".join(parts)


@dataclass(frozen=True)
class DecidedRank:
    rank: str
    contradiction_id: int


def claim_ranks_set_by_decisions() -> dict[str, DecidedRank]:
    """The claims whose rank an editor's decision set, by claim key: one query.

    A decision sets ranks when its outcome picks a position (one_is_wrong, superseded; see
    contradiction_resolve) and it still stands: the contradiction is resolved, not reopened
    (a withdrawn one included: it keeps its decision on record and may be detected again).
    Its claims keep the rank they now have (the decision's, or an editor's later edit). A
    claim in several such contradictions is reported with the latest decision.
    """
    memberships = (
        ContradictionClaim.objects.filter(
            contradiction__status=ContradictionStatus.RESOLVED,
            contradiction__outcome__in=OUTCOMES_WITH_POSITION,
        )
        .order_by("contradiction__resolved_at", "contradiction_id")
        .values_list("claim__key", "claim__rank", "contradiction_id")
    )
    return {key: DecidedRank(rank, contradiction_id) for key, rank, contradiction_id in memberships}


def knowledge_base_is_empty() -> bool:
    """Whether the database holds no sources, entities, attributes or claims: four queries."""
    return not any(model.objects.exists() for model in (Source, Entity, Attribute, Claim))


def bundle_parse(text: str) -> dict:
    """The bundle as a dict; raises BundleInvalid with the line and column of bad JSON."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BundleInvalid(
            [Problem(f"line {error.lineno}, column {error.colno}", f"not valid JSON: {error.msg}")]
        ) from error
    return data


class NoProgress:
    """The progress reporter's interface: told the total of a step, then each advance."""

    def start(self, total: int, desc: str) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def bundle_import(
    *, bundle: dict, user=None, dry_run: bool = False, progress: NoProgress | None = None
) -> ImportReport:
    """Import a kb-bundle/1 document, all or nothing.

    Every reference resolves against the bundle and the database together. Rows are matched
    by key: new ones are created, changed ones updated, identical ones left alone, so importing
    the same bundle twice changes nothing. Every write is recorded in the history with `user`.
    A rank set by an editor's decision (claim_ranks_set_by_decisions) is never changed: the
    import keeps it and lists it in the report's `kept`, with its place in the bundle.
    Raises BundleInvalid listing every problem with its place; then nothing is written. With
    `dry_run`, everything is checked and counted, and nothing is kept.
    """
    progress = progress or NoProgress()
    plan = _Reader(bundle, progress).read()
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        _Writer(plan, user=user, report=report, progress=progress).write()
        if dry_run:
            transaction.set_rollback(True)
    return report


# Reading: every problem with its place, nothing written.


@dataclass
class _Plan:
    publishers: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)
    attributes: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)


# An extension of kb-bundle/1: publishers with the grade their sources inherit.
PUBLISHER_FIELDS = {"name", "url", "default_reliability", "notes"}
SOURCE_FIELDS = {
    "key", "title", "url", "publisher", "author", "published_on", "kind", "reliability",
    "language", "text", "notes", "derived_from",
}  # fmt: skip
ENTITY_FIELDS = {"key", "kind", "name", "aliases", "description", "country", "wikidata"}
ATTRIBUTE_FIELDS = {
    "code", "label", "value_type", "single_valued", "time_varying", "tolerance",
    "approx_tolerance", "unit", "choices", "description",
}  # fmt: skip
CLAIM_FIELDS = {
    "key", "subject", "attribute", "value", "valid_from", "valid_to", "claimed_on", "source",
    "quote", "credibility", "notes", "rank", "value_as_written",
}  # fmt: skip
FLAG_FIELDS = {"key", "claims", "note"}
TOP_LEVEL = {"format", "publishers", "sources", "entities", "attributes", "claims", "flags"}


class _Reader:
    def __init__(self, bundle, progress: NoProgress):
        self.bundle, self.progress = bundle, progress
        self.problems: list[Problem] = []

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def read(self) -> _Plan:
        plan = _Plan()
        if not isinstance(self.bundle, dict):
            raise BundleInvalid([Problem("bundle", NOT_AN_OBJECT)])
        if self.bundle.get("format") != FORMAT:
            self.problem("format", f"{BAD_FORMAT}, not {json.dumps(self.bundle.get('format'))}")
        for name in sorted(set(self.bundle) - TOP_LEVEL):
            self.problem(name, "unknown section")
        sections = {}
        for name in ("publishers", "sources", "entities", "attributes", "claims", "flags"):
            items = self.bundle.get(name, [])
            if not isinstance(items, list):
                self.problem(name, NOT_A_LIST)
                items = []
            sections[name] = items

        plan.publishers = self._each(
            sections["publishers"], "publishers", PUBLISHER_FIELDS, self._publisher
        )
        plan.sources = self._each(sections["sources"], "sources", SOURCE_FIELDS, self._source)
        plan.entities = self._each(sections["entities"], "entities", ENTITY_FIELDS, self._entity)
        plan.attributes = self._each(
            sections["attributes"], "attributes", ATTRIBUTE_FIELDS, self._attribute
        )
        self._check_unique(plan.publishers, "publishers", "name")
        self._check_unique(plan.sources, "sources", "key")
        self._check_unique(plan.entities, "entities", "key")
        self._check_unique(plan.attributes, "attributes", "code")

        self.refs = _References(plan)
        self._check_derived_from(plan)
        plan.claims = self._each(sections["claims"], "claims", CLAIM_FIELDS, self._claim)
        self._check_unique(plan.claims, "claims", "key")
        self.claim_targets = {
            row["key"]: (row.get("subject"), row.get("attribute")) for row in plan.claims
        }
        plan.flags = self._each(sections["flags"], "flags", FLAG_FIELDS, self._flag)
        self._check_unique(plan.flags, "flags", "key")
        if self.problems:
            raise BundleInvalid(self.problems)
        return plan

    def _each(self, items: list, section: str, allowed: set[str], read) -> list[dict]:
        rows = []
        self.progress.start(len(items), f"reading {section}")
        for index, item in enumerate(items):
            if index % 1000 == 999:
                self.progress.advance(1000)
            place = f"{section}[{index}]"
            if not isinstance(item, dict):
                self.problem(place, NOT_AN_OBJECT)
                continue
            for name in sorted(set(item) - allowed):
                self.problem(f"{place}.{name}", UNKNOWN_FIELD)
            row = read(_Item(self, item, place))
            if row is not None:
                row["_place"] = place
                rows.append(row)
        self.progress.advance(len(items) % 1000)
        self.progress.close()
        return rows

    def _check_unique(self, rows: list[dict], section: str, name: str) -> None:
        first: dict[str, str] = {}
        for row in rows:
            key = row.get(name)
            if key in first:
                self.problem(
                    f"{row['_place']}.{name}", DUPLICATE_KEY.format(key=key, first=first[key])
                )
            elif key:
                first[key] = row["_place"]

    # One reader per section; each returns the row to write, or None after a problem.

    def _publisher(self, item: _Item) -> dict | None:
        name = item.text("name", required=True, max_length=300).strip()
        return {
            "name": name,
            "url": item.url("url"),
            "default_reliability": item.grade("default_reliability"),
            "notes": item.text("notes"),
        }

    def _source(self, item: _Item) -> dict | None:
        published_on = item.date("published_on")
        text = item.text("text")
        row = {
            "key": item.key("key"),
            "title": item.text("title", required=True, max_length=500),
            "url": item.url("url"),
            "publisher": item.text("publisher", max_length=300),
            "author": item.text("author", max_length=300),
            "published_on": published_on.date if published_on else None,
            "published_on_precision": published_on.precision if published_on else DatePrecision.DAY,
            "kind": item.choice("kind", Source.Kind.values, required=True),
            "reliability": item.grade("reliability"),
            "language": item.text("language", max_length=10) or "en",
            "text": text,
            "text_sha256": text_digest(text),
            "notes": item.text("notes"),
            "derived_from": item.text("derived_from"),
        }
        return row

    def _entity(self, item: _Item) -> dict | None:
        country = item.text("country")
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            item.fail("country", f'"{country}" is not an ISO 3166 alpha-2 code such as "PE"')
        wikidata = item.text("wikidata")
        if wikidata and not re.fullmatch(r"Q[0-9]+", wikidata):
            item.fail("wikidata", f'"{wikidata}" is not a Wikidata id such as "Q419"')
        return {
            "key": item.key("key"),
            "kind": item.choice("kind", Entity.Kind.values, required=True),
            "name": item.text("name", required=True, max_length=300),
            "aliases": item.string_list("aliases"),
            "description": item.text("description"),
            "country": country,
            "wikidata": wikidata,
        }

    def _attribute(self, item: _Item) -> dict | None:
        code = item.text("code", required=True, max_length=100)
        if code and not re.fullmatch(r"[a-z0-9_]+", code):
            item.fail("code", "use lower-case letters, digits and '_'")
        value_type = item.choice("value_type", ValueType.values, required=True)
        choices = item.raw("choices")
        if choices is not None:
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                item.fail("choices", "expected a list of strings, or null")
                choices = None
            elif value_type != ValueType.TEXT:
                item.fail("choices", "only text attributes have choices")
        approx_tolerance = item.decimal("approx_tolerance", default=Decimal("0.10"))
        if approx_tolerance is not None and not (0 <= approx_tolerance < 1):
            item.fail("approx_tolerance", "must be at least 0 and below 1")
        tolerance = item.decimal("tolerance", default=Decimal("0"))
        if tolerance is not None and tolerance < 0:
            item.fail("tolerance", "must not be negative")
        return {
            "code": code,
            "label": item.text("label", required=True, max_length=200),
            "value_type": value_type,
            "single_valued": item.boolean("single_valued", default=True),
            "time_varying": item.boolean("time_varying", default=False),
            "tolerance": tolerance,
            "approx_tolerance": approx_tolerance,
            "unit": item.text("unit", max_length=50),
            "choices": choices,
            "description": item.text("description"),
        }

    def _check_derived_from(self, plan: _Plan) -> None:
        for row in plan.sources:
            ref = row["derived_from"]
            if not ref:
                continue
            if ref == row["key"]:
                self.problem(f"{row['_place']}.derived_from", "a source cannot derive from itself")
            elif not self.refs.has_source(ref):
                self.problem(f"{row['_place']}.derived_from", UNKNOWN_SOURCE.format(ref=ref))

    def _claim(self, item: _Item) -> dict | None:
        row = {
            "key": item.key("key"),
            "quote": item.text("quote", required=True),
            "notes": item.text("notes"),
            "rank": item.choice("rank", Rank.values) or Rank.NORMAL,
            "value_as_written": item.text("value_as_written", max_length=500),
            "credibility": item.credibility("credibility"),
        }
        source_key = item.text("source", required=True)
        if source_key and not self.refs.has_source(source_key):
            item.fail("source", UNKNOWN_SOURCE.format(ref=source_key))
            source_key = None
        row["source"] = source_key
        row["subject"] = self._entity_ref(item, "subject", item.text("subject", required=True))
        attribute = None
        code = item.text("attribute", required=True)
        if code:
            attribute = self.refs.attribute(code)
            if attribute is None:
                item.fail("attribute", UNKNOWN_ATTRIBUTE.format(ref=code))
        row["attribute"] = code

        valid_from, valid_to = item.date("valid_from"), item.date("valid_to")
        try:
            row.update(period_columns(valid_from=valid_from, valid_to=valid_to))
        except ValidationError:
            item.fail("valid_to", "the valid period ends before it starts")
        claimed_on = item.date("claimed_on")
        row["claimed_on_value"] = claimed_on
        if attribute is not None and "value" in item.data:
            row.update(self._value(item, attribute, row))
        elif "value" not in item.data:
            item.fail("value", MISSING)
        return row

    def _flag(self, item: _Item) -> dict | None:
        """A hand flag (an extension of kb-bundle/1): claims an analyst marks as disagreeing."""
        keys = item.string_list("claims")
        if len(set(keys)) < 2:
            item.fail("claims", "a flag needs at least two different claims")
        targets = set()
        for index, key in enumerate(keys):
            target = self.claim_targets.get(key) or self.refs.claim_target(key)
            if target is None:
                item.fail(f"claims[{index}]", f'unknown claim "{key}"')
            else:
                targets.add(target)
        if len(targets) > 1:
            item.fail("claims", "the claims of a flag must share their subject and attribute")
        return {
            "key": item.key("key"),
            "claims": keys,
            "note": item.text("note", required=True),
        }

    def _entity_ref(self, item: _Item, name: str, ref: str | None) -> str | None:
        if not ref:
            return None
        keys = self.refs.entity_keys(ref)
        if not keys:
            item.fail(name, UNKNOWN_ENTITY.format(ref=ref))
            return None
        if len(keys) > 1:
            item.fail(name, AMBIGUOUS_ENTITY.format(ref=ref, keys=", ".join(sorted(keys))))
            return None
        return next(iter(keys))

    def _value(self, item: _Item, attribute: Attribute, row: dict) -> dict:
        raw = item.data["value"]
        value_type = attribute.value_type
        try:
            if isinstance(raw, str):
                if not row["value_as_written"]:
                    row["value_as_written"] = raw.strip()[:500]
                if value_type == ValueType.ENTITY:
                    return self._entity_value(item, "value", raw)
                value = values.parse_value(raw, value_type, unit=attribute.unit or None)
            elif isinstance(raw, dict):
                value = self._structured_value(item, attribute, raw)
                if value_type == ValueType.ENTITY:
                    return self._entity_value(item, "value.entity", value)
            else:
                item.fail("value", "expected a string or an object")
                return {}
        except values.ValueParseError as error:
            item.fail("value", str(error))
            return {}
        except _Failed:
            return {}
        try:
            columns = value_columns(attribute=attribute, value=value)
        except ValidationError as error:
            item.fail("value", "; ".join(error.messages))
            return {}
        return columns

    def _entity_value(self, item: _Item, place: str, ref: str) -> dict:
        key = self._entity_ref(item, place, ref)
        return {**empty_value_columns(), "entity_value_key": key} if key else {}

    def _structured_value(self, item: _Item, attribute: Attribute, raw: dict):
        value_type = attribute.value_type
        expected = {
            ValueType.MONEY: {"amount", "currency", "qualifier", "max"},
            ValueType.QUANTITY: {"amount", "unit", "qualifier", "max"},
            ValueType.COUNT: {"amount", "unit", "qualifier", "max"},
            ValueType.DATE: {"date"},
            ValueType.ENTITY: {"entity"},
            ValueType.BOOLEAN: {"boolean"},
            ValueType.TEXT: {"text"},
        }[value_type]
        unknown = sorted(set(raw) - expected)
        if unknown:
            item.fail(
                f"value.{unknown[0]}",
                f"not part of a {value_type} value (expected {', '.join(sorted(expected))})",
            )
            raise _Failed
        if value_type in NUMERIC_TYPES:
            return self._numeric_value(item, value_type, raw, attribute)
        (name,) = expected
        if name not in raw:
            item.fail(f"value.{name}", MISSING)
            raise _Failed
        inner = raw[name]
        if value_type == ValueType.DATE:
            if not isinstance(inner, str):
                item.fail("value.date", 'expected a date such as "2023", "2023-05" or "2023-05-19"')
                raise _Failed
            return values.parse_date(inner)
        if value_type == ValueType.BOOLEAN:
            if not isinstance(inner, bool):
                item.fail("value.boolean", "expected true or false")
                raise _Failed
            return inner
        if not isinstance(inner, str) or not inner.strip():
            item.fail(f"value.{name}", "expected a non-empty string")
            raise _Failed
        return inner.strip()

    def _numeric_value(self, item, value_type, raw, attribute) -> values.NumericValue:
        amount = _decimal(raw.get("amount"))
        if amount is None:
            item.fail("value.amount", 'expected a number such as "180000000"')
            raise _Failed
        qualifier = raw.get("qualifier", values.EXACT)
        if qualifier not in values.QUALIFIERS:
            item.fail(
                "value.qualifier",
                BAD_CHOICE.format(value=qualifier, choices=", ".join(values.QUALIFIERS)),
            )
            raise _Failed
        maximum = None
        if qualifier == values.RANGE:
            maximum = _decimal(raw.get("max"))
            if maximum is None:
                item.fail("value.max", "a range needs a number as its max")
                raise _Failed
            if maximum < amount:
                item.fail("value.max", "the max of a range must not be below its amount")
                raise _Failed
        elif raw.get("max") is not None:
            item.fail("value.max", "only a range has a max")
            raise _Failed
        if amount < 0:
            item.fail("value.amount", "must not be negative")
            raise _Failed
        currency = unit = None
        if value_type == ValueType.MONEY:
            currency = raw.get("currency")
            if not isinstance(currency, str) or not currency:
                item.fail("value.currency", MISSING)
                raise _Failed
            if not values.is_currency(currency):
                item.fail("value.currency", f'unknown currency "{currency}"')
                raise _Failed
        else:
            unit = raw.get("unit") or attribute.unit or None
            if value_type == ValueType.COUNT and amount != amount.to_integral_value():
                item.fail("value.amount", "a count must be a whole number")
                raise _Failed
        return values.NumericValue(
            kind=value_type,
            amount=amount,
            qualifier=qualifier,
            max=maximum,
            currency=currency,
            unit=unit,
        )


class _Failed(Exception):
    """A problem was recorded; stop reading this value."""


def _decimal(raw) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class _Item:
    """One object of a section, with typed getters that record problems at their place."""

    def __init__(self, reader: _Reader, data: dict, place: str):
        self.reader, self.data, self.place = reader, data, place

    def fail(self, name: str, message: str) -> None:
        self.reader.problem(f"{self.place}.{name}", message)

    def raw(self, name: str):
        return self.data.get(name)

    def text(self, name: str, *, required: bool = False, max_length: int | None = None) -> str:
        raw = self.data.get(name)
        if raw is None or raw == "":
            if required:
                self.fail(name, MISSING)
            return ""
        if not isinstance(raw, str):
            self.fail(name, "expected a string")
            return ""
        if max_length and len(raw) > max_length:
            self.fail(name, f"longer than {max_length} characters")
        return raw

    def key(self, name: str) -> str:
        key = self.text(name, required=True, max_length=200)
        if key and not _key_re.fullmatch(key):
            self.fail(name, BAD_KEY)
        return key

    def url(self, name: str) -> str:
        url = self.text(name, max_length=2000)
        if url:
            try:
                URLValidator()(url)
            except ValidationError:
                self.fail(name, f'"{url}" is not a valid URL')
        return url

    def choice(self, name: str, choices: list[str], *, required: bool = False) -> str:
        value = self.text(name, required=required)
        if value and value not in choices:
            self.fail(name, BAD_CHOICE.format(value=value, choices=", ".join(choices)))
        return value

    def grade(self, name: str) -> str:
        value = self.text(name)
        if value and value not in GRADES:
            self.fail(name, BAD_GRADE.format(value=value))
        return value

    def date(self, name: str) -> values.DateValue | None:
        raw = self.data.get(name)
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            self.fail(name, 'expected a date such as "2023", "2023-05" or "2023-05-19"')
            return None
        try:
            return values.parse_date(raw)
        except values.ValueParseError as error:
            self.fail(name, str(error))
            return None

    def boolean(self, name: str, *, default: bool) -> bool:
        raw = self.data.get(name, default)
        if raw is None:
            return default
        if not isinstance(raw, bool):
            self.fail(name, "expected true or false")
            return default
        return raw

    def decimal(self, name: str, *, default: Decimal) -> Decimal | None:
        raw = self.data.get(name)
        if raw is None:
            return default
        number = _decimal(raw)
        if number is None:
            self.fail(name, "expected a number")
        return number

    def credibility(self, name: str) -> int | None:
        raw = self.data.get(name)
        if raw is None:
            self.fail(name, MISSING)
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 6:
            self.fail(name, BAD_CREDIBILITY)
            return None
        return raw

    def string_list(self, name: str) -> list[str]:
        raw = self.data.get(name) or []
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            self.fail(name, "expected a list of strings")
            return []
        return raw


class _References:
    """Resolves source keys, attribute codes and entity names against bundle and database."""

    def __init__(self, plan: _Plan):
        self.bundle_sources = {row["key"] for row in plan.sources if row["key"]}
        self.db_sources: dict[str, bool] = {}
        self.attributes: dict[str, Attribute] = {a.code: a for a in Attribute.objects.all()}
        # Attributes of the bundle override the database's for reading claims.
        for row in plan.attributes:
            if row["code"] and row["value_type"]:
                fields = {k: v for k, v in row.items() if not k.startswith("_")}
                self.attributes[row["code"]] = Attribute(**fields)
        # Names, aliases and keys, folded, to the keys of the entities they name. Bundle
        # entities replace their database versions (a renamed entity drops its old name).
        self.entity_keys_by_key: set[str] = set()
        self.names: dict[str, set[str]] = defaultdict(set)
        bundle_keys = {row["key"] for row in plan.entities if row["key"]}
        id_to_key = {}
        for pk, key, name in Entity.objects.values_list("id", "key", "name"):
            id_to_key[pk] = key
            if key in bundle_keys:
                continue
            self.entity_keys_by_key.add(key)
            self._name(key, key)
            self._name(name, key)
        for entity_id, name in EntityAlias.objects.values_list("entity_id", "name"):
            key = id_to_key[entity_id]
            if key not in bundle_keys:
                self._name(name, key)
        for row in plan.entities:
            if not row["key"]:
                continue
            self.entity_keys_by_key.add(row["key"])
            for name in [row["key"], row["name"], *row["aliases"]]:
                self._name(name, row["key"])

    def _name(self, name: str, key: str) -> None:
        if name:
            self.names[name.strip().casefold()].add(key)

    def has_source(self, key: str) -> bool:
        if key in self.bundle_sources:
            return True
        if key not in self.db_sources:
            self.db_sources[key] = Source.objects.filter(key=key).exists()
        return self.db_sources[key]

    def attribute(self, code: str) -> Attribute | None:
        return self.attributes.get(code)

    def claim_target(self, key: str) -> tuple[str, str] | None:
        """(subject key, attribute code) of a claim already in the database."""
        row = Claim.objects.filter(key=key).values_list("subject__key", "attribute__code").first()
        return tuple(row) if row else None

    def entity_keys(self, ref: str) -> set[str]:
        """The keys of the entities `ref` names: by key exactly, else by name, alias or key
        case-insensitively. More than one key means the reference is ambiguous."""
        if ref in self.entity_keys_by_key:
            return {ref}
        return self.names.get(ref.strip().casefold(), set())


# Writing: in dependency order, by key, only what changed.


def _row_fields(row: dict, exclude: set[str] = frozenset()) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_") and k not in exclude}


class _Writer:
    def __init__(self, plan: _Plan, *, user, report: ImportReport, progress: NoProgress):
        self.plan, self.user, self.report, self.progress = plan, user, report, progress
        self.written: dict[type, list] = {}
        self.groups: set[tuple[int, int]] = set()

    def write(self) -> None:
        self._publishers()
        self._sources()
        self._entities()
        self._attributes()
        self._claims()
        self._flags()
        self._detect()

    def _upsert(
        self,
        model,
        section: str,
        rows: list[dict],
        key_field: str = "key",
        also_changed: set[str] = frozenset(),
        before_update=None,
        on_create: dict | None = None,
    ):
        """Create the new rows and update the changed ones.

        Returns ({key: instance}, keys created). Keys in `also_changed` count as updated even
        when their own fields are the same (an entity whose aliases changed).
        """
        keys = [row[key_field] for row in rows]
        existing = {}
        for start in range(0, len(keys), BATCH):
            existing.update(
                model.objects.in_bulk(keys[start : start + BATCH], field_name=key_field)
            )
        to_create, to_update, changed_fields = [], [], set()
        for row in rows:
            fields = row["fields"]
            instance = existing.get(row[key_field])
            if instance is None:
                to_create.append(model(**fields, **(on_create or {})))
                continue
            changed = [name for name, value in fields.items() if getattr(instance, name) != value]
            if changed:
                if before_update is not None:
                    before_update(instance)
                for name in changed:
                    setattr(instance, name, fields[name])
                to_update.append(instance)
                changed_fields.update(changed)
            elif row[key_field] in also_changed:
                self.report.updated[section] += 1
            else:
                self.report.unchanged[section] += 1
        created = []
        self.progress.start(len(to_create) + len(to_update), f"writing {section}")
        for start in range(0, len(to_create), BATCH):
            created += bulk_create_with_history(
                to_create[start : start + BATCH],
                model,
                batch_size=BATCH,
                default_user=self.user,
                default_change_reason=CHANGE_REASON,
            )
            self.progress.advance(len(to_create[start : start + BATCH]))
        if to_update:
            # bulk_update does not touch auto_now fields by itself.
            stamped = {"updated_at"} & {f.name for f in model._meta.concrete_fields}
            now = timezone.now()
            for instance in to_update:
                if stamped:
                    instance.updated_at = now
            fields = sorted(_field_names(model, changed_fields | stamped))
            for start in range(0, len(to_update), BATCH):
                bulk_update_with_history(
                    to_update[start : start + BATCH],
                    model,
                    fields,
                    batch_size=BATCH,
                    default_user=self.user,
                    default_change_reason=CHANGE_REASON,
                )
                self.progress.advance(len(to_update[start : start + BATCH]))
        self.progress.close()
        self.report.created[section] += len(to_create)
        self.report.updated[section] += len(to_update)
        self.written[model] = [*created, *to_update]
        result = dict(existing)
        result.update({getattr(obj, key_field): obj for obj in created})
        return result, {getattr(obj, key_field) for obj in created}

    def _publishers(self) -> None:
        """The bundle's publishers section, matched by name; a publisher only named by a source
        is created by _sources with nothing but its name."""
        rows = [{"name": row["name"], "fields": _row_fields(row)} for row in self.plan.publishers]
        self.publishers, _ = self._upsert(Publisher, "publishers", rows, key_field="name")

    def _sources(self) -> None:
        publishers = self.publishers
        for row in self.plan.sources:
            name = row["publisher"].strip()
            if name and name not in publishers:
                publishers[name] = Publisher.objects.filter(name=name).first()
                if publishers[name] is None:
                    publishers[name] = Publisher(name=name)
                    publishers[name]._change_reason = CHANGE_REASON
                    publishers[name]._history_user = self.user
                    publishers[name].save()
                    self.report.created["publishers"] += 1
        rows = [
            {
                "key": row["key"],
                "fields": {
                    **_row_fields(row, {"publisher", "derived_from"}),
                    "publisher_id": publishers[row["publisher"].strip()].pk
                    if row["publisher"].strip()
                    else None,
                },
            }
            for row in self.plan.sources
        ]
        old_digests: dict[str, str] = {}
        self.sources, _ = self._upsert(
            Source,
            "sources",
            rows,
            before_update=lambda source: old_digests.setdefault(source.key, source.text_sha256),
        )
        # The sources whose text changed: their other claims' quotes are found again.
        self.retexted = {
            key for key, digest in old_digests.items() if self.sources[key].text_sha256 != digest
        }
        # Derivations point at sources that may only now exist.
        derived = [
            {
                "key": row["key"],
                "derived_from_id": self._source_id(row["derived_from"])
                if row["derived_from"]
                else None,
            }
            for row in self.plan.sources
        ]
        changed = []
        for row in derived:
            instance = self.sources[row["key"]]
            if instance.derived_from_id != row["derived_from_id"]:
                instance.derived_from_id = row["derived_from_id"]
                changed.append(instance)
        if changed:
            bulk_update_with_history(
                changed,
                Source,
                ["derived_from"],
                batch_size=BATCH,
                default_user=self.user,
                default_change_reason=CHANGE_REASON,
            )

    def _source_id(self, key: str) -> int:
        if key not in self.sources:
            self.sources[key] = Source.objects.get(key=key)
        return self.sources[key].pk

    def _entities(self) -> None:
        wanted = {
            row["key"]: unique_aliases(row["name"], row["aliases"]) for row in self.plan.entities
        }
        current: dict[str, dict[str, EntityAlias]] = defaultdict(dict)
        keys = list(wanted)
        for start in range(0, len(keys), BATCH):
            aliases = EntityAlias.objects.filter(entity__key__in=keys[start : start + BATCH])
            for alias in aliases.select_related("entity"):
                current[alias.entity.key][alias.name] = alias
        rows = [
            {"key": row["key"], "fields": _row_fields(row, {"aliases"})}
            for row in self.plan.entities
        ]
        alias_changed = {key for key in keys if set(current.get(key, {})) != set(wanted[key])}
        self.entities, created = self._upsert(Entity, "entities", rows, also_changed=alias_changed)
        to_create = []
        for key in alias_changed:
            have = current.get(key, {})
            for name, alias in have.items():
                if name not in wanted[key]:
                    alias._change_reason = CHANGE_REASON
                    alias.delete()
            entity = self.entities[key]
            to_create += [EntityAlias(entity=entity, name=n) for n in wanted[key] if n not in have]
        bulk_create_with_history(
            to_create,
            EntityAlias,
            batch_size=BATCH,
            default_user=self.user,
            default_change_reason=CHANGE_REASON,
        )

    def _attributes(self) -> None:
        """New attributes are created; a changed one goes through attribute_update, which moves
        the claims this bundle does not carry (it rewrites the others) or refuses the change."""
        rows = [{"code": row["code"], "fields": _row_fields(row)} for row in self.plan.attributes]
        existing = Attribute.objects.in_bulk([row["code"] for row in rows], field_name="code")
        carried = {row["key"] for row in self.plan.claims}
        for row in rows:
            attribute = existing.get(row["code"])
            if attribute is None:
                continue
            changed = {
                name for name, value in row["fields"].items() if getattr(attribute, name) != value
            }
            if not changed:
                self.report.unchanged["attributes"] += 1
                continue
            try:
                attribute_update(
                    attribute=attribute,
                    data=row["fields"],
                    user=self.user,
                    skip_keys=carried,
                    recheck=False,
                )
            except ValidationError as error:
                place = row_place(self.plan.attributes, row["code"])
                raise BundleInvalid(
                    [
                        Problem(place if field == NON_FIELD_ERRORS else f"{place}.{field}", message)
                        for field, messages in error.message_dict.items()
                        for message in messages
                    ]
                ) from error
            self.report.updated["attributes"] += 1
            if changed & set(RULE_FIELDS):
                self.groups |= attribute_groups(attribute=attribute)
        new = [row for row in rows if row["code"] not in existing]
        self.attributes, _ = self._upsert(Attribute, "attributes", new, key_field="code")
        self.attributes.update(existing)

    def _attribute(self, code: str) -> Attribute:
        if code not in self.attributes:
            self.attributes[code] = Attribute.objects.get(code=code)
        return self.attributes[code]

    def _claims(self) -> None:
        missing_sources = {
            row["source"] for row in self.plan.claims if row["source"] not in self.sources
        }
        for start in range(0, len(missing_sources), BATCH):
            chunk = list(missing_sources)[start : start + BATCH]
            self.sources.update(Source.objects.in_bulk(chunk, field_name="key"))
        entity_refs = {row["subject"] for row in self.plan.claims} | {
            row["entity_value_key"] for row in self.plan.claims if row.get("entity_value_key")
        }
        missing_entities = list(entity_refs - set(self.entities))
        for start in range(0, len(missing_entities), BATCH):
            chunk = missing_entities[start : start + BATCH]
            self.entities.update(Entity.objects.only("id", "key").in_bulk(chunk, field_name="key"))
        rows, problems = [], []
        for row in self.plan.claims:
            attribute = self._attribute(row["attribute"])
            source = self.sources[row["source"]]
            fields = _row_fields(row, {"subject", "attribute", "source", "claimed_on_value"})
            entity_value_key = fields.pop("entity_value_key", None)
            fields.pop("entity_value", None)
            fields.update(
                subject_id=self.entities[row["subject"]].pk,
                attribute_id=attribute.pk,
                source_id=source.pk,
                value_type=attribute.value_type,
                entity_value_id=self.entities[entity_value_key].pk if entity_value_key else None,
                **claimed_on_columns(claimed_on=row["claimed_on_value"], source=source),
            )
            fields.update(effective_period_columns(fields))
            try:
                fields.update(quote_columns(source=source, quote=row["quote"]))
            except ValidationError:
                problems.append(Problem(f"{row['_place']}.quote", QUOTE_NOT_IN_SOURCE))
            rows.append({"key": row["key"], "fields": fields})
        if problems:
            raise BundleInvalid(problems)
        self._keep_decided_ranks(rows)
        self._upsert(
            Claim,
            "claims",
            rows,
            before_update=lambda c: self.groups.add((c.subject_id, c.attribute_id)),
            on_create={"created_by": self.user},
        )
        self.changed_claims = {claim.pk for claim in self.written[Claim]}
        bundle_keys = {row["key"] for row in rows}
        for key in self.retexted:
            claims_reanchor(source=self.sources[key], user=self.user, skip_keys=bundle_keys)
        self.groups |= {(c.subject_id, c.attribute_id) for c in self.written[Claim]}

    def _keep_decided_ranks(self, rows: list[dict]) -> None:
        """An editor's decision outranks the bundle: such a rank is left as it is, and said."""
        decided = claim_ranks_set_by_decisions()
        if not decided:
            return
        for row, planned in zip(rows, self.plan.claims, strict=True):
            decision = decided.get(row["key"])
            if decision is None or row["fields"]["rank"] == decision.rank:
                continue
            self.report.kept.append(
                Problem(
                    f"{planned['_place']}.rank",
                    KEPT_RANK.format(
                        rank=decision.rank,
                        wanted=row["fields"]["rank"],
                        id=decision.contradiction_id,
                    ),
                )
            )
            del row["fields"]["rank"]

    def _flags(self) -> None:
        if not self.plan.flags:
            return
        keys = {key for row in self.plan.flags for key in row["claims"]}
        claims = {}
        for start in range(0, len(keys), BATCH):
            chunk = list(keys)[start : start + BATCH]
            claims.update(Claim.objects.in_bulk(chunk, field_name="key"))
        existing = Contradiction.objects.in_bulk(
            [row["key"] for row in self.plan.flags], field_name="key"
        )
        for row in self.plan.flags:
            members = [claims[key] for key in row["claims"]]
            contradiction = existing.get(row["key"])
            if contradiction is None:
                contradiction_flag(
                    claims=members, note=row["note"], user=self.user, key=row["key"], recheck=False
                )
                self.report.created["flags"] += 1
            elif contradiction_flag_update(
                contradiction=contradiction, claims=members, note=row["note"], user=self.user
            ):
                self.report.updated["flags"] += 1
            else:
                self.report.unchanged["flags"] += 1
            self.groups.add((members[0].subject_id, members[0].attribute_id))

    def _detect(self) -> None:
        self.report.detection = groups_recheck(
            groups=self.groups,
            changed=getattr(self, "changed_claims", set()),
            user=self.user,
            progress=self.progress,
        )


def row_place(rows: list[dict], code: str) -> str:
    return next(row["_place"] for row in rows if row.get("code") == code)


def _field_names(model, names: set[str]) -> set[str]:
    # bulk_update takes field names, and a foreign key's attname ("source_id") is not one.
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return {by_attname.get(name, name) for name in names}


# Export.


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
        "claims": [_claim_out(c) for c in claims.iterator(chunk_size=BATCH)],
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
