"""Claim values as objects: amounts with their qualifier and interval, and dates at a precision."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation

from babel.numbers import list_currencies

from kb.dates import NOT_A_MAPPING, UNEXPECTED_KEYS, PartialDate, ValueParseError, brief

EXACT, APPROXIMATELY, AT_LEAST, AT_MOST, RANGE = "exact", "approximately", "at_least", "at_most", "range"  # fmt: skip
QUALIFIERS = (EXACT, APPROXIMATELY, AT_LEAST, AT_MOST, RANGE)
MONEY, QUANTITY, COUNT = "money", "quantity", "count"
NUMERIC_KINDS = (MONEY, QUANTITY, COUNT)
VALUE_TYPES = ("money", "quantity", "count", "date", "boolean", "text")

DEFAULT_APPROX_TOLERANCE = Decimal("0.10")
# No claim needs more digits than this; with the cap, arithmetic in EXACT_ARITHMETIC never rounds.
MAX_DIGITS = 40
EXACT_ARITHMETIC = Context(prec=3 * MAX_DIGITS)

# Messages users see (the bundle importer prefixes them with the place in the bundle).
UNKNOWN_CURRENCY = 'unknown currency "{code}"'
RANGE_REVERSED = "a range must not end ({high}) below where it starts ({low})"
RANGE_NEEDS_MAX = "a range needs a maximum"
MAX_ONLY_FOR_RANGE = "only a range has a maximum; use the qualifier range or drop the maximum"
NOT_WHOLE = "a count must be a whole number, not {amount}"
NEGATIVE_AMOUNT = "an amount cannot be negative ({amount})"
BAD_AMOUNT = 'could not read the amount "{amount}"'
TOO_MANY_DIGITS = (
    f'the amount "{{amount}}" is too long or too large: a value has at most {MAX_DIGITS} digits'
)
UNKNOWN_KIND = 'unknown kind of number "{kind}"; expected money, quantity or count'
UNKNOWN_QUALIFIER = 'unknown qualifier "{qualifier}"; expected one of ' + ", ".join(QUALIFIERS)
MONEY_NEEDS_CURRENCY = "money needs a currency (an ISO 4217 code such as USD)"
CURRENCY_ONLY_FOR_MONEY = "only money has a currency; quantities and counts have a unit"
UNIT_NOT_FOR_MONEY = "money has a currency, not a unit"
UNIT_NOT_TEXT = "expected the unit as text, got {type}"
MISSING_AMOUNT = 'a numeric value needs an "amount"'

# A date value is a kb.dates.PartialDate: one type for claims' dates and every other date.
DateValue = PartialDate

_CURRENCIES = frozenset(list_currencies())


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency code that Babel knows, e.g. "USD"."""
    return code in _CURRENCIES


