"""How claims read: the typed value behind a claim's columns, and its wording for people
("$1.5 billion", "up to 10 years", "[174,600,000 – 185,400,000] USD"), for the pages, the admin and
the API."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from weakref import WeakKeyDictionary

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import get_current_timezone

from claims import values
from claims.models import (
    NUMERIC_TYPES,
    Claim,
    ContradictionStatus,
    Outcome,
    Qualifier,
    Rank,
    ValueType,
)
from claims.values.display import format_interval
from kb.models import DatePrecision, Entity, EntityKind
from kb.reversing import pk_url


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


# Contradictions.


def claim_interval_display(claim: Claim) -> str:
    """The interval a claim's value denotes, as stored, for people: "180,000,000 USD",
    "[174,600,000 – 185,400,000] USD", "at least 1,800,000,000 USD", "up to 10 years",
    "January 1, 2024 – December 31, 2024"."""
    if claim.low is not None:
        return format_interval(claim.low, claim.high, claim.currency or claim.unit)
    if claim.date_low:
        low = date_display(claim.date_low, DatePrecision.DAY)
        if claim.date_high == claim.date_low:
            return low
        return f"{low} – {date_display(claim.date_high, DatePrecision.DAY)}"
    return claim_value_display(claim)


def claim_value_with_unit(claim: Claim) -> str:
    """The claim's value for people with the unit of a count or quantity: "up to 20 people",
    "about 180 helicopters"; other values as claim_value_display gives them."""
    display = value_display(claim)
    if claim.value_type in (ValueType.COUNT, ValueType.QUANTITY) and claim.unit:
        return f"{display} {claim.unit}"
    return display


def date_display(date: datetime.date | None, precision: str) -> str:
    """A stored date as people read it at its precision: "May 19, 2023", "December 2023"."""
    value = date_value(date, precision)
    return values.format_value(value) if value else ""


def plain_decimal(number: Decimal | None) -> str | None:
    """A stored decimal as plain digits without trailing zeros: "162000000", "0.5"."""
    if number is None:
        return None
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# A claim's display depends on its value columns only; formatting one takes ~0.1 ms (Babel,
# then a read-back check), so a bounded memo keeps pages of repeated values cheap.
_DISPLAY_MEMO: dict = {}
_DISPLAY_MEMO_LIMIT = 100_000


def value_display(claim: Claim) -> str:
    """claim_value_display(claim), remembered for numbers and dates."""
    value_type = claim.value_type
    if value_type in NUMERIC_TYPES:
        key = (
            value_type,
            claim.amount,
            claim.qualifier,
            claim.amount_max,
            claim.currency,
            claim.unit,
        )
    elif value_type == ValueType.DATE:
        key = (value_type, claim.date_value, claim.date_precision)
    else:
        return claim_value_display(claim)
    display = _DISPLAY_MEMO.get(key)
    if display is None:
        if len(_DISPLAY_MEMO) >= _DISPLAY_MEMO_LIMIT:
            _DISPLAY_MEMO.clear()
        display = _DISPLAY_MEMO[key] = claim_value_display(claim)
    return display


# Search results: the words found, marked in escaped text.

# What PostgreSQL's ts_headline puts around a match: control characters no source text shows,
# so that the text can be escaped first and the marks added after.
HIGHLIGHT_START, HIGHLIGHT_STOP = "\x02", "\x03"


def marked(headline: str) -> SafeString:
    """A ts_headline result as HTML: the text escaped, its matches in <mark>."""
    tags = {HIGHLIGHT_START: "<mark>", HIGHLIGHT_STOP: "</mark>"}
    parts = re.split(f"({HIGHLIGHT_START}|{HIGHLIGHT_STOP})", headline)
    return mark_safe("".join(tags.get(part) or escape(part) for part in parts))


def highlight(text: str, words: list[str], *, width: int | None = None) -> SafeString:
    """The text escaped, every case-insensitive occurrence of each word in <mark>; with `width`,
    a longer text is cut to about that many characters around its first match, with "…"."""
    spans = sorted(
        (match.start(), match.end())
        for word in words
        if word
        for match in re.finditer(re.escape(word), text, flags=re.IGNORECASE)
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    first, last = 0, len(text)
    if width is not None and len(text) > width:
        centre = merged[0][0] if merged else 0
        first = max(0, centre - width // 3)
        last = min(len(text), first + width)
    parts, cursor = [], first
    for start, end in merged:
        if end <= first or start >= last:
            continue
        start, end = max(start, first), min(end, last)
        parts += [escape(text[cursor:start]), "<mark>", escape(text[start:end]), "</mark>"]
        cursor = end
    parts.append(escape(text[cursor:last]))
    lead = "… " if first > 0 else ""
    tail = " …" if last < len(text) else ""
    return mark_safe(lead + "".join(parts) + tail)


# Contradictions on the queue.


# What may happen to a contradiction after it is detected, in the order that wins a tie.
_LATER_EVENTS = (
    ("resolved_at", "decided"),
    ("reopened_at", "reopened"),
    ("withdrawn_at", "withdrawn"),
)


def contradiction_last_event(row) -> str:
    """What happened last to a contradiction (a queue row: claims.selectors.
    contradictions_by_activity), in a word: "detected" (or "flagged"), "decided", "reopened"
    or "withdrawn"; a later event wins a tie."""
    latest = row["detected_at"]
    event = "flagged" if row["origin"] == "manual" else "detected"
    for field, later in _LATER_EVENTS:
        when = row[field]
        if when is not None and (latest is None or when >= latest):
            latest, event = when, later
    return "" if latest is None else event


# How long ago, in its largest whole unit ("3 minutes", "1 day"): what the queue shows beside
# each contradiction's last event. Django's timesince says the same with a second unit, at ten
# times the cost of this for a page of fifty rows (its translations).
_MINUTE, _HOUR, _DAY, _WEEK, _MONTH, _YEAR = 60, 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400


def elapsed(since, now) -> str:
    """The time from `since` to `now` in its largest whole unit; "0 minutes" for less than a
    minute or a time to come. The units are compared one by one, most recent times first (a
    loop over them cost twice as much a queue row)."""
    seconds = (now - since).total_seconds()
    if seconds < _DAY:
        if seconds >= _HOUR:
            count, unit = int(seconds // _HOUR), "hour"
        elif seconds >= _MINUTE:
            count, unit = int(seconds // _MINUTE), "minute"
        else:
            return "0 minutes"
    elif seconds < _WEEK:
        count, unit = int(seconds // _DAY), "day"
    elif seconds < _MONTH:
        count, unit = int(seconds // _WEEK), "week"
    elif seconds < _YEAR:
        count, unit = int(seconds // _MONTH), "month"
    else:
        count, unit = int(seconds // _YEAR), "year"
    return f"1 {unit}" if count == 1 else f"{count} {unit}s"


# "00" to "99", for the times a page writes out.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def _offset_text(zone) -> str | None:
    """How isoformat() writes the offset of `zone` ("+00:00", "-05:00"), if it has one
    offset (UTC); None if its offset changes."""
    offset = zone.utcoffset(None)
    if offset is None:
        return None
    return datetime.datetime(2000, 1, 1, tzinfo=zone).isoformat()[19:]


def _iso_seconds(when, offset: str) -> str:
    """when.isoformat(timespec="seconds") for a time at `offset` (_offset_text's): written
    from its fields, at a third of isoformat's cost (C's printf for each field)."""
    two = _TWO_DIGITS
    return (
        f"{when.year:04d}-{two[when.month]}-{two[when.day]}"
        f"T{two[when.hour]}:{two[when.minute]}:{two[when.second]}{offset}"
    )


_ENTITY_KINDS = dict(EntityKind.choices)
# Capitalized as the queue's status column shows them.
_STATUSES = {value: capfirst(label) for value, label in ContradictionStatus.choices}
_OUTCOMES = dict(Outcome.choices)


def queue_rows(rows, now) -> None:
    """Give each row of a queue page (claims.selectors.contradictions_by_activity) what it
    shows, worked out in Python rather than by template filters, row by row: its page's URL,
    the labels of its subject's kind, status (capitalized) and outcome, its last event, how
    long ago, and when (ISO 8601 to the second, in the current time zone)."""
    url = pk_url("contradiction")
    # localtime() looks the zone up again for each value.
    zone = get_current_timezone()
    # A zone of one offset (UTC) shows a time at that offset as it is: a time whose own zone
    # (the database's, the same for every row) is of one offset, and the same one.
    fixed = zone.utcoffset(None)
    offset = _offset_text(zone)
    seen, same = None, False
    for row in rows:
        row["url"] = url(row["id"])
        row["kind_label"] = _ENTITY_KINDS.get(row["subject_kind"], "")
        row["status_label"] = _STATUSES.get(row["status"]) or capfirst(row["status"])
        row["outcome_label"] = _OUTCOMES.get(row["outcome"], row["outcome"])
        row["last_event"] = contradiction_last_event(row)
        when = row["last_activity"]
        row["ago"] = elapsed(when, now)
        if when.tzinfo is not seen:
            seen = when.tzinfo
            same = type(seen) is datetime.timezone and seen.utcoffset(None) == fixed
        if same:
            row["last_activity_iso"] = _iso_seconds(when, offset)
        else:
            row["last_activity_iso"] = when.astimezone(zone).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Select:
    """A form's choice field as plain options, for a page to write out: what the form's
    widget would render, without a template per option."""

    name: str
    id: str
    label: str
    options: list  # (value, label, selected)


# {form field: (its choices, them as (value as text, label))} for fields whose choices are a
# fixed list. A filter form's fields are shared by all its forms (kb.filters._SharedFields):
# Django normalized a field's choices afresh at each listing, 2% of the queue page.
_LISTED_CHOICES: WeakKeyDictionary = WeakKeyDictionary()


def _listed_choices(field) -> list[tuple[str, str]]:
    choices = field.choices
    kept = _LISTED_CHOICES.get(field)
    if kept is not None and kept[0] is choices:
        return kept[1]
    listed = [(str(value), label) for value, label in choices]
    # django-filter's choices wrap the list they were given; a callable's are not kept.
    if isinstance(getattr(choices, "choices", None), list | tuple):
        _LISTED_CHOICES[field] = (choices, listed)
    return listed


def choice_selects(form, *, leave_out=(), options=None) -> list[Select]:
    """The choice fields of `form` (a filter form), each with its options and the one chosen;
    `options` ({field name: [(value, label)]}) in place of a field's own choices, after its
    empty label."""
    options = options or {}
    selects = []
    for bound in form:
        if bound.name in leave_out:
            continue
        current = bound.value()
        current = "" if current is None else str(current)
        if bound.name in options:
            empty = getattr(bound.field, "empty_label", None)
            choices = [*([("", empty)] if empty is not None else []), *options[bound.name]]
            listed = [(str(value), label) for value, label in choices]
        else:
            listed = _listed_choices(bound.field)
        options_shown = [(value, label, value == current) for value, label in listed]
        selects.append(Select(bound.html_name, bound.id_for_label, bound.label, options_shown))
    return selects


# A claim on its own page.

# The Admiralty scale's information credibility grades.
CREDIBILITY_LABELS = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtfully true",
    5: "improbable",
    6: "truth cannot be judged",
}
RANK_MEANINGS = {
    Rank.PREFERRED: "the value that holds, by an editor's decision",
    Rank.NORMAL: "counts as the sources give it",
    Rank.DEPRECATED: "judged wrong by an editor; kept on record",
}


@dataclass(frozen=True)
class ClaimReading:
    """Every part of a claim as people read it, for its page."""

    value: str  # "up to 20 people"
    interval: str  # "up to 20 people", "[174,600,000 – 185,400,000] USD"
    valid: str  # "from 2024 to December 2026", "" when no period is stated
    claimed_on: str  # "November 2024", "" when not known
    credibility: str  # "2: probably true"
    rank: str  # "preferred: the value that holds, by an editor's decision"


def valid_period_display(claim: Claim) -> str:
    """ "from 2024 to December 2026", "from 2024", "until 2026", or "" without a period."""
    start = date_display(claim.valid_from, claim.valid_from_precision)
    end = date_display(claim.valid_to, claim.valid_to_precision)
    if start and end:
        return f"from {start} to {end}"
    if start:
        return f"from {start}"
    return f"until {end}" if end else ""


def claim_reading(claim: Claim) -> ClaimReading:
    """The claim as its page shows it: value with its unit, normalised interval, valid period,
    date claimed, credibility and rank with their meanings."""
    return ClaimReading(
        value=claim_value_with_unit(claim),
        interval=claim_interval_display(claim),
        valid=valid_period_display(claim),
        claimed_on=date_display(claim.claimed_on, claim.claimed_on_precision),
        credibility=f"{claim.credibility}: {CREDIBILITY_LABELS.get(claim.credibility, '')}",
        rank=f"{claim.get_rank_display()}: {RANK_MEANINGS[claim.rank]}",
    )
