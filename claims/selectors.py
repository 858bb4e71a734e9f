"""Reads: claims and their values as people see them."""

from __future__ import annotations

import datetime

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
