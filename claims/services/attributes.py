"""Writes to attributes."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from claims.models import (
    Attribute,
)


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
