"""Sentences and quotes in their context: the one sentence splitter of the project, used by the
candidate extractor and by the pages that show a quote in its sentence."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from syntok import segmenter

# A block of lines that syntok splits on its own: a line break ends a sentence unless the next
# line begins in lower case, so headings and list items stand alone while hard-wrapped prose
# stays whole.
_BLOCK = re.compile(r"[^\n]+(?:\n(?=[^\S\n]*[a-z])[^\n]+)*")


def sentence_spans(text: str, *, within: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in text order: syntok within blocks of lines.

    syntok keeps abbreviations such as "U.S." and "Dec." inside their sentence, and the offsets
    come from its tokens, never from searching the text again. With `within` (start, end), only
    the blocks that span touches are split; their sentences are the same as in the whole text's
    split, because every block is split on its own.
    """
    spans = []
    for block in _BLOCK.finditer(text):
        if within is not None:
            if block.start() >= within[1]:
                break
            if block.end() <= within[0]:
                continue
        for paragraph in segmenter.analyze(block[0]):
            for sentence in paragraph:
                tokens = [t for t in sentence if t.value]
                if tokens:
                    start = block.start() + tokens[0].offset
                    end = min(
                        block.end(), block.start() + tokens[-1].offset + len(tokens[-1].value)
                    )
                    if end > start:
                        spans.append((start, end))
    spans.sort()
    return spans


class Sentences:
    """The sentences of a text, split once (see sentence_spans); `around` finds a span's."""

    def __init__(self, text: str, *, within: tuple[int, int] | None = None):
        self.text = text
        self.spans = sentence_spans(text, within=within)
        self._starts = [start for start, _ in self.spans]

    def around(self, start: int, end: int) -> tuple[int, int]:
        """(first, last) of the sentence around [start, end): every sentence the span touches,
        joined; a span that touches none gets its line. Never narrower than the span."""
        index = bisect.bisect_right(self._starts, start) - 1
        first = last = None
        # By index, not a slice: copying the rest of the list on every call made a text's
        # candidates cost the square of its length.
        for at in range(max(index, 0), len(self.spans)):
            s, e = self.spans[at]
            if s >= end:
                break
            if e > start:
                first = s if first is None else first
                last = e
        if first is None:
            first = self.text.rfind("\n", 0, start) + 1
            line_end = self.text.find("\n", end)
            last = len(self.text) if line_end == -1 else line_end
        return min(first, start), max(last, end)


@dataclass(frozen=True)
class QuoteInContext:
    before: str
    quote: str
    after: str


def quote_in_context(text: str, quote: str, start: int | None = None) -> QuoteInContext | None:
    """The quote with the rest of its sentence around it, or None when the text lacks it.

    `start` is where the quote is anchored (Claim.quote_start): a quote that occurs twice is
    shown in the sentence of that occurrence. Without it, or when the text no longer holds the
    quote there, the first occurrence is shown. Splits only the lines around the quote.
    """
    if not text or not quote:
        return None
    if start is None or text[start : start + len(quote)] != quote:
        start = text.find(quote)
        if start < 0:
            return None
    end = start + len(quote)
    first, last = Sentences(text, within=(start, end)).around(start, end)
    return QuoteInContext(
        before=text[first:start].lstrip(),
        quote=quote,
        after=text[end:last].rstrip(),
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
