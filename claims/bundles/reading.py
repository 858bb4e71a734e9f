"""Reading a kb-bundle/1 document: the schema checks its structure, this module its meaning
(dates, URLs, typed values, references against the bundle and the database), every problem
with its place; nothing is written.

It runs to about 500 lines because the readers of the sections share one list of problems and
one resolver of references (_References); what they no longer check is in schema.py."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from claims import values
from claims.bundles.schema import (
    MESSAGES,
    SECTIONS,
    VALUE,
    BundleInvalid,
    Problem,
    bundle_check,
    item_check,
    place_of,
    unstorable_strings,
)
from claims.models import NUMERIC_TYPES, Attribute, Claim, Rank, ValueType
from claims.services import empty_value_columns, period_columns, value_columns
from kb.dates import ISO_FORM, brief, parse_iso
from kb.models import DatePrecision, Entity, EntityAlias
from sources.models import DERIVATION_CYCLE, Source
from sources.selectors import derivation_cycle
from sources.services import text_digest

DUPLICATE_KEY = 'the key "{key}" is used twice in this bundle (first at {first})'
UNKNOWN_SOURCE = 'unknown source "{ref}"'
UNKNOWN_ENTITY = 'unknown entity "{ref}"'
AMBIGUOUS_ENTITY = '"{ref}" names more than one entity: {keys}'
UNKNOWN_ATTRIBUTE = 'unknown attribute "{ref}"'
UNKNOWN_CLAIM = 'unknown claim "{ref}"'
PERIOD_ENDS_BEFORE_IT_STARTS = "the valid period ends before it starts"
NOT_IN_VALUE = "not part of a {value_type} value (expected {expected})"
GIVEN_TWICE = "given twice in this object (JSON keeps only one of them): give it once"
NOT_A_JSON_NUMBER = "{name} is not a number JSON allows"
NESTED_TOO_DEEPLY = "nested too deeply to be a kb-bundle/1 document"
TOLERANCE_RANGE = "must be a number from 0 to below {high}, with at most 6 decimal places"
AMOUNT_TOO_LARGE = "too large: amounts and their intervals stay below 10^22"
UNKNOWN_CURRENCY = 'unknown currency "{code}"'
# Values written as text whose columns the reader keeps, at most.
PARSED_KEPT = 100_000
# Amounts are stored with 28 digits, 6 of them decimals (claims.models.AMOUNT).
AMOUNT_LIMIT = Decimal(10) ** 22

# The value fields each value type takes (the schema knows every value field; this, which
# of them fit the attribute's type).
VALUE_FIELDS = {
    ValueType.MONEY: {"amount", "currency", "qualifier", "max"},
    ValueType.QUANTITY: {"amount", "unit", "qualifier", "max"},
    ValueType.COUNT: {"amount", "unit", "qualifier", "max"},
    ValueType.DATE: {"date"},
    ValueType.ENTITY: {"entity"},
    ValueType.BOOLEAN: {"boolean"},
    ValueType.TEXT: {"text"},
}


def bundle_parse(text: str) -> dict:
    """The bundle as a dict; raises BundleInvalid with the line and column of bad JSON, the
    place of every member an object gives twice, or a number JSON does not allow (NaN,
    Infinity). Numbers with a fraction are read as exact decimals."""
    duplicated: list[tuple[dict, list[str]]] = []

    def members(pairs):
        found: dict = {}
        twice = []
        for name, value in pairs:
            if name in found:
                twice.append(name)
            found[name] = value
        if twice:
            duplicated.append((found, twice))
        return found

    try:
        bundle = json.loads(
            text,
            object_pairs_hook=members,
            parse_float=Decimal,
            parse_constant=_not_a_json_number,
        )
    except json.JSONDecodeError as error:
        raise BundleInvalid(
            [Problem(f"line {error.lineno}, column {error.colno}", f"not valid JSON: {error.msg}")]
        ) from error
    except _NotAJsonNumber as error:
        raise BundleInvalid([Problem("bundle", NOT_A_JSON_NUMBER.format(name=error))]) from error
    except RecursionError as error:
        raise BundleInvalid([Problem("bundle", NESTED_TOO_DEEPLY)]) from error
    if duplicated:
        raise BundleInvalid(_duplicated_members(bundle, duplicated))
    return bundle


class _NotAJsonNumber(ValueError):
    pass


def _not_a_json_number(name: str):
    raise _NotAJsonNumber(name)


def _duplicated_members(bundle, duplicated: list[tuple[dict, list[str]]]) -> list[Problem]:
    """The places of the members given twice, found by walking the bundle once."""
    twice = {id(found): names for found, names in duplicated}
    problems, stack = [], [(bundle, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for name in twice.get(id(node), ()):
                problems.append(Problem(place_of((*path, name)), GIVEN_TWICE))
            stack += [(value, (*path, name)) for name, value in node.items()]
        elif isinstance(node, list):
            stack += [(value, (*path, index)) for index, value in enumerate(node)]
    return sorted(problems, key=lambda problem: problem.place)


class NoProgress:
    """The progress reporter's interface: told the total of a step (None when it is not known
    beforehand: the claims of a bundle read as it streams), then each advance."""

    def start(self, total: int | None, desc: str) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class Plan:
    """The rows a bundle asks for, section by section, each with its `_place`."""

    publishers: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)
    attributes: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)


def bundle_read(bundle, progress: NoProgress) -> Plan:
    """The bundle read into the rows to write; raises BundleInvalid listing every problem of
    structure and of meaning with its place. Reads the database, writes nothing."""
    reader = _Reader(bundle, progress)
    plan = reader.read_head()
    for rows in reader.read_claims():
        plan.claims += rows
    reader.read_tail(plan)
    return plan


# Claims read at a time by read_claims: what the import holds of them at once.
CLAIMS_CHUNK = 20_000


# What a read row carries besides its columns: its place in the bundle ("claims[3]") and the
# names its entry gives (_one sets both).
ROW_EXTRAS = ("_place", "_given")


def row_columns(row: dict, leave_out: Iterable[str] = ()) -> dict:
    """A read row's columns: the row without ROW_EXTRAS and the names in `leave_out`."""
    columns = row.copy()
    for name in (*ROW_EXTRAS, *leave_out):
        columns.pop(name, None)
    return columns


