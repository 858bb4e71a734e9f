"""Claim values: reading them from the wordings sources use, the intervals they denote, and display."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation, localcontext

from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal, list_currencies
from dateutil import parser as dateutil_parser

EXACT, APPROXIMATELY, AT_LEAST, AT_MOST, RANGE = "exact", "approximately", "at_least", "at_most", "range"  # fmt: skip
QUALIFIERS = (EXACT, APPROXIMATELY, AT_LEAST, AT_MOST, RANGE)
YEAR, MONTH, DAY = "year", "month", "day"
PRECISIONS = (YEAR, MONTH, DAY)
MONEY, QUANTITY, COUNT = "money", "quantity", "count"
NUMERIC_KINDS = (MONEY, QUANTITY, COUNT)
VALUE_TYPES = ("money", "quantity", "count", "date", "boolean", "text")

DEFAULT_APPROX_TOLERANCE = Decimal("0.10")
# No claim needs more digits than this; with the cap, arithmetic in _EXACT never rounds.
MAX_DIGITS = 40
_EXACT = Context(prec=3 * MAX_DIGITS)

# Messages users see (the bundle importer prefixes them with the place in the bundle).
EMPTY_VALUE = "the value is empty"
NOT_TEXT = "expected the value as text, got {type}"
NO_NUMBER = 'could not read a number in "{text}"'
NO_CURRENCY = (
    'no currency in "{text}"; write one such as "$5 million", "USD 5 million" or "5 million euros"'
)
UNKNOWN_CURRENCY = 'unknown currency "{code}"'
TWO_CURRENCIES = 'two different currencies ({first} and {second}) in "{text}"'
TRAILING_TEXT = 'could not read "{rest}" after the number in "{text}"'
TWO_QUALIFIERS = (
    'too many qualifiers in "{text}"; use one of "about", "more than", "up to" or a range'
)
RANGE_INCOMPLETE = 'a range needs two numbers, as in "between 15 and 20", in "{text}"'
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
NOT_A_MAPPING = "expected the value as an object such as {example}, got {type}"
MISSING_AMOUNT = 'a numeric value needs an "amount"'
UNEXPECTED_KEYS = "unexpected keys in the value: {keys}"
NO_DATE = 'could not read a date in "{text}"'
NO_YEAR = 'no year in the date "{text}"'
NOT_A_REAL_DATE = '"{text}" is not a real date'
NOT_A_DATE_OBJECT = "expected a date, got {type}"
UNKNOWN_PRECISION = 'unknown date precision "{precision}"; expected year, month or day'
MISSING_DATE = 'a date value needs a "date"'
NO_BOOLEAN = 'could not read yes or no in "{text}"'
UNKNOWN_VALUE_TYPE = 'unknown value type "{value_type}"; expected one of ' + ", ".join(VALUE_TYPES)


class ValueParseError(ValueError):
    """Raised with a message saying what was not understood, e.g. 'unknown currency "USDX"'."""


_CURRENCIES = frozenset(list_currencies())


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency code that Babel knows, e.g. "USD"."""
    return code in _CURRENCIES


# How the display writes the common currencies; any other shows its ISO code ("CHF 5 million").
_DISPLAY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "PEN": "S/ "}

# The word tables stay dense, a group to a line, rather than a word to a line.
# fmt: off
# Symbols read before an amount. "$" alone is read as US dollars, as the news sources we quote do.
_SYMBOL_CURRENCIES = {"us$": "USD", "u.s.$": "USD", "$": "USD", "€": "EUR", "£": "GBP",
                      "s/": "PEN", "s/.": "PEN", "r$": "BRL", "₹": "INR"}
_NAME_CURRENCIES = {
    "dollar": "USD", "dollars": "USD", "us dollar": "USD", "us dollars": "USD",
    "u.s. dollar": "USD", "u.s. dollars": "USD", "euro": "EUR", "euros": "EUR",
    "pound": "GBP", "pounds": "GBP", "pounds sterling": "GBP", "sterling": "GBP",
    "sol": "PEN", "soles": "PEN", "nuevos soles": "PEN", "yen": "JPY", "yuan": "CNY",
    "renminbi": "CNY", "swiss francs": "CHF", "reais": "BRL",
}

