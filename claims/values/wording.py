"""Reading claim values from the wordings sources use: "$1.5 billion", "nearly 180", "a dozen", "May 19, 2023".

Slightly over the house's ~400 lines because the word tables (numbers, scales, currencies,
qualifiers) are public here, the one list the extractor shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from claims.values.types import (
    APPROXIMATELY,
    AT_LEAST,
    AT_MOST,
    COUNT,
    EXACT,
    EXACT_ARITHMETIC,
    MONEY,
    QUANTITY,
    RANGE,
    UNKNOWN_CURRENCY,
    UNKNOWN_KIND,
    VALUE_TYPES,
    DateValue,
    NumericValue,
    ValueParseError,
    brief,
    is_currency,
)
from kb import dates

# Messages users see (the bundle importer prefixes them with the place in the bundle).
EMPTY_VALUE = "the value is empty"
NOT_TEXT = "expected the value as text, got {type}"
NO_NUMBER = 'could not read a number in "{text}"'
NO_CURRENCY = (
    'no currency in "{text}"; write one such as "$5 million", "USD 5 million" or "5 million euros"'
)
TWO_CURRENCIES = 'two different currencies ({first} and {second}) in "{text}"'
TRAILING_TEXT = 'could not read "{rest}" after the number in "{text}"'
TWO_QUALIFIERS = (
    'too many qualifiers in "{text}"; use one of "about", "more than", "up to" or a range'
)
RANGE_INCOMPLETE = 'a range needs two numbers, as in "between 15 and 20", in "{text}"'
NO_BOOLEAN = 'could not read yes or no in "{text}"'
UNKNOWN_VALUE_TYPE = 'unknown value type "{value_type}"; expected one of ' + ", ".join(VALUE_TYPES)

# The word lists, shared with claims.extraction, which finds in a text what this module reads.
# They stay dense, a group to a line, rather than a word to a line.
# fmt: off
# Symbols read before an amount, as sources write them; "$" alone is US dollars, as in the news.
CURRENCY_SYMBOLS = {"US$": "USD", "U.S.$": "USD", "$": "USD", "€": "EUR", "£": "GBP",
                    "S/": "PEN", "S/.": "PEN", "R$": "BRL", "₹": "INR"}
# Names read after an amount ("5 million euros"), in lower case.
CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "us dollar": "USD", "us dollars": "USD",
    "u.s. dollar": "USD", "u.s. dollars": "USD", "euro": "EUR", "euros": "EUR",
    "pound": "GBP", "pounds": "GBP", "pounds sterling": "GBP", "sterling": "GBP",
    "sol": "PEN", "soles": "PEN", "nuevos soles": "PEN", "yen": "JPY", "yuan": "CNY",
    "renminbi": "CNY", "swiss francs": "CHF", "reais": "BRL",
}

QUALIFIER_PHRASES = {
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

NUMBER_UNITS = {word: n for n, word in enumerate([
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
])}
NUMBER_TENS = {word: 10 * n for n, word in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=2,
)}
SCALE_EXPONENTS = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
# Written against the number ("$180M", "£2bn"); a one-letter one only there, never after a space.
SCALE_ABBREVIATIONS = {"k": 3, "m": 6, "mn": 6, "mln": 6, "b": 9, "bn": 9, "bln": 9,
                       "t": 12, "tn": 12, "trn": 12}
# fmt: on
# Words that multiply the number before them: "two hundred", "a dozen", "five million".
MULTIPLIERS = ("hundred", "dozen", *SCALE_EXPONENTS)
# "a" or "an" counts as one only before a multiplier: "a dozen", "a million".
ARTICLES = ("a", "an")

_NUMBER_WORDS = frozenset({*NUMBER_UNITS, *NUMBER_TENS, *MULTIPLIERS, *ARTICLES})
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


def _alternatives(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_PREFIX_QUALIFIER = _phrase_pattern([p for ps in QUALIFIER_PHRASES.values() for p in ps])
_PREFIX_QUALIFIERS = {p: q for q, ps in QUALIFIER_PHRASES.items() for p in ps}
_SUFFIX_QUALIFIER = _phrase_pattern([p for ps in _SUFFIX_QUALIFIER_PHRASES.values() for p in ps])
_SUFFIX_QUALIFIERS = {p: q for q, ps in _SUFFIX_QUALIFIER_PHRASES.items() for p in ps}
_RANGE_START = _phrase_pattern(["between", "from"])
_RANGE_SEPARATOR = _phrase_pattern(["-", "to", "and"])
_CURRENCY_SYMBOL = _phrase_pattern(CURRENCY_SYMBOLS)
_SYMBOL_KEYS = {_phrase_key(symbol): code for symbol, code in CURRENCY_SYMBOLS.items()}
_CURRENCY_NAME = _phrase_pattern(CURRENCY_WORDS)
# ISO codes are written in capitals; matching them case-sensitively keeps "one" or "for" out.
_CURRENCY_CODE = re.compile(r"\s*([A-Z]{3,4})(?![^\W\d_])")
_DIGITS = re.compile(
    r"\s*([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?![0-9])"
)
_SCALE_WORD = _phrase_pattern(SCALE_EXPONENTS)
_SCALE_ABBREVIATION = re.compile(
    rf"(?:\s*({_alternatives(a for a in SCALE_ABBREVIATIONS if len(a) > 1)})"
    rf"|([{''.join(a for a in SCALE_ABBREVIATIONS if len(a) == 1)}]))(?!\w)",
    re.IGNORECASE,
)
_NUMBER_WORD = _phrase_pattern(_NUMBER_WORDS)
_HYPHENATED_UNIT = re.compile(
    rf"-({'|'.join(word for word, n in NUMBER_UNITS.items() if 0 < n < 10)})(?!\w)", re.IGNORECASE
)
_AND_NUMBER_WORD = re.compile(
    rf"\s+and\s+({'|'.join([*NUMBER_UNITS, *NUMBER_TENS])})(?!\w)", re.IGNORECASE
)
_NOUN_START = re.compile(r"\s*([^\W\d_]+|%|°)")

_BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}


def _clean(text) -> str:
    if not isinstance(text, str):
        raise ValueParseError(NOT_TEXT.format(type=type(text).__name__))
    cleaned = " ".join(text.translate(_DASHES).split())
    if not cleaned:
        raise ValueParseError(EMPTY_VALUE)
    return cleaned


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
        return self.base.scaleb(self.exponent, context=EXACT_ARITHMETIC)


def _known_currency(code: str) -> str:
    if not is_currency(code):
        raise ValueParseError(UNKNOWN_CURRENCY.format(code=code))
    return code


def _take_currency(scanner: _Scanner, *, before_number: bool) -> str | None:
    if before_number and (match := scanner.take(_CURRENCY_SYMBOL)):
        return _SYMBOL_KEYS[_phrase_key(match[1])]
    if not before_number and (match := scanner.take(_CURRENCY_NAME)):
        return CURRENCY_WORDS[_phrase_key(match[1])]
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
        if word in ARTICLES:
            # "a" or "an" only counts as one in "a dozen", "a hundred", "a million".
            if index != 0 or len(words) == 1 or words[1] not in MULTIPLIERS:
                return None
            group = 1
        elif word in NUMBER_UNITS:
            n = NUMBER_UNITS[word]
            if (
                previous in NUMBER_UNITS
                or previous in ARTICLES
                or previous == "dozen"
                or (previous in NUMBER_TENS and n >= 10)
                or (n == 0 and len(words) > 1)
            ):
                return None
            group += n
        elif word in NUMBER_TENS:
            if (
                previous in NUMBER_UNITS
                or previous in NUMBER_TENS
                or previous in ARTICLES
                or previous == "dozen"
            ):
                return None
            group += NUMBER_TENS[word]
        elif word == "hundred":
            if group == 0 or group >= 100:
                return None
            group *= 100
        elif word == "dozen":
            if group == 0 or previous == "dozen":
                return None
            group *= 12
        else:
            exponent = SCALE_EXPONENTS[word]
            if group == 0 or (last_exponent is not None and exponent >= last_exponent):
                return None
            total += group * 10**exponent
            group, last_exponent = 0, exponent
        previous = word
    value = total + group
    # "ten million" ends on its scale; keeping it apart lets "between five and ten million" share it.
    if words[-1] in SCALE_EXPONENTS and sum(w in SCALE_EXPONENTS for w in words) == 1:
        exponent = SCALE_EXPONENTS[words[-1]]
        return Decimal(value // 10**exponent), exponent
    return Decimal(value), 0


def _take_words(scanner: _Scanner) -> tuple[Decimal, int] | None:
    start = scanner.pos
    found: list[tuple[str, int]] = []
    while True:
        previous = found[-1][0] if found else None
        match = None
        if previous in NUMBER_TENS:
            match = scanner.take(_HYPHENATED_UNIT)
        if match is None and previous in MULTIPLIERS:
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
    return base, SCALE_EXPONENTS.get(word) or SCALE_ABBREVIATIONS[word]


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
                TWO_CURRENCIES.format(first=currency, second=after, text=brief(text))
            )
        currency = after
    return _Side(base=number[0], exponent=number[1], currency=currency)


def _is_noun(rest: str) -> bool:
    match = _NOUN_START.match(rest)
    return bool(match) and match[1].lower() not in _NOT_NOUNS


def parse_numeric(text, kind: str, unit: str | None) -> NumericValue:
    """Read a money, quantity or count wording as a value of that kind; raises ValueParseError."""
    cleaned = _clean(text)
    quoted = brief(cleaned)
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
        raise ValueParseError(TRAILING_TEXT.format(rest=brief(rest), text=quoted))

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
    return parse_numeric(text, MONEY, None)


def parse_number(text: str, *, kind: str = COUNT, unit: str | None = None) -> NumericValue:
    """Read a quantity or count such as "nearly 180", "15-20" or "nine helicopters"; raises ValueParseError.

    A trailing noun is read past; the unit is the one given, not one from the text.
    """
    if kind not in (QUANTITY, COUNT):
        raise ValueParseError(
            UNKNOWN_KIND.format(kind=kind) + "; parse_number reads quantity or count"
        )
    return parse_numeric(text, kind, unit)


def parse_date(text: str) -> DateValue:
    """Read "2023", "2023-05", "2023-05-19", "May 19, 2023", "December 2023" or "in 2019"; raises ValueParseError."""
    return dates.parse_wording(_clean(text))


def parse_boolean(text: str) -> bool:
    """Read yes, no, true or false, in any case; raises ValueParseError."""
    cleaned = _clean(text)
    try:
        return _BOOLEANS[cleaned.lower()]
    except KeyError:
        raise ValueParseError(NO_BOOLEAN.format(text=brief(cleaned))) from None


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
