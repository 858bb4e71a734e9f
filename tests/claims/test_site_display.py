"""How the reading site writes values, intervals, search matches and a contradiction's last
event: pure functions, no database."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from claims.display import contradiction_last_event, elapsed, highlight, marked, queue_rows
from claims.values.display import format_grouped, format_interval


@pytest.mark.parametrize(
    ("low", "high", "unit", "expected"),
    [
        ("174600000.000000", "185400000.000000", "USD", "[174,600,000 – 185,400,000] USD"),
        ("0", "10.000000", "years", "up to 10 years"),
        ("1800000000.000000", None, "USD", "at least 1,800,000,000 USD"),
        ("180000000.000000", "180000000.000000", "USD", "180,000,000 USD"),
        ("15", "20", "people", "[15 – 20] people"),
        ("0.5", "1.25", None, "[0.5 – 1.25]"),
    ],
)
def test_an_interval_reads_in_grouped_digits_with_its_unit(low, high, unit, expected):
    assert format_interval(Decimal(low), high and Decimal(high), unit) == expected


def test_grouped_digits_keep_every_digit_and_drop_trailing_zeros():
    assert format_grouped(Decimal("1234567.891000")) == "1,234,567.891"
    assert format_grouped(Decimal("1E+9")) == "1,000,000,000"


def test_highlight_marks_every_word_case_insensitively_and_escapes_the_rest():
    html = highlight('Nine <b>Black</b> hawk "helicopters"', ["black", "HAWK"])

    assert html == (
        "Nine &lt;b&gt;<mark>Black</mark>&lt;/b&gt; <mark>hawk</mark> &quot;helicopters&quot;"
    )


def test_highlight_joins_overlapping_matches():
    assert highlight("NAMRU-SOUTH", ["namru-s", "south"]) == "<mark>NAMRU-SOUTH</mark>"


def test_a_long_text_is_cut_around_its_first_match():
    text = "a " * 200 + "Black Hawk" + " b" * 200

    html = highlight(text, ["hawk"], width=60)

    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>Hawk</mark>" in html
    assert len(html) < 120


def test_a_postgres_headline_is_escaped_before_its_matches_are_marked():
    html = marked("<script>x</script> \x02Black\x03 \x02Hawk\x03 & co")

    assert html == "&lt;script&gt;x&lt;/script&gt; <mark>Black</mark> <mark>Hawk</mark> &amp; co"


def _contradiction(**times):
    day = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    fields = {"detected_at": day, "resolved_at": None, "reopened_at": None, "withdrawn_at": None}
    fields.update({name: day + datetime.timedelta(days=days) for name, days in times.items()})
    return {"origin": "automatic", **fields}


@pytest.mark.parametrize(
    ("times", "event"),
    [
        ({}, "detected"),
        ({"resolved_at": 1}, "decided"),
        ({"resolved_at": 1, "reopened_at": 2}, "reopened"),
        ({"reopened_at": 2, "withdrawn_at": 3}, "withdrawn"),
        # A later event wins a tie.
        ({"resolved_at": 0}, "decided"),
        ({"resolved_at": 1, "reopened_at": 1}, "reopened"),
        ({"resolved_at": 2, "reopened_at": 1, "withdrawn_at": 2}, "withdrawn"),
        ({"resolved_at": 3, "reopened_at": 1}, "decided"),
    ],
)
def test_the_queue_names_what_happened_last(times, event):
    assert contradiction_last_event(_contradiction(**times)) == event


def test_a_contradiction_flagged_by_hand_was_flagged_and_one_never_detected_has_no_event():
    flagged = {**_contradiction(), "origin": "manual"}
    assert contradiction_last_event(flagged) == "flagged"
    assert contradiction_last_event({**flagged, "detected_at": None}) == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0 minutes"),
        (59, "0 minutes"),
        (60, "1 minute"),
        (119, "1 minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "1 hour"),
        (3 * 3600 + 59 * 60, "3 hours"),
        (86399, "23 hours"),
        (86400, "1 day"),
        (7 * 86400 - 1, "6 days"),
        (7 * 86400, "1 week"),
        (13 * 86400, "1 week"),
        (30 * 86400 - 1, "4 weeks"),
        (30 * 86400, "1 month"),
        (45 * 86400, "1 month"),
        (365 * 86400 - 1, "12 months"),
        (365 * 86400, "1 year"),
        (800 * 86400, "2 years"),
    ],
)
def test_the_queue_says_how_long_ago_in_its_largest_unit(seconds, text):
    now = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)

    assert elapsed(now - datetime.timedelta(seconds=seconds), now) == text


@pytest.mark.parametrize(
    ("zone", "value", "shown"),
    [
        ("UTC", "2026-01-02T03:04:05.678+00:00", "2026-01-02T03:04:05+00:00"),
        ("UTC", "0999-11-12T13:14:15.999999+00:00", "0999-11-12T13:14:15+00:00"),
        ("-05:00", "2026-12-31T23:59:59-05:00", "2026-12-31T23:59:59-05:00"),
        ("-05:00", "2026-12-31T23:59:59+00:00", "2026-12-31T18:59:59-05:00"),
        ("+05:30", "2026-03-04T05:06:07+05:30", "2026-03-04T05:06:07+05:30"),
        ("UTC", "2026-01-02T03:04:05+02:00", "2026-01-02T01:04:05+00:00"),
        ("America/Lima", "2026-01-02T03:04:05.678+00:00", "2026-01-01T22:04:05-05:00"),
        ("Europe/Madrid", "2026-07-02T03:04:05+00:00", "2026-07-02T05:04:05+02:00"),
    ],
)
def test_the_queue_says_when_in_the_current_time_zone_to_the_second(zone, value, shown):
    when = datetime.datetime.fromisoformat(value)
    row = {
        **_contradiction(), "detected_at": when, "last_activity": when, "id": 5,
        "subject_kind": "base", "status": "open", "outcome": "",
    }  # fmt: skip

    if zone[0] in "+-":
        hours, minutes = zone[1:].split(":")
        sign = -1 if zone[0] == "-" else 1
        offset = datetime.timedelta(hours=int(hours), minutes=int(minutes))
        zone = datetime.timezone(sign * offset)
    else:
        zone = zoneinfo.ZoneInfo(zone)
    with timezone.override(zone):
        queue_rows([row], when)

    assert row["last_activity_iso"] == shown
