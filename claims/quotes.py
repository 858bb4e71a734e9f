"""Quotes in their context: the sentence of the source text a quote stands in."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at ., ! or ? followed by space, or at a line break.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s|\n")


@dataclass(frozen=True)
class QuoteInContext:
    before: str
    quote: str
    after: str


def quote_in_context(text: str, quote: str) -> QuoteInContext | None:
    """The quote with the rest of its sentence around it, or None when the text lacks it."""
    if not text or not quote:
        return None
    start = text.find(quote)
    if start < 0:
        return None
    end = start + len(quote)
    sentence_start = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        sentence_start = match.end()
    match = _SENTENCE_END.search(text, end)
    sentence_end = match.start() + 1 if match else len(text)
    return QuoteInContext(
        before=text[sentence_start:start].lstrip(),
        quote=quote,
        after=text[end:sentence_end].rstrip(),
    )


@dataclass(frozen=True)
class Segment:
    """A run of text and the claims whose quotes cover it (none: plain text)."""

    text: str
    claim_ids: tuple[int, ...] = ()


def highlight_segments(text: str, spans: list[tuple[int, int, int]]) -> list[Segment]:
    """The text cut at every quote boundary; `spans` are (start, end, claim id).

    Overlapping quotes give segments that name every claim covering them.
    """
    cuts = {0, len(text)}
    for start, end, _ in spans:
        if 0 <= start < end <= len(text):
            cuts.update((start, end))
    bounds = sorted(cuts)
    segments = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        ids = tuple(sorted(c for s, e, c in spans if s <= start and end <= e))
        segments.append(Segment(text[start:end], ids))
    return segments
