"""Quote anchoring: where a claim's quote stands in its source's text, W3C TextQuoteSelector
style (the exact words, and a few words before and after to tell repeats apart)."""

from __future__ import annotations

from dataclasses import dataclass

# Characters of context kept on each side: a few words.
CONTEXT = 32


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    prefix: str
    suffix: str


def _anchor_at(text: str, start: int, quote: str) -> Anchor:
    end = start + len(quote)
    return Anchor(start, end, text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT])


def anchor(text: str, quote: str, near: int | None = None) -> Anchor | None:
    """Where the exact quote stands in the text, or None: the first place, or among repeats
    the one that holds (or stands closest to) the offset `near` (a candidate's position)."""
    if not text or not quote:
        return None
    start = text.find(quote)
    if start < 0:
        return None
    if near is not None:
        starts = []
        while start >= 0:
            starts.append(start)
            start = text.find(quote, start + 1)
        start = min(starts, key=lambda s: 0 if s <= near <= s + len(quote) else abs(s - near))
    return _anchor_at(text, start, quote)


def reanchor(text: str, quote: str, prefix: str, suffix: str) -> Anchor | None:
    """Where the exact quote stands in a new text, choosing among repeats the one whose context
    matches best; None when the exact words are gone. Never a lookalike: a quote is verbatim."""
    if not text or not quote:
        return None
    best, best_score = None, -1
    start = text.find(quote)
    while start >= 0:
        candidate = _anchor_at(text, start, quote)
        score = _common_suffix(candidate.prefix, prefix) + _common_prefix(candidate.suffix, suffix)
        if score > best_score:
            best, best_score = candidate, score
        start = text.find(quote, start + 1)
    return best


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])