def plain(amount: Decimal) -> str:
    """A decimal as plain digits: no exponent and no trailing zeros after the point."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _as_amount(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueParseError(BAD_AMOUNT.format(amount=brief(str(value))))
    try:
        # Through str(): a float's shortest repr is what its writer meant (0.1, not 0.1000…055).
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueParseError(BAD_AMOUNT.format(amount=brief(str(value)))) from None
    if not amount.is_finite():
        raise ValueParseError(BAD_AMOUNT.format(amount=brief(str(value))))
    if not amount:
        return Decimal(0)
    if len(amount.as_tuple().digits) > MAX_DIGITS or abs(amount.adjusted()) > MAX_DIGITS:
        raise ValueParseError(TOO_MANY_DIGITS.format(amount=brief(str(value))))
    if amount < 0:
        raise ValueParseError(NEGATIVE_AMOUNT.format(amount=plain(amount)))
    # One spelling per number, so "1.50", "1.5" and "15E-1" store and export alike.
    return Decimal(plain(amount))


def _as_tolerance(value) -> Decimal:
    tolerance = value if isinstance(value, Decimal) else Decimal(str(value))
    if not tolerance.is_finite() or tolerance < 0:
        raise ValueError(f"a tolerance must be a number of at least 0, not {value!r}")
    return tolerance


@dataclass(frozen=True)
class NumericValue:
    """A money amount, quantity or count with its qualifier; see SPEC section 3."""

    kind: str
    amount: Decimal
    qualifier: str = EXACT
    max: Decimal | None = None
    currency: str | None = None
    unit: str | None = None

    def __post_init__(self):
        if self.kind not in NUMERIC_KINDS:
            raise ValueParseError(UNKNOWN_KIND.format(kind=self.kind))
        if self.qualifier not in QUALIFIERS:
            raise ValueParseError(UNKNOWN_QUALIFIER.format(qualifier=self.qualifier))
        amount = _as_amount(self.amount)
        maximum = None if self.max is None else _as_amount(self.max)
        if self.qualifier == RANGE:
            if maximum is None:
                raise ValueParseError(RANGE_NEEDS_MAX)
            if maximum < amount:
                raise ValueParseError(RANGE_REVERSED.format(low=plain(amount), high=plain(maximum)))
        elif maximum is not None:
            raise ValueParseError(MAX_ONLY_FOR_RANGE)
        if self.kind == MONEY:
            if self.currency is None:
                raise ValueParseError(MONEY_NEEDS_CURRENCY)
            if not isinstance(self.currency, str) or self.currency not in _CURRENCIES:
                raise ValueParseError(UNKNOWN_CURRENCY.format(code=brief(str(self.currency))))
            if self.unit is not None:
                raise ValueParseError(UNIT_NOT_FOR_MONEY)
        elif self.currency is not None:
            raise ValueParseError(CURRENCY_ONLY_FOR_MONEY)
        elif self.unit is not None and not isinstance(self.unit, str):
            raise ValueParseError(UNIT_NOT_TEXT.format(type=type(self.unit).__name__))
        if self.kind == COUNT:
            for number in (amount, maximum):
                if number is not None and number != number.to_integral_value():
                    raise ValueParseError(NOT_WHOLE.format(amount=plain(number)))
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "max", maximum)

    def interval(
        self,
        *,
        tolerance: Decimal | float | str = 0,
        approx_tolerance: Decimal | float | str = DEFAULT_APPROX_TOLERANCE,
    ) -> tuple[Decimal, Decimal | None]:
        """The (low, high) the value denotes, high None for no upper bound (SPEC section 3).

        exact [v, v]; approximately [v(1-a), v(1+a)]; at_least [v, +inf); at_most [0, v];
        range [min, max]; then widened by the relative tolerance t: low(1-t), high(1+t).
        """
        t = _as_tolerance(tolerance)
        a = _as_tolerance(approx_tolerance)
        v = self.amount
        if self.qualifier == EXACT:
            low, high = v, v
        elif self.qualifier == APPROXIMATELY:
            low, high = v * (1 - a), v * (1 + a)
        elif self.qualifier == AT_LEAST:
            low, high = v, None
        elif self.qualifier == AT_MOST:
            low, high = Decimal(0), v
        else:
            low, high = v, self.max
        return low * (1 - t), None if high is None else high * (1 + t)

    def to_dict(self) -> dict:
        """The bundle form, amounts as plain decimal strings: {"amount": "180000000", ...}."""
        data = {"amount": plain(self.amount)}
        if self.qualifier == RANGE:
            data["max"] = plain(self.max)
        if self.kind == MONEY:
            data["currency"] = self.currency
        else:
            data["unit"] = self.unit
        data["qualifier"] = self.qualifier
        return data

    @classmethod
    def from_dict(cls, data, *, kind: str, unit: str | None = None) -> NumericValue:
        """Read the bundle form written by to_dict; a "unit" in data wins over the unit given."""
        if not isinstance(data, dict):
            raise ValueParseError(
                NOT_A_MAPPING.format(
                    example='{"amount": "180000000", "currency": "USD"}', type=type(data).__name__
                )
            )
        unexpected = sorted(set(data) - {"amount", "max", "currency", "unit", "qualifier"})
        if unexpected:
            raise ValueParseError(UNEXPECTED_KEYS.format(keys=", ".join(map(str, unexpected))))
        if "amount" not in data:
            raise ValueParseError(MISSING_AMOUNT)
        return cls(
            kind=kind,
            amount=data["amount"],
            qualifier=data.get("qualifier", EXACT),
            max=data.get("max"),
            currency=data.get("currency"),
            unit=data.get("unit", unit) if kind != MONEY else data.get("unit"),
        )