class _Reader:
    """Reads a bundle in three steps: read_head (the sections before the claims, and what
    resolves references), read_claims (the claims, chunk by chunk) and read_tail (the flags;
    raises BundleInvalid listing every problem found in all three). `claims`, when given,
    are the claims' items (an iterable read once) in place of the bundle's own."""

    def __init__(self, bundle, progress: NoProgress, claims=None, *, unstorable_checked=False):
        self.bundle, self.progress = bundle, progress
        self.claim_items, self.unstorable_checked = claims, unstorable_checked
        self.problems: list[Problem] = []
        # The columns of values written as text, by attribute code and text: bundles repeat
        # them ("2023", "$1 million"), and each is parsed once.
        self.parsed: dict[tuple[str, str], dict] = {}
        # What is kept of the claims across chunks: the index of each key's first claim (to
        # report one given twice), the subject and attribute each key's claim names (for
        # the flags), as an index into `targets`, and the duplicates found.
        self.claim_first: dict[str, int] = {}
        self.claim_target: dict[str, int] = {}
        self.target_ids: dict[tuple, int] = {}
        self.targets: list[tuple] = []
        self.duplicate_claims: list[Problem] = []

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def read_head(self) -> Plan:
        """The sections before the claims, read and checked; raises BundleInvalid at once
        for text no database can keep, before anything is looked up with it."""
        if not self.unstorable_checked and (unstorable := unstorable_strings(self.bundle)):
            raise BundleInvalid(unstorable)
        checked = bundle_check(self.bundle)
        self.problems += checked.problems
        if not isinstance(self.bundle, dict):
            raise BundleInvalid(self.problems)
        self.sections = {
            name: [] if name in checked.broken else self.bundle.get(name, []) for name in SECTIONS
        }
        if self.claim_items is None:
            self.claim_items = self.sections["claims"]
        plan = Plan()
        plan.publishers = self._each("publishers", self._publisher)
        plan.sources = self._each("sources", self._source)
        plan.entities = self._each("entities", self._entity)
        plan.attributes = self._each("attributes", self._attribute)
        self._check_unique(plan.publishers, "name")
        self._check_unique(plan.sources, "key")
        self._check_unique(plan.entities, "key")
        self._check_unique(plan.attributes, "code")

        self.refs = _References(plan)
        self._check_derived_from(plan)
        return plan

    def read_claims(self):
        """The claims' rows, CLAIMS_CHUNK at a time (every problem recorded, as for the other
        sections; the rows of a claim with problems are still given)."""
        items = self.claim_items
        total = len(items) if isinstance(items, list) else None
        self.progress.start(total, "reading claims")
        rows, done, seen = [], 0, 0
        for index, item in enumerate(items):
            seen = index + 1
            row = self._one("claims", index, item, self._claim)
            if row is None:
                continue
            self._claim_seen(index, row)
            rows.append(row)
            if len(rows) >= CLAIMS_CHUNK:
                self.progress.advance(index + 1 - done)
                done = index + 1
                yield rows
                rows = []
        self.progress.advance(seen - done)
        if rows:
            yield rows
        self.progress.close()
        self.problems += self.duplicate_claims
        self.duplicate_claims = []

    def _claim_seen(self, index: int, row: dict) -> None:
        key = row["key"]
        if key in self.claim_first:
            first = f"claims[{self.claim_first[key]}]"
            self.duplicate_claims.append(
                Problem(f"{row['_place']}.key", DUPLICATE_KEY.format(key=key, first=first))
            )
        elif key:
            self.claim_first[key] = index
        target = (row.get("subject"), row.get("attribute"))
        target_id = self.target_ids.get(target)
        if target_id is None:
            target_id = self.target_ids[target] = len(self.targets)
            self.targets.append(target)
        self.claim_target[key] = target_id

    def claim_keys(self):
        """The keys of the bundle's claims read so far."""
        return self.claim_target.keys()

    def read_tail(self, plan: Plan) -> None:
        """The flags; then raises BundleInvalid if anything read had a problem."""
        plan.flags = self._each("flags", self._flag)
        self._check_unique(plan.flags, "key")
        if self.problems:
            raise BundleInvalid(self.problems)

    def _each(self, section: str, read) -> list[dict]:
        items = self.sections[section]
        rows = []
        self.progress.start(len(items), f"reading {section}")
        for index, item in enumerate(items):
            if index % 1000 == 999:
                self.progress.advance(1000)
            row = self._one(section, index, item, read)
            if row is not None:
                rows.append(row)
        self.progress.advance(len(items) % 1000)
        self.progress.close()
        return rows

    def _one(self, section: str, index: int, item, read) -> dict | None:
        checked = item_check(item, section, index)
        if checked.problems:
            self.problems += checked.problems
        if not isinstance(item, dict):
            return None
        place = f"{section}[{index}]"
        row = read(_Item(self, item, place, checked.broken))
        row["_place"] = place
        # What the entry gives: a field it leaves out leaves an existing row's value as
        # it is (claims.bundles.writing).
        row["_given"] = frozenset(item) | row.pop("_also_given", frozenset())
        return row

    def _check_unique(self, rows: list[dict], name: str) -> None:
        first: dict[str, str] = {}
        for row in rows:
            key = row.get(name)
            if key in first:
                self.problem(
                    f"{row['_place']}.{name}", DUPLICATE_KEY.format(key=key, first=first[key])
                )
            elif key:
                first[key] = row["_place"]

    # One reader per section; each returns the row to write.

    def _publisher(self, item: _Item) -> dict:
        return {
            **item.texts("default_reliability", "notes"),
            "name": item.text("name").strip(),
            "url": item.url("url"),
        }

    def _source(self, item: _Item) -> dict:
        published_on = item.date("published_on")
        text = item.text("text")
        return {
            **item.texts(
                "key",
                "title",
                "publisher",
                "author",
                "kind",
                "reliability",
                "notes",
                "derived_from",
            ),  # fmt: skip
            "url": item.url("url"),
            "published_on": published_on.date if published_on else None,
            "published_on_precision": published_on.precision if published_on else DatePrecision.DAY,
            "language": item.text("language") or "en",
            "text": text,
            "text_sha256": text_digest(text),
        }

    def _entity(self, item: _Item) -> dict:
        return {
            **item.texts("key", "kind", "name", "description", "country", "wikidata"),
            "aliases": item.get("aliases", []),
        }

    def _attribute(self, item: _Item) -> dict:
        value_type = item.text("value_type")
        choices = item.get("choices")
        if choices is not None and value_type and value_type != ValueType.TEXT:
            item.fail("choices", "only text attributes have choices")
        # The columns hold 7 digits, 6 of them decimals; "about" reaches less than 100%.
        # A refused one reads as the default, so that the claims can still be read.
        approx_tolerance = item.decimal("approx_tolerance", default=Decimal("0.10"))
        if not _in_range(approx_tolerance, Decimal(1)):
            item.fail("approx_tolerance", TOLERANCE_RANGE.format(high=1))
            approx_tolerance = Decimal("0.10")
        tolerance = item.decimal("tolerance", default=Decimal("0"))
        if not _in_range(tolerance, Decimal(10)):
            item.fail("tolerance", TOLERANCE_RANGE.format(high=10))
            tolerance = Decimal("0")
        return {
            **item.texts("code", "label", "value_type", "unit", "description"),
            "single_valued": item.get("single_valued", True),
            "time_varying": item.get("time_varying", False),
            "tolerance": tolerance,
            "approx_tolerance": approx_tolerance,
            "choices": choices,
        }

    def _check_derived_from(self, plan: Plan) -> None:
        links = None
        for row in plan.sources:
            ref = row["derived_from"]
            if not ref:
                continue
            place = f"{row['_place']}.derived_from"
            if ref == row["key"]:
                self.problem(place, "a source cannot derive from itself")
                continue
            if not self.refs.has_source(ref):
                self.problem(place, UNKNOWN_SOURCE.format(ref=brief(ref)))
                continue
            if links is None:
                links = self.refs.derivations(plan)
            if cycle := derivation_cycle(links, row["key"]):
                chain = " → ".join(f"“{key}”" for key in cycle)
                self.problem(place, DERIVATION_CYCLE.format(chain=chain))

    def _claim(self, item: _Item) -> dict:
        row = {
            **item.texts("key", "quote", "notes", "value_as_written"),
            "rank": item.text("rank") or Rank.NORMAL,
            "credibility": item.get("credibility"),
        }
        source_key = item.text("source")
        if source_key and not self.refs.has_source(source_key):
            item.fail("source", UNKNOWN_SOURCE.format(ref=brief(source_key)))
            source_key = None
        row["source"] = source_key
        row["subject"] = self._entity_ref(item, "subject", item.text("subject"))
        code = item.text("attribute")
        if code and code not in self.refs.attributes:
            item.fail("attribute", UNKNOWN_ATTRIBUTE.format(ref=brief(code)))
        attribute = self.refs.attributes.get(code)
        row["attribute"] = code

        row["valid_from_value"] = item.date("valid_from")
        row["valid_to_value"] = item.date("valid_to")
        try:
            row.update(
                period_columns(valid_from=row["valid_from_value"], valid_to=row["valid_to_value"])
            )
        except ValidationError:
            item.fail("valid_to", PERIOD_ENDS_BEFORE_IT_STARTS)
        row["claimed_on_value"] = item.date("claimed_on")
        if attribute is not None and item.get("value") is not None:
            row.update(self._value(item, attribute, row))
        return row

    def _flag(self, item: _Item) -> dict:
        """A hand flag (an extension of kb-bundle/1): claims an analyst marks as disagreeing."""
        keys = item.get("claims", [])
        if len(set(keys)) < 2:
            item.fail("claims", "a flag needs at least two different claims")
        targets = set()
        for index, key in enumerate(keys):
            target = self._claim_target(key)
            if target is None:
                item.fail(f"claims[{index}]", UNKNOWN_CLAIM.format(ref=brief(key)))
            else:
                targets.add(target)
        if len(targets) > 1:
            item.fail("claims", "the claims of a flag must share their subject and attribute")
        return {"key": item.text("key"), "claims": keys, "note": item.text("note")}

    def _claim_target(self, key) -> tuple | None:
        """(subject key, attribute code) of the bundle's claim of that key, else of the
        database's."""
        target_id = self.claim_target.get(key) if isinstance(key, str) else None
        if target_id is not None:
            return self.targets[target_id]
        return self.refs.claim_target(key)

    def _entity_ref(self, item: _Item, name: str, ref: str) -> str | None:
        if not ref:
            return None
        keys = self.refs.entity_keys(ref)
        if not keys:
            item.fail(name, UNKNOWN_ENTITY.format(ref=brief(ref)))
            return None
        if len(keys) > 1:
            item.fail(name, AMBIGUOUS_ENTITY.format(ref=brief(ref), keys=", ".join(sorted(keys))))
            return None
        return next(iter(keys))

    # Values: a wording read by the value parser, or a structured value of the attribute's type.

    def _value(self, item: _Item, attribute: Attribute, row: dict) -> dict:
        raw = item.get("value")
        value_type = attribute.value_type
        try:
            if isinstance(raw, str):
                if not row["value_as_written"]:
                    row["value_as_written"] = raw.strip()[:500]
                    row["_also_given"] = frozenset({"value_as_written"})
                if value_type == ValueType.ENTITY:
                    if not raw:
                        # (No entity to look for: the claim would be stored without a value.)
                        item.fail("value", MESSAGES["minLength"])
                        return {}
                    return self._entity_value(item, "value", raw)
                if (columns := self.parsed.get((attribute.code, raw))) is not None:
                    return dict(columns)
                value = values.parse_value(raw, value_type, unit=attribute.unit or None)
                if _too_large(value):
                    item.fail("value", AMOUNT_TOO_LARGE)
                    return {}
            else:
                value = self._structured_value(item, attribute, raw)
                if value_type == ValueType.ENTITY:
                    return self._entity_value(item, "value.entity", value)
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
        except InvalidOperation:
            # An interval widened past the 28 digits the columns hold.
            item.fail("value", AMOUNT_TOO_LARGE)
            return {}
        amounts = ("amount", "amount_max", "low", "high")
        if any(columns.get(name) is not None and columns[name] >= AMOUNT_LIMIT for name in amounts):
            item.fail("value", AMOUNT_TOO_LARGE)
            return {}
        if isinstance(raw, str) and len(self.parsed) < PARSED_KEPT:
            self.parsed[attribute.code, raw] = dict(columns)
        return columns

    def _entity_value(self, item: _Item, place: str, ref: str) -> dict:
        key = self._entity_ref(item, place, ref)
        return {**empty_value_columns(), "entity_value_key": key} if key else {}

    def _structured_value(self, item: _Item, attribute: Attribute, raw: dict):
        value_type = attribute.value_type
        expected = VALUE_FIELDS[value_type]
        # Fields no value has are the schema's to report; these belong to other types.
        misplaced = sorted(set(raw) & set(VALUE["properties"]) - expected)
        if misplaced:
            item.fail(
                f"value.{misplaced[0]}",
                NOT_IN_VALUE.format(value_type=value_type, expected=", ".join(sorted(expected))),
            )
            raise _Failed
        if value_type in NUMERIC_TYPES:
            return self._numeric_value(item, value_type, raw, attribute)
        (name,) = expected
        if name not in raw:
            item.fail("value", MESSAGES["required"].format(name=name))
            raise _Failed
        if value_type == ValueType.DATE:
            try:
                return parse_iso(raw[name])
            except values.ValueParseError as error:
                item.fail("value.date", str(error))
                raise _Failed from error
        if value_type == ValueType.BOOLEAN:
            return raw[name]
        return raw[name].strip()

    def _numeric_value(self, item, value_type, raw, attribute) -> values.NumericValue:
        for name in ("amount", "currency") if value_type == ValueType.MONEY else ("amount",):
            if raw.get(name) is None:
                item.fail("value", MESSAGES["required"].format(name=name))
                raise _Failed
        amount = _decimal(raw["amount"])
        qualifier = raw.get("qualifier", values.EXACT)
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
        for name, number in (("amount", amount), ("max", maximum)):
            if number is not None and number >= AMOUNT_LIMIT:
                item.fail(f"value.{name}", AMOUNT_TOO_LARGE)
                raise _Failed
        currency = unit = None
        if value_type == ValueType.MONEY:
            currency = raw["currency"]
            if not values.is_currency(currency):
                item.fail("value.currency", UNKNOWN_CURRENCY.format(code=brief(currency)))
                raise _Failed
        else:
            unit = raw.get("unit") or attribute.unit or None
            if value_type == ValueType.COUNT and amount != amount.to_integral_value():
                item.fail("value.amount", "a count must be a whole number")
                raise _Failed
        return values.NumericValue(
            kind=value_type, amount=amount, qualifier=qualifier, max=maximum,
            currency=currency, unit=unit,
        )  # fmt: skip