_QUALIFIER_PHRASES = {
    APPROXIMATELY: ("approximately", "approx.", "approx", "about", "around", "roughly", "nearly",
                    "almost", "some", "circa", "ca.", "c.", "an estimated", "estimated",
                    "close to", "~", "≈"),
    AT_LEAST: ("more than", "over", "at least", "greater than", "in excess of", "upwards of",
               "upward of", "no less than", "not less than", "no fewer than", "not fewer than",
               "a minimum of", "above", "exceeding", ">=", "≥", ">"),
    AT_MOST: ("up to", "no more than", "not more than", "less than", "fewer than", "under",
              "at most", "a maximum of", "as many as", "as much as", "below", "<=", "≤", "<"),
}
_SUFFIX_QUALIFIER_PHRASES = {
    AT_LEAST: ("+", "or more", "or over", "or above", "or greater"),
    AT_MOST: ("or less", "or fewer", "or under", "or below"),
}

_UNITS = {word: n for n, word in enumerate([
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
])}
_TENS = {word: 10 * n for n, word in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=2,
)}
_SCALE_EXPONENTS = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
_ABBREVIATION_EXPONENTS = {"k": 3, "m": 6, "mn": 6, "mln": 6, "b": 9, "bn": 9, "bln": 9,
                           "t": 12, "tn": 12, "trn": 12}
# fmt: on

_ARTICLES = ("a", "an")
_MULTIPLIERS = ("hundred", "dozen", *_SCALE_EXPONENTS)
_NUMBER_WORDS = frozenset({*_UNITS, *_TENS, *_MULTIPLIERS, *_ARTICLES})
# Words that may not open the noun after a count: they mean the text goes on with numbers.
_NOT_NOUNS = _NUMBER_WORDS | {"and", "or", "to", "than", "per", "plus", "minus", "by"}

_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))


def _phrase_pattern(phrases) -> re.Pattern:
    """A pattern for any of the phrases, longest first so "no more than" wins over "more than"."""
    alternatives = "|".join(
        r"\s+".join(re.escape(word) for word in phrase.split())
        for phrase in sorted(phrases, key=len, reverse=True)
    )
    # A phrase ending in a letter must end a word ("over" is not the start of "overall").
    return re.compile(rf"\s*({alternatives})(?:(?<=\W)|(?!\w))", re.IGNORECASE)


def _phrase_key(phrase: str) -> str:
    return " ".join(phrase.lower().split())


_PREFIX_QUALIFIER = _phrase_pattern([p for ps in _QUALIFIER_PHRASES.values() for p in ps])
_PREFIX_QUALIFIERS = {p: q for q, ps in _QUALIFIER_PHRASES.items() for p in ps}
_SUFFIX_QUALIFIER = _phrase_pattern([p for ps in _SUFFIX_QUALIFIER_PHRASES.values() for p in ps])
_SUFFIX_QUALIFIERS = {p: q for q, ps in _SUFFIX_QUALIFIER_PHRASES.items() for p in ps}
_RANGE_START = _phrase_pattern(["between", "from"])
_RANGE_SEPARATOR = _phrase_pattern(["-", "to", "and"])
_CURRENCY_SYMBOL = _phrase_pattern(_SYMBOL_CURRENCIES)
_CURRENCY_NAME = _phrase_pattern(_NAME_CURRENCIES)
# ISO codes are written in capitals; matching them case-sensitively keeps "one" or "for" out.
_CURRENCY_CODE = re.compile(r"\s*([A-Z]{3,4})(?![^\W\d_])")
_DIGITS = re.compile(
    r"\s*([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?![0-9])"
)
_SCALE_WORD = _phrase_pattern(_SCALE_EXPONENTS)
# "$180M" and "£2m": a one-letter scale only counts when it is written against the number.
_SCALE_ABBREVIATION = re.compile(r"(?:\s*(mn|mln|bn|bln|tn|trn)|([kmbt]))(?!\w)", re.IGNORECASE)
_NUMBER_WORD = _phrase_pattern(_NUMBER_WORDS)
_HYPHENATED_UNIT = re.compile(
    r"-(one|two|three|four|five|six|seven|eight|nine)(?!\w)", re.IGNORECASE
)
_AND_NUMBER_WORD = re.compile(rf"\s+and\s+({'|'.join([*_UNITS, *_TENS])})(?!\w)", re.IGNORECASE)
_NOUN_START = re.compile(r"\s*([^\W\d_]+|%|°)")

