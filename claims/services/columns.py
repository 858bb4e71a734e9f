"""A claim's derived columns: its typed value as interval bounds, its dates as periods, its quote's anchor."""

from __future__ import annotations

import functools
from decimal import Decimal

from django.core.exceptions import ValidationError

from claims import anchoring, values
from claims.display import date_value
from claims.models import (
    NUMERIC_TYPES,
    Attribute,
    QuoteStatus,
    ValueType,
)
from kb.models import DatePrecision, Entity
from sources.models import Source

WRONG_VALUE_TYPE = "A {value_type} attribute needs a {expected} value, not {got!r}."
NOT_A_CHOICE = "{value!r} is not one of the choices of this attribute: {choices}."
UNIT_MISMATCH = 'the attribute counts "{expected}", not "{got}"'

# Every column a value may set; a new value clears the ones it does not use.
VALUE_COLUMNS = (
    "qualifier", "amount", "amount_max", "currency", "unit", "date_value", "date_precision",
    "entity_value", "boolean_value", "text_value", "low", "high", "date_low", "date_high",
)  # fmt: skip
_EMPTY = {
    "qualifier": "",
    "currency": "",
    "unit": "",
    "date_precision": "",
    "text_value": "",
}


def value_parse(*, attribute: Attribute, text: str):
    """Read a wording ("nearly 180", "May 19, 2023") as a value of the attribute's type.

    Raises values.ValueParseError saying what was not understood. Entity values are not
    parsed here: they name an entity, which the caller resolves.
    """
    return values.parse_value(text, attribute.value_type, unit=attribute.unit or None)


def empty_value_columns() -> dict:
    """Every value column cleared: what a claim of another value type leaves unused."""
    return {name: _EMPTY.get(name) for name in VALUE_COLUMNS}


def value_columns(*, attribute: Attribute, value) -> dict:
    """The claim columns for a value of the attribute's type, interval bounds included.

    Raises ValidationError when the value does not fit the attribute.
    """
    columns = empty_value_columns()
    value_type = attribute.value_type
    if value_type in NUMERIC_TYPES:
        if not isinstance(value, values.NumericValue) or value.kind != value_type:
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected=value_type, got=value)
            )
        if (
            value_type != ValueType.MONEY
            and attribute.unit
            and value.unit
            and value.unit != attribute.unit
        ):
            raise ValidationError(UNIT_MISMATCH.format(expected=attribute.unit, got=value.unit))
        low, high = value.interval(
            tolerance=attribute.tolerance, approx_tolerance=attribute.approx_tolerance
        )
        columns.update(
            qualifier=value.qualifier,
            amount=value.amount,
            amount_max=value.max,
            currency=value.currency or "",
            unit="" if value_type == ValueType.MONEY else (value.unit or attribute.unit or ""),
            low=_quantize(low),
            high=None if high is None else _quantize(high),
        )
    elif value_type == ValueType.DATE:
        if not isinstance(value, values.DateValue):
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="date", got=value)
            )
        low, high = value.interval()
        columns.update(
            date_value=value.date, date_precision=value.precision, date_low=low, date_high=high
        )
    elif value_type == ValueType.ENTITY:
        if not isinstance(value, Entity):
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="entity", got=value)
            )
        columns["entity_value"] = value
    elif value_type == ValueType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="yes / no", got=value)
            )
        columns["boolean_value"] = value
    else:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                WRONG_VALUE_TYPE.format(value_type=value_type, expected="text", got=value)
            )
        if attribute.choices is not None and value not in attribute.choices:
            raise ValidationError(
                NOT_A_CHOICE.format(value=value, choices=", ".join(map(str, attribute.choices)))
            )
        columns["text_value"] = value.strip()
    return columns


def period_columns(
    *, valid_from: values.DateValue | None, valid_to: values.DateValue | None
) -> dict:
    """The valid-period columns: each end with its precision, and the closed day interval."""
    if valid_from and valid_to and valid_to.interval()[1] < valid_from.interval()[0]:
        raise ValidationError({"valid_to": "The valid period ends before it starts."})
    return {
        "valid_from": valid_from.date if valid_from else None,
        "valid_from_precision": valid_from.precision if valid_from else DatePrecision.DAY,
        "valid_to": valid_to.date if valid_to else None,
        "valid_to_precision": valid_to.precision if valid_to else DatePrecision.DAY,
        "valid_start": valid_from.interval()[0] if valid_from else None,
        "valid_end": valid_to.interval()[1] if valid_to else None,
    }


def claimed_on_columns(*, claimed_on: values.DateValue | None, source: Source) -> dict:
    """claimed_on and its precision, defaulting to the source's published date."""
    if claimed_on is not None:
        return {"claimed_on": claimed_on.date, "claimed_on_precision": claimed_on.precision}
    return {
        "claimed_on": source.published_on,
        "claimed_on_precision": source.published_on_precision,
    }


def effective_period_columns(columns: dict) -> dict:
    """period_known / period_start / period_end from the valid period and claimed_on columns.

    The valid period when there is one, else the period claimed_on's precision covers, else
    unknown (a claim with neither overlaps everything).
    """
    if columns.get("valid_from") or columns.get("valid_to"):
        return {
            "period_known": True,
            "period_start": columns.get("valid_start"),
            "period_end": columns.get("valid_end"),
        }
    interval = _covered(columns.get("claimed_on"), columns.get("claimed_on_precision"))
    if interval is None:
        return {"period_known": False, "period_start": None, "period_end": None}
    start, end = interval
    return {"period_known": True, "period_start": start, "period_end": end}


@functools.lru_cache(maxsize=4096)
def _covered(day, precision) -> tuple | None:
    """The days a date of that precision covers (an import's claims repeat their sources'
    dates: each is worked out once)."""
    claimed = date_value(day, precision)
    return None if claimed is None else claimed.interval()


def time_columns(
    *,
    valid_from: values.DateValue | None,
    valid_to: values.DateValue | None,
    claimed_on: values.DateValue | None,
    source: Source,
) -> dict:
    """Every date column of a claim: valid period, claimed_on, and the effective period."""
    columns = {
        **period_columns(valid_from=valid_from, valid_to=valid_to),
        **claimed_on_columns(claimed_on=claimed_on, source=source),
    }
    columns.update(effective_period_columns(columns))
    return columns


QUOTE_NOT_IN_SOURCE = (
    "This quote does not occur in the source's stored text. A quote must be the source's exact "
    "words: copy it from the text (watch for curly quotes, dashes and line breaks)."
)


def quote_columns(*, source: Source, quote: str, near: int | None = None) -> dict:
    """Where the quote stands in the source's text (among repeats, the one at or nearest the
    offset `near` when given); raises ValidationError when the source has a text that does
    not hold the quote. Without a text, the quote stays unchecked."""
    if not source.text:
        return {
            "quote_status": QuoteStatus.UNCHECKED,
            "quote_start": None,
            "quote_end": None,
            "quote_prefix": "",
            "quote_suffix": "",
        }
    found = anchoring.anchor(source.text, quote, near=near)
    if found is None:
        raise ValidationError({"quote": QUOTE_NOT_IN_SOURCE})
    return {
        "quote_status": QuoteStatus.ANCHORED,
        "quote_start": found.start,
        "quote_end": found.end,
        "quote_prefix": found.prefix,
        "quote_suffix": found.suffix,
    }


def _quantize(number: Decimal) -> Decimal:
    # The columns keep six decimals; rounding outward would be wrong for neither bound here
    # because amounts are whole cents at worst and tolerances have six decimals.
    return Decimal(number).quantize(Decimal("0.000001"))