class _Failed(Exception):
    """A problem was recorded; stop reading this value."""


def _too_large(value) -> bool:
    numbers = (getattr(value, "amount", None), getattr(value, "max", None))
    return any(number is not None and number >= AMOUNT_LIMIT for number in numbers)


def _in_range(number: Decimal, high: Decimal) -> bool:
    """0 <= number < high, with at most 6 decimal places (the tolerance columns)."""
    return 0 <= number < high and number == number.quantize(Decimal("0.000001"))


def _decimal(raw) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class _Item:
    """One object of a section, its structure checked by the schema: getters read its fields
    (a field the schema found broken reads as absent) and record problems of meaning."""

    def __init__(self, reader: _Reader, data: dict, place: str, broken: set[str]):
        self.reader, self.data, self.place, self.broken = reader, data, place, broken

    def fail(self, name: str, message: str) -> None:
        self.reader.problem(f"{self.place}.{name}", message)

    def get(self, name: str, default=None):
        value = self.data.get(name)
        return default if value is None or name in self.broken else value

    def text(self, name: str) -> str:
        return self.get(name, "")

    def texts(self, *names: str) -> dict[str, str]:
        return {name: self.text(name) for name in names}

    def url(self, name: str) -> str:
        url = self.text(name)
        if url:
            try:
                URLValidator()(url)
            except ValidationError:
                self.fail(name, f'"{url}" is not a valid URL')
        return url

    def date(self, name: str) -> values.DateValue | None:
        """An ISO date at year, month or day precision; the schema refuses any other form,
        this one a date that does not exist ("2023-02-30", "2023-00")."""
        text = self.text(name)
        if not text or not ISO_FORM.fullmatch(text):
            return None
        try:
            return parse_iso(text)
        except values.ValueParseError as error:
            self.fail(name, str(error))
            return None

    def decimal(self, name: str, *, default: Decimal) -> Decimal:
        """The number, or `default` when absent (or not a number: the schema says so)."""
        number = _decimal(self.get(name))
        return default if number is None else number


