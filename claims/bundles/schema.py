"""The structure of kb-bundle/1 (SPEC section 4) as a JSON Schema, and one table from a schema
error to the message people read, with its place in the bundle ("claims[0].value.currency")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import orjson
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaError

from claims.models import Rank, ValueType
from claims.values import QUALIFIERS
from kb.dates import ISO_PATTERN
from kb.models import KEY_PATTERN, Entity
from sources.models import GRADES, Source

FORMAT = "kb-bundle/1"


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


# The schema. A property's "description" says what it expects (messages read "expected ...",
# '"x" is not ...'); its "title" names it in enum and range messages (else its own name).

NUMBER = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
DATE_WORDS = 'a date such as "2023", "2023-05" or "2023-05-19"'

KEY = {
    "type": "string", "minLength": 1, "maxLength": 200, "pattern": KEY_PATTERN,
    "description": "a key (letters, digits, '-', '_' and '.' only)",
}  # fmt: skip
OPTIONAL_TEXT = {"type": ["string", "null"]}
# Exactly ISO 8601 at year, month or day precision: "2024-1-1", "-2024" or a time are errors,
# never read some other way.
DATE = {"type": ["string", "null"], "pattern": f"^{ISO_PATTERN}$", "description": DATE_WORDS}
GRADE = {"enum": [*GRADES, "", None], "title": "reliability grade"}
FLAG = {"type": ["boolean", "null"]}
# Names are as long as the columns that keep them; references as long as what they name.
NAME, CODE = 300, 100
STRINGS = {"type": ["array", "null"], "items": {"type": "string"}}
NAMES = {
    "type": ["array", "null"],
    "items": {"type": "string", "maxLength": NAME, "notBlank": True},
}


def _text(max_length: int | None = None, *, required: bool = False) -> dict:
    schema = {"type": "string"} if required else dict(OPTIONAL_TEXT)
    if required:
        schema["minLength"] = 1
        schema["notBlank"] = True
    if max_length:
        schema["maxLength"] = max_length
    return schema


def _decimal(example: str, *, nullable: bool = True) -> dict:
    types = ["number", "string", "null"] if nullable else ["number", "string"]
    return {"type": types, "pattern": NUMBER, "description": f"a number such as {example}"}


def _object(required: list[str], properties: dict) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


# The value's fields; which of them a claim's value takes depends on its attribute's type.
VALUE = {
    "type": ["string", "object"],
    "properties": {
        "amount": _decimal('"180000000"', nullable=False),
        "max": _decimal('"200000000"'),
        "currency": {"type": "string", "description": 'an ISO 4217 code such as "USD"'},
        "unit": _text(50),
        "qualifier": {"enum": list(QUALIFIERS)},
        "date": {"type": "string", "pattern": f"^{ISO_PATTERN}$", "description": DATE_WORDS},
        "entity": _text(NAME, required=True),
        "boolean": {"type": "boolean"},
        "text": _text(required=True),
    },
    "additionalProperties": False,
}

DEFINITIONS = {
    # An extension of kb-bundle/1: publishers with the grade their sources inherit.
    "publisher": _object(["name"], {
        "name": _text(NAME, required=True),
        "url": _text(2000),
        "default_reliability": GRADE,
        "notes": OPTIONAL_TEXT,
    }),
    "source": _object(["key", "title", "kind"], {
        "key": KEY,
        "title": _text(500, required=True),
        "url": _text(2000),
        "publisher": _text(NAME),
        "author": _text(300),
        "published_on": DATE,
        "kind": {"enum": Source.Kind.values},
        "reliability": GRADE,
        "language": _text(10),
        "text": OPTIONAL_TEXT,
        "notes": OPTIONAL_TEXT,
        "derived_from": _text(200),
    }),
    "entity": _object(["key", "kind", "name"], {
        "key": KEY,
        "kind": {"enum": Entity.Kind.values},
        "name": _text(NAME, required=True),
        "aliases": NAMES,
        "description": OPTIONAL_TEXT,
        "country": {
            "type": ["string", "null"], "pattern": "^([A-Z]{2})?$",
            "description": 'an ISO 3166 alpha-2 code such as "PE"',
        },
        "wikidata": {
            "type": ["string", "null"], "pattern": "^(Q[0-9]+)?$", "maxLength": 20,
            "description": 'a Wikidata id such as "Q419"',
        },
    }),
    "attribute": _object(["code", "label", "value_type"], {
        "code": {
            "type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[a-z0-9_]+$",
            "description": "an attribute code (lower-case letters, digits and '_' only)",
        },
        "label": _text(200, required=True),
        "value_type": {"enum": ValueType.values, "title": "value type"},
        "single_valued": FLAG,
        "time_varying": FLAG,
        "tolerance": _decimal("0.05"),
        "approx_tolerance": _decimal("0.1"),
        "unit": _text(50),
        "choices": STRINGS,
        "description": OPTIONAL_TEXT,
    }),
    "claim": _object(["key", "subject", "attribute", "value", "source", "quote", "credibility"], {
        "key": KEY,
        "subject": _text(NAME, required=True),
        "attribute": _text(CODE, required=True),
        "value": VALUE,
        "value_as_written": _text(500),
        "valid_from": DATE,
        "valid_to": DATE,
        "claimed_on": DATE,
        "source": _text(200, required=True),
        "quote": _text(required=True),
        "credibility": {"type": "integer", "minimum": 1, "maximum": 6},
        "rank": {"enum": [*Rank.values, "", None]},
        "notes": OPTIONAL_TEXT,
    }),
    # An extension of kb-bundle/1: claims an analyst flagged by hand as disagreeing.
    "flag": _object(["key", "claims", "note"], {
        "key": KEY,
        "claims": {"type": "array", "items": {"type": "string", "maxLength": 200}},
        "note": _text(required=True),
    }),
}  # fmt: skip

# Each section of the bundle and the definition of its items, in the order they are read.
SECTIONS = {
    "publishers": "publisher",
    "sources": "source",
    "entities": "entity",
    "attributes": "attribute",
    "claims": "claim",
    "flags": "flag",
}


def _bundle(items: bool) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": FORMAT,
        **_object(
            ["format"],
            {
                "format": {"const": FORMAT},
                **{
                    section: {"type": "array"}
                    | ({"items": {"$ref": f"#/$defs/{item}"}} if items else {})
                    for section, item in SECTIONS.items()
                },
            },
        ),
        "$defs": DEFINITIONS,
    }


#: The whole kb-bundle/1 document as a JSON Schema (draft 2020-12).
BUNDLE_SCHEMA = _bundle(items=True)


# The table: a schema error, by the keyword that failed, to its message.

MESSAGES = {
    "type": "expected {expected}",
    "required": 'missing "{name}"',  # placed at the object that lacks it
    "additionalProperties": "unknown {member}",  # placed at each unknown member
    "const": "expected {const}, not {value}",
    "enum": "unknown {title} {value}: use one of {choices}",
    "pattern": "{value} is not {expected}",
    "minLength": "must not be empty",  # the schema asks only for at least one character
    "notBlank": "must not be blank",  # spaces only
    "maxLength": "longer than {limit} characters",
    "minimum": "{title} must be {expected} {bounds}",
    "maximum": "{title} must be {expected} {bounds}",
}

TYPE_WORDS = {
    "string": "a string",
    "array": "a list",
    "object": "a JSON object",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
}
SHOWN = 60  # characters of a wrong value quoted in a message


def place_of(path: Iterable[str | int]) -> str:
    """ "claims[0].value.currency" for ("claims", 0, "value", "currency"); "bundle" for ()."""
    place = ""
    for part in path:
        place += f"[{part}]" if isinstance(part, int) else (f".{part}" if place else part)
    return place or "bundle"


def problems_of(errors: Iterable[SchemaError], at: tuple = ()) -> list[Problem]:
    """The problems the errors of validating the part of the bundle at `at` stand for, each
    once, in the order they were found."""
    found: dict[Problem, None] = {}
    for error in errors:
        for path, message in _explained(error, (*at, *error.path)):
            found[Problem(place_of(path), message)] = None
    return list(found)


def _explained(error: SchemaError, path: tuple) -> list[tuple[tuple, str]]:
    keyword, schema, instance = error.validator, error.schema, error.instance
    if keyword not in MESSAGES:
        return [(path, error.message)]
    template = MESSAGES[keyword]
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in instance]
        return [(path, template.format(name=name)) for name in missing]
    if keyword == "additionalProperties":
        member = "field" if path else "section"
        unknown = sorted(set(instance) - set(schema.get("properties", {})))
        return [((*path, name), template.format(member=member)) for name in unknown]
    name = path[-1] if path and isinstance(path[-1], str) else "value"
    types = schema.get("type", [])
    expected = schema.get("description") or " or ".join(
        TYPE_WORDS[t] for t in ([types] if isinstance(types, str) else types) if t != "null"
    )
    low, high = schema.get("minimum"), schema.get("maximum")
    bounds = (
        f"from {low} to {high}"
        if low is not None and high is not None
        else (f"of at least {low}" if high is None else f"of at most {high}")
    )
    shown = json.dumps(instance, ensure_ascii=False)
    return [
        (
            path,
            template.format(
                expected=expected,
                const=json.dumps(error.validator_value),
                value=shown if len(shown) <= SHOWN else shown[: SHOWN - 4] + '..."',
                title=schema.get("title", name.replace("_", " ")),
                choices=", ".join(str(c) for c in schema.get("enum", []) if c not in ("", None)),
                limit=error.validator_value,
                bounds=bounds,
            ),
        )
    ]


def _pattern(validator, pattern: str, instance, schema):
    # The patterns are anchored; read them as ECMA-262 does, where "$" ends the text (in
    # Python's re.search it also matches before a final newline, which no key may hold).
    if validator.is_type(instance, "string") and not re.fullmatch(pattern, instance):
        yield SchemaError(f"{instance!r} does not match {pattern!r}")


def _not_blank(validator, wanted: bool, instance, schema):
    # An empty string is minLength's to report.
    if wanted and validator.is_type(instance, "string") and instance and not instance.strip():
        yield SchemaError("blank")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern, "notBlank": _not_blank})
_TOP = _Validator(_bundle(items=False))
_ITEMS = {
    item: _Validator({"$defs": DEFINITIONS, "$ref": f"#/$defs/{item}"})
    for item in SECTIONS.values()
}


NUL_IN_TEXT = "holds a NUL character (\\u0000), which no text may hold"
LONE_SURROGATE = (
    "holds a lone surrogate ({code}), which is not a character: the text is not valid Unicode"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable_strings(bundle) -> list[Problem]:
    """Every string of the bundle, member names included, that no database can store: one
    with a NUL character or a lone surrogate (JSON's "\\ud800" escapes allow both), each
    with its place. Walks the bundle once, without recursion."""
    if not _any_unstorable(bundle):
        return []
    problems, stack = [], [(bundle, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for name, value in node.items():
                if isinstance(name, str) and (message := _unstorable(name)):
                    problems.append(Problem(place_of(path), f"a field's name {message}"))
                    continue
                stack.append((value, (*path, name)))
        elif isinstance(node, list):
            stack += [(value, (*path, index)) for index, value in enumerate(node)]
        elif isinstance(node, str) and (message := _unstorable(node)):
            problems.append(Problem(place_of(path), message))
    return sorted(problems, key=lambda problem: problem.place)


def _any_unstorable(bundle) -> bool:
    """Whether any string of the bundle may be one unstorable_strings reports, answered by
    encoding it with orjson, in C: orjson refuses a lone surrogate, and writes a NUL as
    "\\u0000". It may answer yes for nothing (a string holding those six characters, a value
    JSON does not have); unstorable_strings then walks the bundle and finds nothing. A bundle
    with none of them costs one encoding: 0.1 s for 100,000 claims, where a walk took 0.4."""
    try:
        encoded = orjson.dumps(bundle)
    except (orjson.JSONEncodeError, TypeError):
        return True
    return b"\\u0000" in encoded


def _unstorable(text: str) -> str | None:
    if "\x00" in text:
        return NUL_IN_TEXT
    if found := _SURROGATE.search(text):
        return LONE_SURROGATE.format(code=f"\\u{ord(found[0]):04x}")
    return None


class Checked(NamedTuple):
    problems: list[Problem]
    # The members of the checked object that are not what the schema says they are (of
    # another type, not one of the choices, or with a wrong part): the reader leaves them
    # unread. A key or code that breaks its pattern is still read, so that what refers to it
    # resolves and only the key itself is reported.
    broken: set[str]


def bundle_check(bundle) -> Checked:
    """The bundle's own structure (an object, its format, its sections as lists), its items
    left to item_check. Broken sections are not to be read."""
    return _check(_TOP, bundle, ())


def item_check(item, section: str, index: int) -> Checked:
    """The structure of one item of a section. An item the quick check (_quick) passes has
    nothing wrong; any other is checked by the schema's validator, which says what is wrong."""
    name = SECTIONS[section]
    quick = _QUICK[name]
    if quick is not None and quick(item):
        return Checked([], set())
    return _check(_ITEMS[name], item, (section, index))


# The quick check: each definition compiled into one Python function that answers True only
# when the validator would find nothing wrong. An item it doubts (False) goes to the validator,
# so it may be strict (an integer written 1.0 is doubted, then found fine) but never lenient.
# A keyword it does not know leaves that definition to the validator alone.

_NUMBER_TYPES = (int, float, Decimal)
_QUICK_TYPES = {
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, _NUMBER_TYPES) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}
_WORDS = {"description", "title"}


