"""Dates at a precision (kb/dates.py): reading, the days they cover, ISO writing and display, without a database."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb import dates
from kb.dates import (
    BAD_PARTIAL_DATE,
    DAY,
    MONTH,
    PRECISIONS,
    YEAR,
    PartialDate,
    ValueParseError,
    display_at_precision,
    iso_at_precision,
    parse_iso,
    parse_wording,
)
from kb.models import DatePrecision

D = datetime.date

# --- Strict ISO reading (the API's filters, the bundle form) --------------------------------


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("2024", D(2024, 1, 1), YEAR),
        ("2024-11", D(2024, 11, 1), MONTH),
        ("2024-11-05", D(2024, 11, 5), DAY),
        ("2024-02-29", D(2024, 2, 29), DAY),
        ("0999-03", D(999, 3, 1), MONTH),
    ],
)
def test_it_reads_a_year_a_month_or_a_day_in_iso_form(text, date, precision):
    value = parse_iso(text)

    assert (value.date, value.precision) == (date, precision)


@pytest.mark.parametrize(
    "text",
    ["2024-1-1", "-2024", "2024-02-29T10:00", " 2024", "2024-11-05 ", "24", "2024-11-05-01",
     "2024/11", "20241105", "November 2024", "", "２０２４"],
)  # fmt: skip
def test_it_refuses_anything_but_the_iso_form_saying_how_to_write_a_date(text):
    with pytest.raises(ValueParseError) as error:
        parse_iso(text)

    assert str(error.value) == BAD_PARTIAL_DATE == "Enter a date as 2024, 2024-11 or 2024-11-05."


@pytest.mark.parametrize(
    "text", ["2023-00-10", "2024-02-30", "2023-02-29", "2024-13", "2024-00", "2024-11-00", "0000"]
)
def test_it_says_an_iso_date_that_does_not_exist_is_not_a_real_date(text):
    with pytest.raises(ValueParseError, match=f'^"{text}" is not a real date$'):
        parse_iso(text)


# --- The days a date covers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2024", D(2024, 1, 1), D(2024, 12, 31)),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        ("2023-02", D(2023, 2, 1), D(2023, 2, 28)),
        ("2000-02", D(2000, 2, 1), D(2000, 2, 29)),
        ("2100-02", D(2100, 2, 1), D(2100, 2, 28)),
        ("2024-04", D(2024, 4, 1), D(2024, 4, 30)),
        ("2024-12", D(2024, 12, 1), D(2024, 12, 31)),
        ("2024-02-29", D(2024, 2, 29), D(2024, 2, 29)),
        ("9999", D(9999, 1, 1), D(9999, 12, 31)),
    ],
)
def test_a_date_covers_every_day_of_its_year_month_or_day(text, first, last):
    value = parse_iso(text)

    assert value.interval() == (first, last)
    assert (value.start, value.end) == (first, last)


def test_a_coarse_date_is_kept_as_the_first_day_of_its_period():
    assert PartialDate(D(2023, 5, 19), MONTH) == parse_iso("2023-05")
    assert PartialDate(D(2023, 5, 19), YEAR).date == D(2023, 1, 1)
    assert PartialDate(datetime.datetime(2023, 5, 19, 10, 30), DAY).date == D(2023, 5, 19)


def test_it_refuses_an_unknown_precision_and_what_is_not_a_date():
    with pytest.raises(ValueParseError, match='unknown date precision "week"'):
        PartialDate(D(2023, 5, 19), "week")
    with pytest.raises(ValueParseError, match="expected a date, got str"):
        PartialDate("2023-05-19", DAY)


def test_the_precisions_are_those_the_models_store():
    assert PRECISIONS == tuple(DatePrecision.values) == ("year", "month", "day")


# --- ISO writing and display -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "precision", "iso", "display"),
    [
        (D(2023, 5, 19), DAY, "2023-05-19", "May 19, 2023"),
        (D(2023, 12, 1), MONTH, "2023-12", "December 2023"),
        (D(2024, 7, 4), YEAR, "2024", "2024"),
        (D(999, 3, 1), MONTH, "0999-03", "0999-03"),
        (D(45, 1, 1), YEAR, "0045", "0045"),
    ],
)
def test_it_writes_a_date_as_precise_as_it_is_known(date, precision, iso, display):
    value = PartialDate(date, precision)

    assert value.iso() == iso
    assert value.display() == display


def test_a_stored_date_and_its_precision_column_write_the_same_way():
    assert iso_at_precision(D(2024, 11, 5), DatePrecision.MONTH) == "2024-11"
    assert display_at_precision(D(2024, 11, 5), DatePrecision.MONTH) == "November 2024"
    assert dates.stored(D(2024, 11, 5), DatePrecision.YEAR) == parse_iso("2024")


def test_no_stored_date_writes_as_nothing():
    assert dates.stored(None, DAY) is None
    assert iso_at_precision(None, DAY) is None
    assert display_at_precision(None, DAY) == ""


# --- Reading wordings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("May 19, 2023", PartialDate(D(2023, 5, 19), DAY)),
        ("19 May 2023", PartialDate(D(2023, 5, 19), DAY)),
        ("December 2023", PartialDate(D(2023, 12, 1), MONTH)),
        ("2019", PartialDate(D(2019, 1, 1), YEAR)),
        ("in 2019", PartialDate(D(2019, 1, 1), YEAR)),
        ("mid-2023", PartialDate(D(2023, 1, 1), YEAR)),
        ("early  2024-02", PartialDate(D(2024, 2, 1), MONTH)),
    ],
)
def test_it_reads_the_wordings_sources_use(text, expected):
    assert parse_wording(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("February 30, 2023", '"February 30, 2023" is not a real date'),
        ("2023-02-30", '"2023-02-30" is not a real date'),
        ("May 19", 'no year in the date "May 19"'),
        ("tomorrow-ish", 'could not read a date in "tomorrow-ish"'),
        ("x" * 100, 'could not read a date in "' + "x" * 59 + '…"'),
    ],
)
def test_it_says_what_it_could_not_read_in_a_wording(text, message):
    with pytest.raises(ValueParseError) as error:
        parse_wording(text)

    assert str(error.value) == message


@settings(deadline=None)
@given(st.dates(), st.sampled_from(PRECISIONS))
def test_it_reads_back_any_date_it_writes(day, precision):
    value = PartialDate(day, precision)

    assert parse_wording(value.display()) == value
    assert parse_iso(value.iso()) == value
    assert value.start <= day <= value.end


# --- The bundle form ---------------------------------------------------------------------------


def test_the_bundle_form_is_the_iso_form():
    value = parse_wording("May 2023")

    assert value.to_dict() == {"date": "2023-05"}
    assert PartialDate.from_dict({"date": "2023-05"}) == value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("2023-05", 'expected the value as an object such as {"date": "2023-05"}, got str'),
        ({"date": "2023-05", "precision": "month"}, "unexpected keys in the value: precision"),
        ({}, 'a date value needs a "date"'),
        ({"date": 2023}, BAD_PARTIAL_DATE),
        ({"date": "May 2023"}, BAD_PARTIAL_DATE),
    ],
)
def test_it_says_what_is_wrong_with_a_bundle_form(data, message):
    with pytest.raises(ValueParseError) as error:
        PartialDate.from_dict(data)

    assert str(error.value) == message


BABEL_PATTERNS = {YEAR: "y", MONTH: "MMMM y", DAY: "MMMM d, y"}


@settings(deadline=None)
@given(st.dates(min_value=datetime.date(1000, 1, 1)), st.sampled_from(PRECISIONS))
def test_a_date_shows_as_babels_pattern_writes_it_in_en_us(day, precision):
    from babel.dates import format_date

    expected = format_date(day, BABEL_PATTERNS[precision], locale="en_US")
    dates.forget_dates_shown()
    assert PartialDate(day, precision).display() == expected
    assert PartialDate(day, precision).display() == expected  # and once it is kept


def test_a_date_before_the_year_1000_shows_as_iso():
    assert PartialDate(datetime.date(999, 3, 1), MONTH).display() == "0999-03"