class _References:
    """Resolves source keys, attribute codes and entity names against bundle and database."""

    def __init__(self, plan: Plan):
        self.bundle_sources = {row["key"] for row in plan.sources if row["key"]}
        self.db_sources: dict[str, bool] = {}
        # Attributes of the bundle override the database's for reading claims; one whose value
        # type is wrong (and reported) is known, but its claims' values cannot be read.
        self.attributes: dict[str, Attribute | None] = {a.code: a for a in Attribute.objects.all()}
        for row in plan.attributes:
            if row["code"]:
                stored = self.attributes.get(row["code"])
                if stored is None:
                    attribute = Attribute(**row_columns(row))
                else:
                    # The fields the entry leaves out keep their stored values.
                    attribute = copy.copy(stored)
                    for name in row["_given"] & set(row):
                        setattr(attribute, name, row[name])
                self.attributes[row["code"]] = attribute if row["value_type"] else None
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

    def derivations(self, plan: Plan) -> dict[str, str | None]:
        """{source key: the key of the source it derives from}, the bundle's entries in force
        over the database's. One query."""
        links = dict(
            Source.objects.filter(derived_from__isnull=False).values_list(
                "key", "derived_from__key"
            )
        )
        for row in plan.sources:
            if row["key"] and "derived_from" in row["_given"]:
                links[row["key"]] = row["derived_from"] or None
        return links

    def has_source(self, key: str) -> bool:
        if key in self.bundle_sources:
            return True
        if key not in self.db_sources:
            self.db_sources[key] = Source.objects.filter(key=key).exists()
        return self.db_sources[key]

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