def _quick(schema: dict):
    checks = []
    for keyword, wanted in schema.items():
        if keyword in _WORDS or keyword in _OBJECT_KEYWORDS:
            continue
        check = _quick_keyword(keyword, wanted, schema)
        if check is None:
            return None
        checks.append(check)
    if _OBJECT_KEYWORDS & set(schema):
        check = _quick_object(schema)
        if check is None:
            return None
        checks.append(check)
    if len(checks) == 1:
        return checks[0]
    checks = tuple(checks)

    def all_of(v):
        for check in checks:  # noqa: SIM110 (a loop: no generator per call)
            if not check(v):
                return False
        return True

    return all_of


_OBJECT_KEYWORDS = {"properties", "required", "additionalProperties"}


def _quick_object(schema: dict):
    """properties, required and additionalProperties (False only) in one pass."""
    if schema.get("additionalProperties", False) is not False:
        return None
    members = {name: _quick(sub) for name, sub in schema.get("properties", {}).items()}
    if any(check is None for check in members.values()):
        return None
    required = tuple(schema.get("required", ()))
    closed = "additionalProperties" in schema

    def check_object(v):
        if not isinstance(v, dict):
            return True
        for name in required:
            if name not in v:
                return False
        for name, value in v.items():
            check = members.get(name)
            if check is None:
                if closed:
                    return False
            elif not check(value):
                return False
        return True

    return check_object


