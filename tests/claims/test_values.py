"""Reading, interval and display of claim values (the claims/values package), without a database."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims import values
from claims.values import (
    APPROXIMATELY,
    AT_LEAST,
    AT_MOST,
    DAY,
    EXACT,
    MONTH,
    PRECISIONS,
    QUALIFIERS,
    RANGE,
    YEAR,
    DateValue,
    NumericValue,
    ValueParseError,
    format_value,
    parse_boolean,
    parse_date,
    parse_money,
    parse_number,
    parse_value,
    wording,
)
from claims.values.display import format_interval
from kb import dates

D = Decimal


def money(amount, currency="USD", qualifier=EXACT, max=None):
    return NumericValue(
        kind="money",
        amount=D(amount),
        qualifier=qualifier,
        max=None if max is None else D(max),
        currency=currency,
    )


def count(amount, qualifier=EXACT, max=None, unit=None):
    return NumericValue(
        kind="count",
        amount=D(amount),
        qualifier=qualifier,
        max=None if max is None else D(max),
        unit=unit,
    )


# --- Money wordings -------------------------------------------------------------------------

MONEY_WORDINGS = [
    # text, amount, qualifier, max, currency, interval with the default tolerances
    ("$1.5 billion", "1500000000", EXACT, None, "USD", ("1500000000", "1500000000")),
    ("US$1.5 billion", "1500000000", EXACT, None, "USD", ("1500000000", "1500000000")),
    ("$180 million", "180000000", EXACT, None, "USD", ("180000000", "180000000")),
    ("more than $350 million", "350000000", AT_LEAST, None, "USD", ("350000000", None)),
    ("over $1.8 billion", "1800000000", AT_LEAST, None, "USD", ("1800000000", None)),
    ("€5 million", "5000000", EXACT, None, "EUR", ("5000000", "5000000")),
    ("USD 5 million", "5000000", EXACT, None, "USD", ("5000000", "5000000")),
    ("5 million euros", "5000000", EXACT, None, "EUR", ("5000000", "5000000")),
    ("£2m", "2000000", EXACT, None, "GBP", ("2000000", "2000000")),
    ("S/ 300 million", "300000000", EXACT, None, "PEN", ("300000000", "300000000")),
    ("$1.5B", "1500000000", EXACT, None, "USD", ("1500000000", "1500000000")),
    ("$180M", "180000000", EXACT, None, "USD", ("180000000", "180000000")),
    ("about $5 million", "5000000", APPROXIMATELY, None, "USD", ("4500000", "5500000")),
    ("up to $20 million", "20000000", AT_MOST, None, "USD", ("0", "20000000")),
    (
        "between $15 million and $20 million",
        "15000000",
        RANGE,
        "20000000",
        "USD",
        ("15000000", "20000000"),
    ),
    ("$15-20 million", "15000000", RANGE, "20000000", "USD", ("15000000", "20000000")),
    ("CHF 5 million", "5000000", EXACT, None, "CHF", ("5000000", "5000000")),
    ("five million dollars", "5000000", EXACT, None, "USD", ("5000000", "5000000")),
    ("$1,234,567.50", "1234567.5", EXACT, None, "USD", ("1234567.5", "1234567.5")),
]


@pytest.mark.parametrize(
    ("text", "amount", "qualifier", "maximum", "currency", "interval"), MONEY_WORDINGS
)
def test_it_reads_money_wordings(text, amount, qualifier, maximum, currency, interval):
    value = parse_money(text)
    assert value.kind == "money"
    assert value.amount == D(amount)
    assert value.qualifier == qualifier
    assert value.max == (None if maximum is None else D(maximum))
    assert value.currency == currency
    assert value.unit is None
    low, high = interval
    assert value.interval() == (D(low), None if high is None else D(high))


def test_it_reads_more_than_as_at_least():
    value = parse_money("more than $350 million")
    assert value.qualifier == AT_LEAST
    assert value.interval() == (D("350000000"), None)


def test_it_widens_money_intervals_by_the_tolerance():
    assert parse_money("$180 million").interval(tolerance="0.05") == (
        D("171000000"),
        D("189000000"),
    )
    assert parse_money("more than $350 million").interval(tolerance=0.1) == (D("315000000"), None)


def test_it_reads_a_bare_number_as_money_only_with_a_currency():
    with pytest.raises(ValueParseError, match='no currency in "180"'):
        parse_money("180")


def test_it_rejects_a_currency_code_babel_does_not_know():
    with pytest.raises(ValueParseError, match='unknown currency "USDX"'):
        parse_money("USDX 5 million")
    with pytest.raises(ValueParseError, match='unknown currency "USDX"'):
        parse_money("5 million USDX")


def test_it_rejects_two_currencies_in_one_amount():
    with pytest.raises(ValueParseError, match="two different currencies"):
        parse_money("€5 million dollars")


def test_it_rejects_text_after_a_money_amount():
    with pytest.raises(ValueParseError, match='could not read "per year"'):
        parse_money("$5 million per year")


def test_it_says_it_could_not_read_a_number_in_words():
    with pytest.raises(ValueParseError, match='could not read a number in "lots of money"'):
        parse_money("lots of money")


# --- Counts and quantities ------------------------------------------------------------------

COUNT_WORDINGS = [
    # text, amount, qualifier, max, interval with the default tolerances
    ("up to 20", "20", AT_MOST, None, ("0", "20")),
    ("nearly 180", "180", APPROXIMATELY, None, ("162", "198")),
    ("about 15", "15", APPROXIMATELY, None, ("13.5", "16.5")),
    ("between 15 and 20", "15", RANGE, "20", ("15", "20")),
    ("15-20", "15", RANGE, "20", ("15", "20")),
    ("15–20", "15", RANGE, "20", ("15", "20")),
    ("15 to 20", "15", RANGE, "20", ("15", "20")),
    ("nine", "9", EXACT, None, ("9", "9")),
    ("1,500", "1500", EXACT, None, ("1500", "1500")),
    ("1.2 million", "1200000", EXACT, None, ("1200000", "1200000")),
    ("twenty-five", "25", EXACT, None, ("25", "25")),
    ("a dozen", "12", EXACT, None, ("12", "12")),
    ("one hundred and five", "105", EXACT, None, ("105", "105")),
    ("some 300", "300", APPROXIMATELY, None, ("270", "330")),
    ("roughly 40", "40", APPROXIMATELY, None, ("36", "44")),
    ("around 40", "40", APPROXIMATELY, None, ("36", "44")),
    ("at least 3", "3", AT_LEAST, None, ("3", None)),
    ("no more than 5", "5", AT_MOST, None, ("0", "5")),
    ("less than 10", "10", AT_MOST, None, ("0", "10")),
    ("approximately 2,000", "2000", APPROXIMATELY, None, ("1800", "2200")),
    ("~50", "50", APPROXIMATELY, None, ("45", "55")),
    ("300+", "300", AT_LEAST, None, ("300", None)),
    ("nine helicopters", "9", EXACT, None, ("9", "9")),
    ("15 US active-duty military", "15", EXACT, None, ("15", "15")),
    ("1,500 soldiers", "1500", EXACT, None, ("1500", "1500")),
    ("more than 1,500 soldiers", "1500", AT_LEAST, None, ("1500", None)),
    ("180000000", "180000000", EXACT, None, ("180000000", "180000000")),
]


@pytest.mark.parametrize(("text", "amount", "qualifier", "maximum", "interval"), COUNT_WORDINGS)
def test_it_reads_count_wordings(text, amount, qualifier, maximum, interval):
    value = parse_number(text, kind="count", unit="soldiers")
    assert value.kind == "count"
    assert value.amount == D(amount)
    assert value.qualifier == qualifier
    assert value.max == (None if maximum is None else D(maximum))
    assert value.currency is None
    assert value.unit == "soldiers"  # from the argument, never from the text
    low, high = interval
    assert value.interval() == (D(low), None if high is None else D(high))


def test_it_uses_the_attributes_approx_tolerance_for_approximately():
    value = parse_number("about 15")
    assert value.interval(approx_tolerance="0.2") == (D("12"), D("18"))
    assert value.interval(approx_tolerance=0) == (D("15"), D("15"))


def test_it_widens_every_qualifier_by_the_tolerance():
    t = "0.1"
    assert parse_number("20").interval(tolerance=t) == (D("18"), D("22"))
    assert parse_number("about 20").interval(tolerance=t) == (D("16.2"), D("24.2"))
    assert parse_number("at least 20").interval(tolerance=t) == (D("18"), None)
    assert parse_number("up to 20").interval(tolerance=t) == (D("0"), D("22"))
    assert parse_number("15-20").interval(tolerance=t) == (D("13.5"), D("22"))


def test_it_reads_decimal_quantities():
    value = parse_number("about 1.25 km", kind="quantity", unit="km")
    assert (value.amount, value.qualifier, value.unit) == (D("1.25"), APPROXIMATELY, "km")


def test_it_reads_one_letter_units_of_quantities_as_units_not_scales():
    # For a count "5m" is five million; for a quantity it is five metres.
    assert parse_number("5m", kind="count").amount == D("5000000")
    assert parse_number("5m", kind="quantity", unit="m").amount == D("5")


def test_it_requires_a_count_to_be_a_whole_number():
    with pytest.raises(ValueParseError, match="a count must be a whole number"):
        parse_number("2.5")
    with pytest.raises(ValueParseError, match="a count must be a whole number"):
        parse_number("between 1.5 and 3")


def test_it_does_not_read_two_numbers_as_one():
    with pytest.raises(ValueParseError, match='could not read "and 20"'):
        parse_number("15 and 20")


def test_it_rejects_a_range_that_ends_below_its_start():
    with pytest.raises(ValueParseError, match="must not end"):
        parse_number("20-15")


def test_it_rejects_a_qualified_range():
    with pytest.raises(ValueParseError, match="too many qualifiers"):
        parse_number("about 15-20")


def test_it_rejects_between_without_a_second_number():
    with pytest.raises(ValueParseError, match="a range needs two numbers"):
        parse_number("between 15 and lots")


def test_it_reads_the_scale_of_a_range_once_for_both_ends():
    assert parse_number("15-20 million").amount == D("15000000")
    # The first end already exceeds 2, so "million" belongs to the second alone.
    assert parse_number("between 500,000 and 2 million").amount == D("500000")


def test_it_rejects_a_number_with_more_digits_than_any_claim_needs():
    with pytest.raises(ValueParseError, match="at most 40 digits"):
        parse_number("1" * 41)


def test_it_only_reads_quantity_or_count_in_parse_number():
    with pytest.raises(ValueParseError, match='unknown kind of number "money"'):
        parse_number("5", kind="money")


# --- Dates ----------------------------------------------------------------------------------

DATE_WORDINGS = [
    ("May 19, 2023", datetime.date(2023, 5, 19), DAY, datetime.date(2023, 5, 19)),
    ("19 May 2023", datetime.date(2023, 5, 19), DAY, datetime.date(2023, 5, 19)),
    ("December 2023", datetime.date(2023, 12, 1), MONTH, datetime.date(2023, 12, 31)),
    ("2019", datetime.date(2019, 1, 1), YEAR, datetime.date(2019, 12, 31)),
    ("2023", datetime.date(2023, 1, 1), YEAR, datetime.date(2023, 12, 31)),
    ("2023-02", datetime.date(2023, 2, 1), MONTH, datetime.date(2023, 2, 28)),
    ("2024-02", datetime.date(2024, 2, 1), MONTH, datetime.date(2024, 2, 29)),
    ("2023-05-19", datetime.date(2023, 5, 19), DAY, datetime.date(2023, 5, 19)),
    ("in 2019", datetime.date(2019, 1, 1), YEAR, datetime.date(2019, 12, 31)),
    ("early 2024", datetime.date(2024, 1, 1), YEAR, datetime.date(2024, 12, 31)),
]


@pytest.mark.parametrize(("text", "start", "precision", "end"), DATE_WORDINGS)
def test_it_reads_dates_with_their_precision(text, start, precision, end):
    value = parse_date(text)
    assert (value.date, value.precision) == (start, precision)
    assert value.interval() == (start, end)


@pytest.mark.parametrize("text", ["2023-02-30", "February 30, 2023", "2023-13"])
def test_it_says_an_impossible_date_is_not_a_real_date(text):
    with pytest.raises(ValueParseError, match=f'"{text}" is not a real date'):
        parse_date(text)


def test_it_requires_a_year_in_a_date():
    with pytest.raises(ValueParseError, match='no year in the date "May 19"'):
        parse_date("May 19")


def test_it_says_it_could_not_read_a_date():
    with pytest.raises(ValueParseError, match='could not read a date in "tomorrow-ish"'):
        parse_date("tomorrow-ish")


def test_it_writes_dates_as_iso_as_precise_as_they_are():
    assert parse_date("December 2023").iso() == "2023-12"
    assert parse_date("May 19, 2023").to_dict() == {"date": "2023-05-19"}
    assert DateValue(datetime.date(2019, 7, 4), YEAR).iso() == "2019"


def test_it_stores_a_coarse_date_as_the_first_day_of_its_period():
    assert DateValue(datetime.date(2023, 5, 19), MONTH) == parse_date("2023-05")


def test_a_date_value_is_the_partial_date_of_kb_and_fails_the_same_way():
    assert DateValue is dates.PartialDate
    assert ValueParseError is dates.ValueParseError
    with pytest.raises(ValueParseError, match='unknown date precision "week"'):
        DateValue(datetime.date(2023, 5, 19), "week")


def test_it_reads_dates_whatever_dashes_and_spaces_they_are_written_with():
    assert parse_date(" 2023\u201305 ") == parse_date("2023-05")
    assert parse_date("May   19,\n2023") == parse_date("2023-05-19")


# --- The word lists (shared with claims.extraction) ------------------------------------------


@pytest.mark.parametrize(("symbol", "code"), wording.CURRENCY_SYMBOLS.items())
def test_it_reads_every_currency_symbol_before_an_amount(symbol, code):
    assert parse_money(f"{symbol}5 million").currency == code
    assert parse_money(f"{symbol.lower()} 5").currency == code


@pytest.mark.parametrize(("name", "code"), wording.CURRENCY_WORDS.items())
def test_it_reads_every_currency_name_after_an_amount(name, code):
    assert parse_money(f"5 million {name}").currency == code
    assert parse_money(f"5 {name.upper()}").currency == code


@pytest.mark.parametrize(
    ("word", "number"), [*wording.NUMBER_UNITS.items(), *wording.NUMBER_TENS.items()]
)
def test_it_reads_every_number_word(word, number):
    assert parse_number(word).amount == number


@pytest.mark.parametrize(
    ("scale", "exponent"),
    [*wording.SCALE_EXPONENTS.items(), *wording.SCALE_ABBREVIATIONS.items()],
)
def test_it_reads_every_scale_of_money(scale, exponent):
    assert parse_money(f"$3{scale}").amount == 3 * 10**exponent


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [(p, q) for q, phrases in wording.QUALIFIER_PHRASES.items() for p in phrases],
)
def test_it_reads_every_qualifier_phrase(phrase, qualifier):
    assert parse_number(f"{phrase} 20").qualifier == qualifier


# --- Booleans, text and dispatch ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("yes", True), ("No", False), ("TRUE", True), (" false ", False)]
)
def test_it_reads_yes_no_true_and_false(text, expected):
    assert parse_boolean(text) is expected


def test_it_rejects_other_words_as_booleans():
    with pytest.raises(ValueParseError, match='could not read yes or no in "maybe"'):
        parse_boolean("maybe")


def test_it_dispatches_by_value_type():
    assert parse_value("$180 million", "money") == money("180000000")
    assert parse_value("about 5", "quantity", unit="km").unit == "km"
    assert parse_value("nine", "count", unit="helicopters") == count(9, unit="helicopters")
    assert parse_value("2019", "date") == DateValue(datetime.date(2019, 1, 1), YEAR)
    assert parse_value("yes", "boolean") is True
    assert parse_value("  Callao  ", "text") == "Callao"


def test_it_rejects_an_unknown_value_type():
    with pytest.raises(ValueParseError, match='unknown value type "entity"'):
        parse_value("Callao", "entity")


@pytest.mark.parametrize("value_type", values.VALUE_TYPES)
def test_it_rejects_empty_text_for_every_value_type(value_type):
    with pytest.raises(ValueParseError, match="the value is empty"):
        parse_value("   ", value_type)


@pytest.mark.parametrize("value_type", values.VALUE_TYPES)
def test_it_rejects_a_value_that_is_not_text(value_type):
    with pytest.raises(ValueParseError, match="expected the value as text"):
        parse_value(None, value_type)


# --- Values built directly, and the bundle form ---------------------------------------------


def test_it_writes_the_bundle_form_with_plain_amounts():
    assert parse_money("$180 million").to_dict() == {
        "amount": "180000000",
        "currency": "USD",
        "qualifier": "exact",
    }
    assert parse_number("between 15 and 20", unit="troops").to_dict() == {
        "amount": "15",
        "max": "20",
        "unit": "troops",
        "qualifier": "range",
    }
    assert money("1.50").to_dict()["amount"] == "1.5"
    assert money("1E+3").to_dict()["amount"] == "1000"


def test_it_reads_back_the_bundle_form():
    value = parse_money("between $15 million and $20 million")
    assert NumericValue.from_dict(value.to_dict(), kind="money") == value
    assert NumericValue.from_dict({"amount": 9}, kind="count", unit="helicopters") == count(
        9, unit="helicopters"
    )
    assert DateValue.from_dict({"date": "2023-05"}) == parse_date("May 2023")


def test_it_rejects_an_unknown_currency_in_the_bundle_form():
    with pytest.raises(ValueParseError, match='unknown currency "USDX"'):
        NumericValue.from_dict({"amount": "5", "currency": "USDX"}, kind="money")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "5", "currency": "USD", "qualifier": "range"}, "a range needs a maximum"),
        ({"amount": "5", "currency": "USD", "max": "6"}, "only a range has a maximum"),
        ({"amount": "5"}, "money needs a currency"),
        ({"amount": "-5", "currency": "USD"}, "cannot be negative"),
        ({"amount": "lots", "currency": "USD"}, 'could not read the amount "lots"'),
        ({"amount": "5", "currency": "USD", "qualifier": "roughly"}, 'unknown qualifier "roughly"'),
        (
            {"amount": "5", "currency": "USD", "colour": "red"},
            "unexpected keys in the value: colour",
        ),
    ],
)
def test_it_explains_what_is_wrong_with_a_bundle_value(fields, message):
    with pytest.raises(ValueParseError, match=message):
        NumericValue.from_dict(fields, kind="money")


# --- Display --------------------------------------------------------------------------------

DISPLAYS = [
    (money("1500000000"), "$1.5 billion"),
    (money("180000000"), "$180 million"),
    (money("350000000", qualifier=AT_LEAST), "more than $350 million"),
    (money("5000000", "EUR"), "€5 million"),
    (money("2000000", "GBP"), "£2 million"),
    (money("300000000", "PEN"), "S/ 300 million"),
    (money("5000000", "CHF"), "CHF 5 million"),
    (money("1234567"), "$1,234,567"),
    (money("2500000000000"), "$2.5 trillion"),
    (money("15000000", qualifier=RANGE, max="20000000"), "between $15 million and $20 million"),
    # "between $1 and $2 million" would read back as a million to two million.
    (money("1", qualifier=RANGE, max="2000000"), "between $1 and $2,000,000"),
    (count(15, qualifier=APPROXIMATELY), "about 15"),
    (count(20, qualifier=AT_MOST), "up to 20"),
    (count(15, qualifier=RANGE, max=20), "between 15 and 20"),
    (count(9), "9"),
    (count(1500), "1,500"),
    (DateValue(datetime.date(2023, 5, 19), DAY), "May 19, 2023"),
    (DateValue(datetime.date(2023, 12, 1), MONTH), "December 2023"),
    (DateValue(datetime.date(2019, 1, 1), YEAR), "2019"),
    (DateValue(datetime.date(999, 3, 1), MONTH), "0999-03"),
    (True, "yes"),
    (False, "no"),
    ("Callao Naval Base", "Callao Naval Base"),
]


@pytest.mark.parametrize(("value", "text"), DISPLAYS)
def test_it_displays_values_as_sources_write_them(value, text):
    assert format_value(value) == text


def test_it_refuses_to_display_something_that_is_not_a_value():
    with pytest.raises(TypeError):
        format_value(3.5)


# --- Properties -----------------------------------------------------------------------------

CURRENCIES = ["USD", "EUR", "GBP", "PEN", "CHF", "JPY", "BRL"]

# Round figures ("1.5 billion") exercise the compact display; the others its full digits.
amounts = st.one_of(
    st.builds(lambda n, e: D(n).scaleb(e), st.integers(1, 999_999), st.integers(-2, 12)),
    st.decimals(min_value=0, max_value=D("1e14"), places=2, allow_nan=False, allow_infinity=False),
)
whole_amounts = st.one_of(
    st.builds(lambda n, e: D(n).scaleb(e), st.integers(1, 999), st.integers(0, 12)),
    st.integers(0, 10**15).map(D),
)


@st.composite
def numeric_values(draw, kind):
    qualifier = draw(st.sampled_from(QUALIFIERS))
    numbers = whole_amounts if kind == "count" else amounts
    amount = draw(numbers)
    maximum = amount + draw(numbers) if qualifier == RANGE else None
    return NumericValue(
        kind=kind,
        amount=amount,
        qualifier=qualifier,
        max=maximum,
        currency=draw(st.sampled_from(CURRENCIES)) if kind == "money" else None,
        unit=draw(st.sampled_from([None, "km", "troops"])) if kind != "money" else None,
    )


@settings(deadline=None)
@given(numeric_values("money"))
def test_it_reads_back_any_money_it_displays(value):
    assert parse_money(format_value(value)) == value


@settings(deadline=None)
@given(st.sampled_from(["count", "quantity"]).flatmap(numeric_values))
def test_it_reads_back_any_count_or_quantity_it_displays(value):
    assert parse_number(format_value(value), kind=value.kind, unit=value.unit) == value


@settings(deadline=None)
@given(st.dates(), st.sampled_from(PRECISIONS))
def test_it_reads_back_any_date_it_displays(day, precision):
    value = DateValue(day, precision)
    assert parse_date(format_value(value)) == value
    assert parse_date(value.iso()) == value


@settings(deadline=None)
@given(numeric_values("money"))
def test_it_reads_back_the_bundle_form_of_any_money(value):
    assert NumericValue.from_dict(value.to_dict(), kind="money") == value


# Words and symbols the parsers look for, so the fuzzing reaches past the first check.
VOCABULARY = [
    "$",
    "US$",
    "€",
    "£",
    "S/",
    "USD",
    "USDX",
    "EUR",
    "1",
    "15",
    "1,500",
    "1.5",
    ".5",
    "0",
    "2023",
    "05",
    "-",
    "to",
    "and",
    "between",
    "from",
    "about",
    "more than",
    "up to",
    "~",
    "+",
    "or more",
    "million",
    "billion",
    "m",
    "B",
    "k",
    "nine",
    "twenty",
    "-five",
    "a",
    "dozen",
    "hundred",
    "thousand",
    "euros",
    "dollars",
    "helicopters",
    "May",
    "19,",
    "December",
    "in",
    "early",
    "yes",
    "no",
    "February 30",
    "30",
    ",",
    ".",
    " ",
]
fuzz_texts = st.one_of(
    st.text(),
    st.lists(st.sampled_from(VOCABULARY), max_size=8).map(" ".join),
    st.lists(st.sampled_from(VOCABULARY), max_size=8).map("".join),
)


@settings(deadline=None, max_examples=150)
@given(fuzz_texts, st.sampled_from(values.VALUE_TYPES))
def test_it_only_ever_raises_value_parse_error(text, value_type):
    try:
        parsed = parse_value(text, value_type)
    except ValueParseError:
        return
    # Whatever it reads, it can display.
    assert isinstance(format_value(parsed), str)


# The displays are worked out once per value (claims.values.display, kb.dates): what a value
# shows never depends on the values shown before it.


def uncached_display(value) -> str:
    from claims.values import display
    from kb import dates

    with (
        mock.patch.object(display, "_numeric_shown", display._numeric_shown.__wrapped__),
        mock.patch.object(display, "_grouped", display._grouped.__wrapped__),
        mock.patch.object(dates, "_displayed", dates._displayed.__wrapped__),
    ):
        return format_value(value)


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["money", "count", "quantity"]).flatmap(numeric_values),
            st.builds(DateValue, st.dates(), st.sampled_from(PRECISIONS)),
        ),
        max_size=6,
    )
)
def test_a_values_display_is_the_same_shown_after_any_others(shown):
    for value in shown:
        assert format_value(value) == uncached_display(value)


def test_values_that_differ_only_in_currency_unit_qualifier_or_precision_show_apart():
    money = NumericValue(kind="money", amount=D("180000000"), currency="USD")
    assert format_value(money) == "$180 million"
    assert format_value(NumericValue(kind="money", amount=D("180000000"), currency="EUR")) == (
        "€180 million"
    )
    count = NumericValue(kind="count", amount=D("300"), qualifier=AT_LEAST, unit="troops")
    assert format_value(count) == "more than 300"
    assert format_value(NumericValue(kind="count", amount=D("300"), unit="troops")) == "300"
    day = datetime.date(2023, 5, 19)
    assert [format_value(DateValue(day, p)) for p in (DAY, MONTH, YEAR)] == [
        "May 19, 2023",
        "May 2023",
        "2023",
    ]
    # Equal amounts written otherwise are keyed as written, and read back alike.
    assert format_value(NumericValue(kind="quantity", amount=D("1.50"), unit="km")) == "1.5"
    assert format_interval(D("1.50"), D("1.50"), "km") == "1.5 km"


def test_the_benchmark_can_forget_every_display_worked_out():
    from claims.values import display
    from kb import dates

    format_value(NumericValue(kind="money", amount=D("180000000"), currency="USD"))
    format_value(DateValue(datetime.date(2023, 5, 19), DAY))
    format_interval(D("174600000"), D("185400000"), "USD")

    display.forget_shown()

    caches = (display._numeric_shown, display._grouped, dates._displayed)
    assert [cache.cache_info().currsize for cache in caches] == [0, 0, 0]