_ISO_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_DATE_LEAD_IN = re.compile(r"(?:in|early|mid|late)(?:\s+|-)(?=\w)", re.IGNORECASE)
# Two defaults that differ in year, month and day show which of them the text gave. Both years
# are leap years and both months have 31 days, so a default never makes a given day impossible.
_DATE_DEFAULTS = (datetime.datetime(2000, 1, 1), datetime.datetime(2004, 3, 2))

_BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}


def _quote(text: str, limit: int = 60) -> str:
    """The text as it goes inside a message, cut short so one bad value cannot flood a report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean(text) -> str:
    if not isinstance(text, str):
        raise ValueParseError(NOT_TEXT.format(type=type(text).__name__))
    cleaned = " ".join(text.translate(_DASHES).split())
    if not cleaned:
        raise ValueParseError(EMPTY_VALUE)
    return cleaned


def _plain(amount: Decimal) -> str:
    """A decimal as plain digits: no exponent and no trailing zeros after the point."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _as_amount(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueParseError(BAD_AMOUNT.format(amount=_quote(str(value))))
    try:
        # Through str(): a float's shortest repr is what its writer meant (0.1, not 0.1000…055).
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueParseError(BAD_AMOUNT.format(amount=_quote(str(value)))) from None
    if not amount.is_finite():
        raise ValueParseError(BAD_AMOUNT.format(amount=_quote(str(value))))
    if not amount:
        return Decimal(0)
    if len(amount.as_tuple().digits) > MAX_DIGITS or abs(amount.adjusted()) > MAX_DIGITS:
        raise ValueParseError(TOO_MANY_DIGITS.format(amount=_quote(str(value))))
    if amount < 0:
        raise ValueParseError(NEGATIVE_AMOUNT.format(amount=_plain(amount)))
    # One spelling per number, so "1.50", "1.5" and "15E-1" store and export alike.
    return Decimal(_plain(amount))


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
                raise ValueParseError(
                    RANGE_REVERSED.format(low=_plain(amount), high=_plain(maximum))
                )
        elif maximum is not None:
            raise ValueParseError(MAX_ONLY_FOR_RANGE)
        if self.kind == MONEY:
            if self.currency is None:
                raise ValueParseError(MONEY_NEEDS_CURRENCY)
            if not isinstance(self.currency, str) or self.currency not in _CURRENCIES:
                raise ValueParseError(UNKNOWN_CURRENCY.format(code=_quote(str(self.currency))))
            if self.unit is not None:
                raise ValueParseError(UNIT_NOT_FOR_MONEY)
        elif self.currency is not None:
            raise ValueParseError(CURRENCY_ONLY_FOR_MONEY)
        elif self.unit is not None and not isinstance(self.unit, str):
            raise ValueParseError(UNIT_NOT_TEXT.format(type=type(self.unit).__name__))
        if self.kind == COUNT:
            for number in (amount, maximum):
                if number is not None and number != number.to_integral_value():
                    raise ValueParseError(NOT_WHOLE.format(amount=_plain(number)))
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
        data = {"amount": _plain(self.amount)}
        if self.qualifier == RANGE:
            data["max"] = _plain(self.max)
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


