"""Dates known to the year, month or day: the days they cover, their ISO form and their display."""

from __future__ import annotations

import calendar
import datetime
import functools
import re
from dataclasses import dataclass

from babel import Locale
from dateutil import parser as dateutil_parser

# The values of kb.models.DatePrecision, kept here so that this module needs no models.
YEAR, MONTH, DAY = "year", "month", "day"
PRECISIONS = (YEAR, MONTH, DAY)

# Messages users see; the bundle importer prefixes them with the place in the bundle.
BAD_PARTIAL_DATE = "Enter a date as 2024, 2024-11 or 2024-11-05."
NOT_A_REAL_DATE = '"{text}" is not a real date'
NO_DATE = 'could not read a date in "{text}"'
NO_YEAR = 'no year in the date "{text}"'
NOT_A_DATE_OBJECT = "expected a date, got {type}"
UNKNOWN_PRECISION = 'unknown date precision "{precision}"; expected year, month or day'
NOT_A_MAPPING = "expected the value as an object such as {example}, got {type}"
UNEXPECTED_KEYS = "unexpected keys in the value: {keys}"
MISSING_DATE = 'a date value needs a "date"'

# The ISO form at a precision, as the API's OpenAPI schema and the bundle format describe it.
ISO_PATTERN = r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"
ISO_SCHEMA = {"type": "string", "pattern": f"^{ISO_PATTERN}$", "example": "2024-11"}
ISO_FORM = re.compile(ISO_PATTERN)

# Words before a date that say no more than the date does: "in 2019", "early 2024", "mid-2023".
_LEAD_IN = re.compile(r"(?:in|early|mid|late)(?:\s+|-)(?=\w)", re.IGNORECASE)
# Two defaults that differ in year, month and day show which of them the text gave. Both years
# are leap years and both months have 31 days, so a default never makes a given day impossible.
_DEFAULTS = (datetime.datetime(2000, 1, 1), datetime.datetime(2004, 3, 2))


class ValueParseError(ValueError):
    """Raised with a message saying what was not understood, e.g. '"2024-02-30" is not a real date'.

    claims.values raises the same class for amounts and wordings, so one `except` serves both.
    """


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, month or day; `date` is the first day of that period."""

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

    @property
    def start(self) -> datetime.date:
        """The first day the date covers."""
        return self.date

    @property
    def end(self) -> datetime.date:
        """The last day the date covers: 2024-12-31 for "2024", 2024-02-29 for "2024-02"."""
        if self.precision == YEAR:
            return self.date.replace(month=12, day=31)
        if self.precision == MONTH:
            return self.date.replace(day=calendar.monthrange(self.date.year, self.date.month)[1])
        return self.date

    def interval(self) -> tuple[datetime.date, datetime.date]:
        """The first and last day the date covers: "2024" is 2024-01-01 .. 2024-12-31."""
        return self.start, self.end

    def iso(self) -> str:
        """ "2023", "2023-05" or "2023-05-19", as precise as the date."""
        if self.precision == YEAR:
            return f"{self.date.year:04d}"
        if self.precision == MONTH:
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return self.date.isoformat()

    def display(self) -> str:
        """ "May 19, 2023", "December 2023" or "2023": the date as people read it."""
        # A year below 1000 would read back as a two-digit year, so those dates show as ISO.
        if self.date.year < 1000:
            return self.iso()
        return _displayed(self.date, self.precision)

    def to_dict(self) -> dict:
        """The bundle form of a date value: {"date": "2023-05"}."""
        return {"date": self.iso()}

    @classmethod
    def from_dict(cls, data) -> PartialDate:
        """Read the bundle form written by to_dict; raises ValueParseError."""
        if not isinstance(data, dict):
            raise ValueParseError(
                NOT_A_MAPPING.format(example='{"date": "2023-05"}', type=type(data).__name__)
            )
        unexpected = sorted(set(data) - {"date"})
        if unexpected:
            raise ValueParseError(UNEXPECTED_KEYS.format(keys=", ".join(map(str, unexpected))))
        if "date" not in data:
            raise ValueParseError(MISSING_DATE)
        if not isinstance(data["date"], str):
            raise ValueParseError(BAD_PARTIAL_DATE)
        return parse_iso(data["date"])


# The month names of the locale dates are shown in (en_US), from Babel's data: the display's
# three patterns ("y", "MMMM y", "MMMM d, y") are written out rather than run through Babel's
# pattern engine, which cost 25 µs a date (tests/kb/test_dates.py holds the two to the same).
_MONTHS = Locale.parse("en_US").months["format"]["wide"]


@functools.lru_cache(maxsize=16384)
def _displayed(date: datetime.date, precision: str) -> str:
    """A date (of year 1000 or later) as people read it at its precision, worked out once per
    date and precision."""
    if precision == YEAR:
        return str(date.year)
    if precision == MONTH:
        return f"{_MONTHS[date.month]} {date.year}"
    return f"{_MONTHS[date.month]} {date.day}, {date.year}"


def forget_dates_shown() -> None:
    """Forget the dates' displays worked out so far (claims.values.display.forget_shown)."""
    _displayed.cache_clear()


def parse_iso(text: str) -> PartialDate:
    """Read exactly "2024", "2024-11" or "2024-11-05"; raises ValueParseError on anything else.

    No spaces, signs, times or one-digit months: the API's filters and the bundle format
    take this form and no other.
    """
    if not ISO_FORM.fullmatch(text):
        raise ValueParseError(BAD_PARTIAL_DATE)
    parts = [int(part) for part in text.split("-")]
    # What the text leaves out is the first month or day; what it gives must exist ("2024-00").
    year, month, day = parts + [1] * (3 - len(parts))
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        raise ValueParseError(NOT_A_REAL_DATE.format(text=text)) from None
    return PartialDate(date, PRECISIONS[len(parts) - 1])


def parse_wording(text: str) -> PartialDate:
    """Read "May 19, 2023", "December 2023", "in 2019" or an ISO form; raises ValueParseError.

    Reads back whatever PartialDate.display writes.
    """
    body = " ".join(text.split())
    quoted = brief(body)
    if lead_in := _LEAD_IN.match(body):
        body = body[lead_in.end() :]
    if ISO_FORM.fullmatch(body):
        return parse_iso(body)
    try:
        first, second = (
            dateutil_parser.parse(body, default=default, ignoretz=True) for default in _DEFAULTS
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
    return PartialDate(first.date(), DAY if day_given else MONTH if month_given else YEAR)


def brief(text: str, limit: int = 60) -> str:
    """The text as it goes inside a message, cut short so one bad value cannot flood a report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stored(date: datetime.date | None, precision: str) -> PartialDate | None:
    """A date column and its precision column as a PartialDate; no date gives None."""
    return None if date is None else PartialDate(date, precision)


# The API writes a date of every claim and source a page shows, and pages repeat dates.
@functools.lru_cache(maxsize=65_536)
def iso_at_precision(date: datetime.date | None, precision: str) -> str | None:
    """ "2024", "2024-11" or "2024-11-05": a stored date as precise as it is known, or None."""
    value = stored(date, precision)
    return value.iso() if value else None


def display_at_precision(date: datetime.date | None, precision: str) -> str:
    """ "May 19, 2023", "December 2023", "2024": a stored date as people read it, or ""."""
    value = stored(date, precision)
    return value.display() if value else ""