def _quick_keyword(keyword: str, wanted, schema: dict):  # noqa: C901, PLR0911, PLR0912
    if keyword == "type":
        names = [wanted] if isinstance(wanted, str) else wanted
        if any(name not in _QUICK_TYPES for name in names):
            return None
        if len(names) == 1:
            return _QUICK_TYPES[names[0]]
        tests = tuple(_QUICK_TYPES[name] for name in names)

        def any_type(v):
            for test in tests:  # noqa: SIM110 (a loop: no generator per call)
                if test(v):
                    return True
            return False

        return any_type
    if keyword == "enum":
        if not all(choice is None or isinstance(choice, str) for choice in wanted):
            return None
        choices = set(wanted)
        return lambda v: (v is None or isinstance(v, str)) and v in choices
    if keyword == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= wanted
    if keyword == "maxLength":
        return lambda v: not isinstance(v, str) or len(v) <= wanted
    if keyword == "pattern":
        compiled = re.compile(wanted)
        return lambda v: not isinstance(v, str) or compiled.fullmatch(v) is not None
    if keyword == "notBlank":
        return lambda v: not wanted or not isinstance(v, str) or not v or bool(v.strip())
    if keyword in ("minimum", "maximum"):
        if not isinstance(wanted, int):
            return None
        low = keyword == "minimum"
        return lambda v: (
            not isinstance(v, _NUMBER_TYPES)
            or isinstance(v, bool)
            or (v >= wanted if low else v <= wanted)
        )
    if keyword == "items":
        each = _quick(wanted)
        if each is None:
            return None
        return lambda v: not isinstance(v, list) or all(each(x) for x in v)
    return None


_QUICK = {item: _quick(DEFINITIONS[item]) for item in SECTIONS.values()}


def _check(validator, instance, at: tuple) -> Checked:
    errors = list(validator.iter_errors(instance))
    broken = {
        error.path[0]
        for error in errors
        if len(error.path) > 1 or (error.path and error.validator in ("type", "enum"))
    }
    return Checked(problems_of(errors, at), broken)