@dataclass(frozen=True)
class DateValue:
    """A date known to the year, month or day; date is the first day of that period."""

    date: datetime.date
    precision: str

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueParseError(UNKNOWN_PRECISION.format(precision=self.precision))
        day = self.date
        if isinstance(day, datetime.datetime):
            day = day.date()
        if not isinstance(day, datetime.date):
            raise ValueParseError(NOT_A_DATE_OBJECT.format(type=type(day).__name__))
        # A coarse date is stored as the first day of its period, so equal periods compare equal.
        if self.precision == YEAR:
            day = day.replace(month=1, day=1)
        elif self.precision == MONTH:
            day = day.replace(day=1)
        object.__setattr__(self, "date", day)

    def interval(self) -> tuple[datetime.date, datetime.date]:
        """The first and last day the value covers: "2024" is 2024-01-01 .. 2024-12-31."""
        start = self.date
        if self.precision == YEAR:
            return start, start.replace(month=12, day=31)
        if self.precision == MONTH:
            return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])
        return start, start

    def iso(self) -> str:
        """ "2023", "2023-05" or "2023-05-19", as precise as the value."""
        if self.precision == YEAR:
            return f"{self.date.year:04d}"
        if self.precision == MONTH:
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return self.date.isoformat()

    def to_dict(self) -> dict:
        """The bundle form: {"date": "2023-05"}."""
        return {"date": self.iso()}

    @classmethod
    def from_dict(cls, data) -> DateValue:
        """Read the bundle form written by to_dict."""
        if not isinstance(data, dict):
            raise ValueParseError(
                NOT_A_MAPPING.format(example='{"date": "2023-05"}', type=type(data).__name__)
            )
        unexpected = sorted(set(data) - {"date"})
        if unexpected:
            raise ValueParseError(UNEXPECTED_KEYS.format(keys=", ".join(map(str, unexpected))))
        if "date" not in data:
            raise ValueParseError(MISSING_DATE)
        return parse_date(data["date"])


