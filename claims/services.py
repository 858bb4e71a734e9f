"""Writes to attributes and claims, with their typed values normalised into interval columns."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from claims import values
from claims.models import NUMERIC_TYPES, Attribute, Claim, Qualifier, Rank, ValueType
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


def _quantize(number: Decimal) -> Decimal:
    # The columns keep six decimals; rounding outward would be wrong for neither bound here
    # because amounts are whole cents at worst and tolerances have six decimals.
    return Decimal(number).quantize(Decimal("0.000001"))


@transaction.atomic
def attribute_create(
    *,
    code: str,
    label: str,
    value_type: str,
    unit: str = "",
    single_valued: bool = True,
    time_varying: bool = False,
    tolerance: Decimal | str | int = 0,
    approx_tolerance: Decimal | str = "0.10",
    choices: list[str] | None = None,
    description: str = "",
) -> Attribute:
    """Create an attribute; raises ValidationError on bad fields."""
    attribute = Attribute(
        code=code,
        label=label,
        value_type=value_type,
        unit=unit,
        single_valued=single_valued,
        time_varying=time_varying,
        tolerance=Decimal(str(tolerance)),
        approx_tolerance=Decimal(str(approx_tolerance)),
        choices=choices,
        description=description,
    )
    attribute.full_clean()
    attribute.save()
    return attribute


@transaction.atomic
def claim_create(
    *,
    key: str,
    subject: Entity,
    attribute: Attribute,
    source: Source,
    value,
    quote: str,
    credibility: int,
    valid_from: values.DateValue | None = None,
    valid_to: values.DateValue | None = None,
    claimed_on: values.DateValue | None = None,
    rank: str = Rank.NORMAL,
    value_as_written: str = "",
    notes: str = "",
    user=None,
) -> Claim:
    """Create a claim; `value` is a parsed value (see value_parse) or an Entity.

    Raises ValidationError on a value that does not fit the attribute or on bad fields.
    """
    claim = Claim(
        key=key,
        subject=subject,
        attribute=attribute,
        source=source,
        value_type=attribute.value_type,
        value_as_written=value_as_written,
        quote=quote,
        credibility=credibility,
        rank=rank,
        notes=notes,
        created_by=user,
        **value_columns(attribute=attribute, value=value),
        **period_columns(valid_from=valid_from, valid_to=valid_to),
        **claimed_on_columns(claimed_on=claimed_on, source=source),
    )
    claim.full_clean()
    claim.save()
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, value=None, **fields) -> Claim:
    """Change a claim's fields (and its value, when given); raises ValidationError on bad input."""
    if value is not None:
        for name, column in value_columns(attribute=claim.attribute, value=value).items():
            setattr(claim, name, column)
    for name, field_value in fields.items():
        setattr(claim, name, field_value)
    claim.value_type = claim.attribute.value_type
    claim.full_clean()
    claim.save()
    return claim


@transaction.atomic
def claim_delete(*, claim: Claim) -> None:
    """Delete a claim; its history keeps what it said."""
    claim.delete()


def date_value(date: datetime.date | None, precision: str) -> values.DateValue | None:
    """A stored date and its precision as a DateValue (None stays None)."""
    return values.DateValue(date, precision) if date else None
