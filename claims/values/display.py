"""Claim values for people: "$1.5 billion", "more than 300", "May 19, 2023", in wordings the parser reads back."""

from __future__ import annotations

import functools
from decimal import Decimal, localcontext

from babel import Locale
from babel.numbers import format_compact_decimal, format_decimal

from claims.values.types import (
    APPROXIMATELY,
    AT_LEAST,
    AT_MOST,
    EXACT,
    EXACT_ARITHMETIC,
    RANGE,
    DateValue,
    NumericValue,
    ValueParseError,
    plain,
)
from claims.values.wording import parse_numeric
from kb.dates import forget_dates_shown

# The locale numbers are shown in, parsed once (Babel parses a locale's name at each call).
_SHOWN_IN = Locale.parse("en_US")
# How the display writes the common currencies; any other shows its ISO code ("CHF 5 million").
_DISPLAY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "PEN": "S/ "}
_LEADS = {EXACT: "", APPROXIMATELY: "about ", AT_LEAST: "more than ", AT_MOST: "up to "}


def _compact(amount: Decimal) -> str | None:
    """ "1.5 billion" when that is exact (at most 3 decimals at its scale), else None."""
    # From a thousand trillion up Babel writes "1000 trillion", which helps no reader.
    if amount >= Decimal(10) ** 15:
        return None
    for exponent in (12, 9, 6):
        if amount >= Decimal(10) ** exponent:
            if len(plain(amount.scaleb(-exponent, context=EXACT_ARITHMETIC)).partition(".")[2]) > 3:
                return None
            return format_compact_decimal(
                amount, format_type="long", locale=_SHOWN_IN, fraction_digits=3
            )
    return None


def _amount_text(amount: Decimal, currency: str | None, *, compact: bool) -> str:
    # Babel rounds to the current context's precision; EXACT_ARITHMETIC holds every digit.
    with localcontext(EXACT_ARITHMETIC):
        number = (_compact(amount) if compact else None) or format_decimal(
            amount, locale=_SHOWN_IN, decimal_quantization=False
        )
    if currency is None:
        return number
    symbol = _DISPLAY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{currency} {number}"


def _numeric_text(value: NumericValue, *, compact: bool) -> str:
    amount = _amount_text(value.amount, value.currency, compact=compact)
    if value.qualifier == RANGE:
        return f"between {amount} and {_amount_text(value.max, value.currency, compact=compact)}"
    return _LEADS[value.qualifier] + amount


def _format_numeric(value: NumericValue) -> str:
    # Decimal("1.50") equals Decimal("1.5") but shows otherwise: the amounts are keyed as
    # written.
    return _numeric_shown(
        value.kind,
        str(value.amount),
        value.qualifier,
        None if value.max is None else str(value.max),
        value.currency,
        value.unit,
    )


@functools.lru_cache(maxsize=16384)
def _numeric_shown(kind, amount, qualifier, most, currency, unit) -> str:
    """A numeric value's display, worked out once per value: Babel and the read-back check
    cost 20-30 µs a value, most of an entity page's rendering."""
    value = NumericValue(
        kind, Decimal(amount), qualifier, None if most is None else Decimal(most), currency, unit
    )
    text = _numeric_text(value, compact=True)
    # The compact form can read back differently ("between $1 and $2 million" shares "million"),
    # so it is only used when it gives the value back; full digits always do.
    try:
        if parse_numeric(text, value.kind, value.unit) == value:
            return text
    except ValueParseError:
        pass
    return _numeric_text(value, compact=False)


def format_value(value) -> str:
    """The value for display, in a wording the parser reads back to the same value.

    "$1.5 billion", "more than $350 million", "between 15 and 20", "1,500", "May 19, 2023",
    "December 2023", "2019", "yes". A count or quantity shows its number only, not its unit.
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, NumericValue):
        return _format_numeric(value)
    if isinstance(value, DateValue):
        return value.display()
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot display a {type(value).__name__} as a claim value")


def format_grouped(amount: Decimal) -> str:
    """Every digit of an amount, grouped by thousands: "174,600,000", "0.5", "1,234.25"."""
    return _grouped(plain(amount))


@functools.lru_cache(maxsize=16384)
def _grouped(digits: str) -> str:
    """format_grouped of an amount's plain digits, worked out once per amount (Babel: 9 µs)."""
    with localcontext(EXACT_ARITHMETIC):
        return format_decimal(Decimal(digits), locale=_SHOWN_IN, decimal_quantization=False)


def format_interval(low: Decimal, high: Decimal | None, unit: str | None = None) -> str:
    """A stored numeric interval for people, in full grouped digits with its currency or unit.

    "180,000,000 USD" (one point), "[174,600,000 – 185,400,000] USD", "at least
    1,800,000,000 USD" (no upper bound), "up to 10 years" (from zero).
    """
    tail = f" {unit}" if unit else ""
    if high is None:
        return f"at least {format_grouped(low)}{tail}"
    if low == high:
        return f"{format_grouped(low)}{tail}"
    if low == 0:
        return f"up to {format_grouped(high)}{tail}"
    return f"[{format_grouped(low)} – {format_grouped(high)}]{tail}"


def forget_shown() -> None:
    """Forget every display worked out so far (the benchmark starts each request without
    them, as a worker that has not yet shown those values would)."""
    _numeric_shown.cache_clear()
    _grouped.cache_clear()
    forget_dates_shown()