class _Scanner:
    """A cursor over a value's text that consumes it one pattern at a time."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def take(self, pattern: re.Pattern) -> re.Match | None:
        match = pattern.match(self.text, self.pos)
        if match:
            self.pos = match.end()
        return match

    def rest(self) -> str:
        return self.text[self.pos :].strip()


@dataclass
class _Side:
    """One number of a wording: base × 10^exponent, the exponent coming from "million" and the like."""

    base: Decimal
    exponent: int
    currency: str | None

    @property
    def amount(self) -> Decimal:
        return self.base.scaleb(self.exponent, context=_EXACT)


def _known_currency(code: str) -> str:
    if code not in _CURRENCIES:
        raise ValueParseError(UNKNOWN_CURRENCY.format(code=code))
    return code


def _take_currency(scanner: _Scanner, *, before_number: bool) -> str | None:
    if before_number and (match := scanner.take(_CURRENCY_SYMBOL)):
        return _SYMBOL_CURRENCIES[_phrase_key(match[1])]
    if not before_number and (match := scanner.take(_CURRENCY_NAME)):
        return _NAME_CURRENCIES[_phrase_key(match[1])]
    start = scanner.pos
    if match := scanner.take(_CURRENCY_CODE):
        if match[1].lower() in _NOT_NOUNS:
            # A word in capitals ("NINE MILLION DOLLARS", "5 OR MORE"), not a currency code.
            scanner.pos = start
            return None
        return _known_currency(match[1])
    return None


def _words_value(words: list[str]) -> tuple[Decimal, int] | None:
    """The number that number words spell ("twenty-five", "a dozen"), or None if they spell none."""
    total, group, previous, last_exponent = 0, 0, None, None
    for index, word in enumerate(words):
        if word in _ARTICLES:
            # "a" or "an" only counts as one in "a dozen", "a hundred", "a million".
            if index != 0 or len(words) == 1 or words[1] not in _MULTIPLIERS:
                return None
            group = 1
        elif word in _UNITS:
            n = _UNITS[word]
            if (
                previous in _UNITS
                or previous in _ARTICLES
                or previous == "dozen"
                or (previous in _TENS and n >= 10)
                or (n == 0 and len(words) > 1)
            ):
                return None
            group += n
        elif word in _TENS:
            if (
                previous in _UNITS
                or previous in _TENS
                or previous in _ARTICLES
                or previous == "dozen"
            ):
                return None
            group += _TENS[word]
        elif word == "hundred":
            if group == 0 or group >= 100:
                return None
            group *= 100
        elif word == "dozen":
            if group == 0 or previous == "dozen":
                return None
            group *= 12
        else:
            exponent = _SCALE_EXPONENTS[word]
            if group == 0 or (last_exponent is not None and exponent >= last_exponent):
                return None
            total += group * 10**exponent
            group, last_exponent = 0, exponent
        previous = word
    value = total + group
    # "ten million" ends on its scale; keeping it apart lets "between five and ten million" share it.
    if words[-1] in _SCALE_EXPONENTS and sum(w in _SCALE_EXPONENTS for w in words) == 1:
        exponent = _SCALE_EXPONENTS[words[-1]]
        return Decimal(value // 10**exponent), exponent
    return Decimal(value), 0


def _take_words(scanner: _Scanner) -> tuple[Decimal, int] | None:
    start = scanner.pos
    found: list[tuple[str, int]] = []
    while True:
        previous = found[-1][0] if found else None
        match = None
        if previous in _TENS:
            match = scanner.take(_HYPHENATED_UNIT)
        if match is None and previous in _MULTIPLIERS:
            match = scanner.take(_AND_NUMBER_WORD)
        if match is None:
            match = scanner.take(_NUMBER_WORD)
        if match is None:
            break
        found.append((match[1].lower(), scanner.pos))
    # The longest run of words that spells a number wins; what follows is left to the caller.
    for length in range(len(found), 0, -1):
        value = _words_value([word for word, _ in found[:length]])
        if value is not None:
            scanner.pos = found[length - 1][1]
            return value
    scanner.pos = start
    return None


def _take_number(scanner: _Scanner, kind: str) -> tuple[Decimal, int] | None:
    match = scanner.take(_DIGITS)
    if match is None:
        return _take_words(scanner)
    base = Decimal(match[1].replace(",", ""))
    scale = scanner.take(_SCALE_WORD)
    # Abbreviations are not read for quantities, where "5m" and "5t" are metres and tonnes.
    if scale is None and kind != QUANTITY:
        scale = scanner.take(_SCALE_ABBREVIATION)
    if scale is None:
        return base, 0
    word = scale.group(scale.lastindex).lower()
    return base, _SCALE_EXPONENTS.get(word) or _ABBREVIATION_EXPONENTS[word]


def _take_side(scanner: _Scanner, kind: str, text: str) -> _Side | None:
    start = scanner.pos
    currency = _take_currency(scanner, before_number=True) if kind == MONEY else None
    number = _take_number(scanner, kind)
    if number is None:
        scanner.pos = start
        return None
    if kind == MONEY and (after := _take_currency(scanner, before_number=False)):
        if currency and after != currency:
            raise ValueParseError(
                TWO_CURRENCIES.format(first=currency, second=after, text=_quote(text))
            )
        currency = after
    return _Side(base=number[0], exponent=number[1], currency=currency)


def _is_noun(rest: str) -> bool:
    match = _NOUN_START.match(rest)
    return bool(match) and match[1].lower() not in _NOT_NOUNS


def _parse_numeric(text, kind: str, unit: str | None) -> NumericValue:
    cleaned = _clean(text)
    quoted = _quote(cleaned)
    scanner = _Scanner(cleaned)
    qualifier = EXACT
    range_start = scanner.take(_RANGE_START)
    if range_start is None and (match := scanner.take(_PREFIX_QUALIFIER)):
        qualifier = _PREFIX_QUALIFIERS[_phrase_key(match[1])]
    first = _take_side(scanner, kind, cleaned)
    if first is None:
        raise ValueParseError(NO_NUMBER.format(text=quoted))
    second = None
    before_separator = scanner.pos
    separator = scanner.take(_RANGE_SEPARATOR)
    # "and" separates only after "between"; "15 and 20" is two numbers, not a range.
    if separator and (
        separator[1].lower() != "and" or (range_start and range_start[1].lower() == "between")
    ):
        second = _take_side(scanner, kind, cleaned)
    if second is None:
        if range_start:
            raise ValueParseError(RANGE_INCOMPLETE.format(text=quoted))
        scanner.pos = before_separator
    if match := scanner.take(_SUFFIX_QUALIFIER):
        if qualifier != EXACT or second is not None:
            raise ValueParseError(TWO_QUALIFIERS.format(text=quoted))
        qualifier = _SUFFIX_QUALIFIERS[_phrase_key(match[1])]
    rest = scanner.rest()
    # A count or quantity may name what it counts ("nine helicopters"); the unit comes from the
    # attribute, so the noun is read past. Money has nothing after its currency.
    if rest and (kind == MONEY or not _is_noun(rest)):
        raise ValueParseError(TRAILING_TEXT.format(rest=_quote(rest), text=quoted))

    currency = first.currency
    maximum = None
    if second is not None:
        if qualifier != EXACT:
            raise ValueParseError(TWO_QUALIFIERS.format(text=quoted))
        qualifier = RANGE
        # "15-20 million" and "$15-20 million" share the scale and the currency of the second
        # number; "between 500,000 and 2 million" does not (500,000 already exceeds 2).
        if first.exponent == 0 and second.exponent and first.base < second.base:
            first.exponent = second.exponent
        if currency and second.currency and currency != second.currency:
            raise ValueParseError(
                TWO_CURRENCIES.format(first=currency, second=second.currency, text=quoted)
            )
        currency = currency or second.currency
        maximum = second.amount
    if kind == MONEY and currency is None:
        raise ValueParseError(NO_CURRENCY.format(text=quoted))
    return NumericValue(
        kind=kind,
        amount=first.amount,
        qualifier=qualifier,
        max=maximum,
        currency=currency,
        unit=unit,
    )


def parse_money(text: str) -> NumericValue:
    """Read a money wording such as "more than $350 million" or "S/ 300 million"; raises ValueParseError."""
    return _parse_numeric(text, MONEY, None)


def parse_number(text: str, *, kind: str = COUNT, unit: str | None = None) -> NumericValue:
    """Read a quantity or count such as "nearly 180", "15-20" or "nine helicopters"; raises ValueParseError.

    A trailing noun is read past; the unit is the one given, not one from the text.
    """
    if kind not in (QUANTITY, COUNT):
        raise ValueParseError(
            UNKNOWN_KIND.format(kind=kind) + "; parse_number reads quantity or count"
        )
    return _parse_numeric(text, kind, unit)


def parse_date(text: str) -> DateValue:
    """Read "2023", "2023-05", "2023-05-19", "May 19, 2023", "December 2023" or "in 2019"; raises ValueParseError."""
    cleaned = _clean(text)
    quoted = _quote(cleaned)
    body = cleaned
    if lead_in := _DATE_LEAD_IN.match(body):
        body = body[lead_in.end() :]
    if iso := _ISO_DATE.fullmatch(body):
        year, month, day = (int(part) if part else None for part in iso.groups())
        try:
            found = datetime.date(year, month or 1, day or 1)
        except ValueError:
            raise ValueParseError(NOT_A_REAL_DATE.format(text=quoted)) from None
        return DateValue(found, DAY if day else MONTH if month else YEAR)
    try:
        first, second = (
            dateutil_parser.parse(body, default=d, ignoretz=True) for d in _DATE_DEFAULTS
        )
    except dateutil_parser.ParserError as error:
        # dateutil wraps the ValueError of building an impossible date ("February 30").
        if isinstance(error.__cause__, ValueError):
            raise ValueParseError(NOT_A_REAL_DATE.format(text=quoted)) from None
        raise ValueParseError(NO_DATE.format(text=quoted)) from None
    except (ValueError, OverflowError):
        raise ValueParseError(NO_DATE.format(text=quoted)) from None
    if first.year != second.year:
        raise ValueParseError(NO_YEAR.format(text=quoted))
    month_given = first.month == second.month
    day_given = first.day == second.day
    if day_given and not month_given:
        raise ValueParseError(NO_DATE.format(text=quoted))
    return DateValue(first.date(), DAY if day_given else MONTH if month_given else YEAR)


def parse_boolean(text: str) -> bool:
    """Read yes, no, true or false, in any case; raises ValueParseError."""
    cleaned = _clean(text)
    try:
        return _BOOLEANS[cleaned.lower()]
    except KeyError:
        raise ValueParseError(NO_BOOLEAN.format(text=_quote(cleaned))) from None


def parse_value(text: str, value_type: str, *, unit: str | None = None):
    """Read text as a value of the attribute's value_type (see VALUE_TYPES); raises ValueParseError.

    Returns a NumericValue, DateValue, bool, or for "text" the stripped string.
    """
    if value_type == MONEY:
        return parse_money(text)
    if value_type in (QUANTITY, COUNT):
        return parse_number(text, kind=value_type, unit=unit)
    if value_type == "date":
        return parse_date(text)
    if value_type == "boolean":
        return parse_boolean(text)
    if value_type == "text":
        _clean(text)
        return text.strip()
    raise ValueParseError(UNKNOWN_VALUE_TYPE.format(value_type=value_type))


def _compact(amount: Decimal) -> str | None:
    """ "1.5 billion" when that is exact (at most 3 decimals at its scale), else None."""
    # From a thousand trillion up Babel writes "1000 trillion", which helps no reader.
    if amount >= Decimal(10) ** 15:
        return None
    for exponent in (12, 9, 6):
        if amount >= Decimal(10) ** exponent:
            if len(_plain(amount.scaleb(-exponent, context=_EXACT)).partition(".")[2]) > 3:
                return None
            return format_compact_decimal(
                amount, format_type="long", locale="en_US", fraction_digits=3
            )
    return None


def _amount_text(amount: Decimal, currency: str | None, *, compact: bool) -> str:
    # Babel rounds to the current context's precision; _EXACT holds every digit a value may have.
    with localcontext(_EXACT):
        number = (_compact(amount) if compact else None) or format_decimal(
            amount, locale="en_US", decimal_quantization=False
        )
    if currency is None:
        return number
    symbol = _DISPLAY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{currency} {number}"


def _numeric_text(value: NumericValue, *, compact: bool) -> str:
    amount = _amount_text(value.amount, value.currency, compact=compact)
    if value.qualifier == RANGE:
        return f"between {amount} and {_amount_text(value.max, value.currency, compact=compact)}"
    lead = {EXACT: "", APPROXIMATELY: "about ", AT_LEAST: "more than ", AT_MOST: "up to "}
    return lead[value.qualifier] + amount


def _format_numeric(value: NumericValue) -> str:
    text = _numeric_text(value, compact=True)
    # The compact form can read back differently ("between $1 and $2 million" shares "million"),
    # so it is only used when it gives the value back; full digits always do.
    try:
        if _parse_numeric(text, value.kind, value.unit) == value:
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
        # dateutil reads years below 1000 as two-digit years, so those dates show as ISO.
        if value.date.year < 1000:
            return value.iso()
        pattern = {YEAR: "y", MONTH: "MMMM y", DAY: "MMMM d, y"}[value.precision]
        return format_date(value.date, pattern, locale="en_US")
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot display a {type(value).__name__} as a claim value")
