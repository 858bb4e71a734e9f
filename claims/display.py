"""How claims read: the typed value behind a claim's columns, and its wording for people
("$1.5 billion", "May 19, 2023", "[180000000, +∞] USD"), for the pages, the admin and the API."""

from __future__ import annotations

import datetime
from decimal import Decimal

from claims import values
from claims.models import NUMERIC_TYPES, Claim, Qualifier, ValueType
from kb.models import Entity


def claim_value(claim: Claim):
    """The claim's value as a value object (NumericValue, DateValue, Entity, bool or str)."""
    value_type = claim.value_type
    if value_type in NUMERIC_TYPES:
        return values.NumericValue(
            kind=value_type,
            amount=claim.amount,
            qualifier=claim.qualifier or Qualifier.EXACT,
            max=claim.amount_max if claim.qualifier == Qualifier.RANGE else None,
            currency=claim.currency or None,
            unit=claim.unit or None,
        )
    if value_type == ValueType.DATE:
        return values.DateValue(claim.date_value, claim.date_precision)
    if value_type == ValueType.ENTITY:
        return claim.entity_value
    if value_type == ValueType.BOOLEAN:
        return claim.boolean_value
    return claim.text_value


def claim_value_display(claim: Claim) -> str:
    """The claim's value for people: "$1.5 billion", "May 19, 2023", "Iquitos"."""
    value = claim_value(claim)
    if isinstance(value, Entity):
        return value.name
    return values.format_value(value)


def date_value(date: datetime.date | None, precision: str) -> values.DateValue | None:
    """A stored date and its precision as a DateValue (None stays None)."""
    return values.DateValue(date, precision) if date else None


# Contradictions.


def claim_interval_display(claim: Claim) -> str:
    """The interval a claim's value denotes, as stored: "[180000000, 180000000] USD"."""
    if claim.low is not None:
        high = "+∞" if claim.high is None else f"{claim.high.normalize():f}"
        unit = claim.currency or claim.unit
        return f"[{claim.low.normalize():f}, {high}] {unit}".strip()
    if claim.date_low:
        return f"{claim.date_low} .. {claim.date_high}"
    return claim_value_display(claim)


def date_display(date: datetime.date | None, precision: str) -> str:
    """A stored date as people read it at its precision: "May 19, 2023", "December 2023"."""
    value = date_value(date, precision)
    return values.format_value(value) if value else ""


def plain_decimal(number: Decimal | None) -> str | None:
    """A stored decimal as plain digits without trailing zeros: "162000000", "0.5"."""
    if number is None:
        return None
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# A claim's display depends on its value columns only; formatting one takes ~0.1 ms (Babel,
# then a read-back check), so a bounded memo keeps pages of repeated values cheap.
_DISPLAY_MEMO: dict = {}
_DISPLAY_MEMO_LIMIT = 100_000


def value_display(claim: Claim) -> str:
    """claim_value_display(claim), remembered for numbers and dates."""
    value_type = claim.value_type
    if value_type in NUMERIC_TYPES:
        key = (
            value_type,
            claim.amount,
            claim.qualifier,
            claim.amount_max,
            claim.currency,
            claim.unit,
        )
    elif value_type == ValueType.DATE:
        key = (value_type, claim.date_value, claim.date_precision)
    else:
        return claim_value_display(claim)
    display = _DISPLAY_MEMO.get(key)
    if display is None:
        if len(_DISPLAY_MEMO) >= _DISPLAY_MEMO_LIMIT:
            _DISPLAY_MEMO.clear()
        display = _DISPLAY_MEMO[key] = claim_value_display(claim)
    return display
