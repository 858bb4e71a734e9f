"""Candidate claims in a text: money, counts, dates and entity mentions, each with its sentence and offsets."""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from claims.quotes import Sentences
from claims.values import ValueParseError, is_currency, parse_date, parse_money, parse_number
from claims.values.wording import (
    ARTICLES,
    CURRENCY_SYMBOLS,
    CURRENCY_WORDS,
    MULTIPLIERS,
    NUMBER_TENS,
    NUMBER_UNITS,
    QUALIFIER_PHRASES,
    SCALE_ABBREVIATIONS,
    SCALE_EXPONENTS,
)

MONEY, COUNT, DATE, ENTITY = "money", "count", "date", "entity"
KINDS = (MONEY, COUNT, DATE, ENTITY)


@dataclass(frozen=True)
class Candidate:
    """One span of the text that may carry a claim value; text == the_text[start:end].

    value is the claims.values form ({"amount": ..., "currency": ...}, {"date": "2023-05"},
    {"entity": key}), or None for a date claims.values cannot hold: one without a year
    ("January 15", "in October"), a fiscal year, a decade or a century.
    """

    kind: str
    text: str
    start: int
    end: int
    value: dict | None
    sentence: str
    sentence_start: int
    entity_key: str | None = None

    def to_dict(self) -> dict:
        """The candidate as plain JSON types, every field present."""
        return asdict(self)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# The number, currency and qualifier words are the value parser's (claims.values.wording), so
# that what is found here is what it reads. "zero" counts nothing worth a claim.
_UNIT_WORDS = [word for word, n in NUMBER_UNITS.items() if n > 0]
_DIGIT_WORDS = [word for word, n in NUMBER_UNITS.items() if 0 < n < 10]
# Only the qualifiers written in words: a symbol or a dotted abbreviation ("~", "c.") is too
# often something else in running prose.
_QUALIFIERS = [
    phrase
    for phrases in QUALIFIER_PHRASES.values()
    for phrase in phrases
    if re.fullmatch(r"[a-z ]+", phrase)
]

# The word tables stay dense, a group to a line, rather than a word to a line.
# fmt: off
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
# Words that stop the noun phrase after a count: it has ended and the sentence goes on.
_STOP_WORDS = _word_set("""
    the a an this that these those its their his her our my your each every all both any no
    of in on at to for from with by over under into onto through throughout during per across
    within without among amongst between about after before since until till as than like via
    against around near toward towards upon beyond behind including except despite
    and or but nor yet so while whereas although though because if when where whereby
    who whom whose which what it they them we he she i you
    is are was were be been being am have has had will would can could may might shall should
    must do does did not also already now then still more less most least ago later earlier
    only just even annually yearly monthly daily other another such
""")
# What a number measures rather than counts: spans of time, units, percentages, currencies.
_MEASURE_WORDS = _word_set("""
    year years yr yrs month months week weeks day days hour hours minute minutes min mins
    second seconds decade decades century centuries
    percent per cent percentage points point times fold
    hectare hectares ha acre acres mile miles nautical kilometre kilometres kilometer kilometers
    km kms metre metres meter meters m cm mm feet foot ft inch inches yard yards square cubic
    ton tons tonne tonnes t kg kilo kilos kilogram kilograms gram grams g lb lbs ounce ounces
    litre litres liter liters l gallon gallons barrel barrels degree degrees mph knots
    am pm a.m. p.m. o'clock o’clock
    usd eur gbp pen
""") | {name.split()[-1] for name in CURRENCY_WORDS}
# Nouns that count without a plural "s": "180 Peruvian staff", "15 U.S. active-duty military".
_INVARIANT_PLURALS = _word_set("""
    people personnel staff military police children men women aircraft crew cattle sheep fish
    deer youth faculty militia infantry cavalry artillery clergy offspring
""")
# Words before a number that make it a name or an index, not a count: "Resolution 4766",
# "top 10 producers", "number one partner".
_IDENTIFIER_WORDS = _word_set("""
    number no no. nos nos. # top rank ranked article section chapter page pages item items
    paragraph clause resolution decree law act bill case file phase level grade room class
    route flight volume vol vol. issue version step round part unit tier stage
""")
# Words before a bare year that make it a date: "in 2019", "since 2019", "by 2026".
_YEAR_LEADS = _word_set("""
    in since by until till through throughout during before after from of early mid late
    around circa year end beginning start spring summer autumn fall winter
""")
# Words before a year that make it the year something happened: "the 2019 elections".
_DETERMINERS = _word_set("the a an this that its their his her our your")
# Words before a bare month that make it a date: "In October, ..."; "may" alone is a verb.
_MONTH_LEADS = _word_set("""
    in since by until till during before after through from early mid late last next
""")
# fmt: on

_SP = r"[^\S\n]"  # a space that does not leave the line


def _either(phrases) -> str:
    """Any of the phrases, longest first, a space in one being any run of spaces in the line."""
    return "|".join(
        rf"{_SP}+".join(re.escape(word) for word in phrase.split())
        for phrase in sorted(phrases, key=len, reverse=True)
    )


# Never a prefix of a longer number: "$1.5-billion" must not yield "$1".
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![.,]?\d)"
_NUMBER_WORD = (
    rf"(?:(?:{_either(NUMBER_TENS)})(?:-(?:{_either(_DIGIT_WORDS)}))?"
    rf"|{_either(_UNIT_WORDS)})(?![\w-])"
)
_SCALE_WORD = rf"(?:{_either(MULTIPLIERS)})(?![\w-])"
# Bounded, so a long run of number words costs linear time: no number needs more words than this.
_WORDS = rf"(?i:{_NUMBER_WORD}(?:{_SP}+(?:{_NUMBER_WORD}|{_SCALE_WORD})){{0,7}})"
_SCALES = rf"(?i:{_either(SCALE_EXPONENTS)})"
_LARGE = rf"(?:{_SP}+{_SCALES}(?![\w-]))"
# "a dozen", "a hundred": "a" or "an" is one only before a scale word, as the value parser reads it.
_A_SCALE = rf"(?i:(?:{_either(ARTICLES)}){_SP}+{_SCALE_WORD})"
_NUMBER = rf"(?:{_DIGITS}|{_WORDS}|{_A_SCALE}){_LARGE}?"

# Not after a currency symbol: "$180" is money, not a count.
_SYMBOL_CHARS = "".join(symbol for symbol in CURRENCY_SYMBOLS if len(symbol) == 1)
_COUNT_NUMBER = re.compile(rf"(?<![\w.,{_SYMBOL_CHARS}/#-])(?:{_NUMBER})(?![\d])")
_RANGE_TAIL = re.compile(rf"{_SP}*[-–]{_SP}*(?:{_DIGITS}){_LARGE}?(?![\w])")
_BETWEEN_TAIL = re.compile(rf"{_SP}+and{_SP}+(?:{_NUMBER})(?![\w])")
# A number set against a count just before it, its noun left out: "a dozen helicopters, not nine".
_CONTRAST_BEFORE = re.compile(
    rf"(?<![\w])(?i:not|rather{_SP}+than|instead{_SP}+of|down{_SP}+from|up{_SP}+from){_SP}+$"
)
_CLAUSE_END = re.compile(rf"{_SP}*(?:[.,;:!?)]|$)", re.MULTILINE)
# How far back, within its line, the count that a contrasted number answers may end.
_CONTRAST_REACH = 60
# A word of the noun phrase after a count; hard-wrapped prose may break the phrase once.
_NP_TOKEN = re.compile(rf"(?:{_SP}+|{_SP}*\n{_SP}*)((?:[^\W\d_]\.){{2,}}|[^\W\d_][\w'’]*(?:-\w+)*)")

# Symbols in the case sources write them ("US$", "S/"); names and scales in any case.
_SYMBOL = rf"(?:{_either(CURRENCY_SYMBOLS)})"
_LONG_SCALES = [*SCALE_EXPONENTS, *(a for a in SCALE_ABBREVIATIONS if len(a) > 1)]
_LETTER_SCALES = "".join(a for a in SCALE_ABBREVIATIONS if len(a) == 1)
# A one-letter scale only counts written against the number: "$180M", "£2m".
_MONEY_SCALE = rf"(?:{_SP}*(?i:{_either(_LONG_SCALES)})(?![\w-])|(?i:[{_LETTER_SCALES}])(?![\w-]))"
_MONEY_AMOUNT = rf"(?:{_DIGITS}){_MONEY_SCALE}?"
# "five pounds of rice" is a weight, not money.
_CURRENCY_NAME = rf"(?i:(?!pounds?{_SP}+of)(?:{_either(CURRENCY_WORDS)}))"
_MONEY = re.compile(
    rf"(?<![\w$])(?:{_SYMBOL}{_SP}?{_MONEY_AMOUNT}(?:{_SP}*[-–]{_SP}*{_SYMBOL}?{_MONEY_AMOUNT})?\+?"
    rf"|(?P<code>[A-Z]{{3}}){_SP}?{_MONEY_AMOUNT}"
    rf"|(?P<words_first>{_NUMBER}){_SP}+(?:{_CURRENCY_NAME}|(?P<after>[A-Z]{{3}})))(?![\w])"
    # "$1.5-billion" and "$1.5 billion-dollar" are not "$1.5": better no candidate than that.
    rf"(?!-[^\W\d_]|{_SP}*{_SCALES})"
)
_MONEY_BETWEEN_TAIL = re.compile(
    rf"{_SP}+and{_SP}+(?:{_SYMBOL}{_SP}?)?{_MONEY_AMOUNT}(?:{_SP}+{_CURRENCY_NAME})?(?![\w])"
)

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)(?![\w])"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\w])"
_YEAR = r"(?:1[5-9]|20)\d\d(?![\w])"
_FULL_DATE = re.compile(
    rf"(?<![\w])(?:{_MONTH}{_SP}+{_DAY},?{_SP}+{_YEAR}"
    rf"|{_DAY}{_SP}+(?:of{_SP}+)?{_MONTH},?{_SP}+{_YEAR})"
    rf"|(?<![\w/.-])(?:1[5-9]|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?![\w/-])"
)
_MONTH_YEAR = re.compile(rf"(?<![\w]){_MONTH},?{_SP}+{_YEAR}")
_YEARLESS = re.compile(
    rf"(?<![\w])(?:{_MONTH}{_SP}+{_DAY}|{_DAY}{_SP}+(?:of{_SP}+)?{_MONTH})"
    rf"(?!{_SP}*,?{_SP}*\d|-\d)"
)
_BARE_MONTH = re.compile(rf"(?<![\w])(?:{_MONTH})(?!{_SP}*,?{_SP}*\d)")
_BARE_YEAR = re.compile(r"(?<![\w$€£/.,#:])(?:1[5-9]|20)\d\d(?![\w%/‐-]|[.,:]\d)")
# Periods claims.values has no precision for: "FY2024", "fiscal 2023", "Q3 2024".
_FISCAL_YEAR = re.compile(
    rf"(?<![\w])(?:FY|(?i:fiscal)(?:{_SP}+(?i:year))?(?:{_SP}*\(FY\))?)"
    rf"{_SP}?(?:(?:1[5-9]|20)\d\d|'?\d\d)(?![\w])"
)
_QUARTER = re.compile(rf"(?<![\w])Q[1-4]{_SP}*(?:1[5-9]|20)\d\d(?![\w])")
_DECADE = re.compile(r"(?<![\w$€£/.,#-])(?:1[5-9]|20)\d0s(?![\w])")
_CENTURY = re.compile(
    r"(?<![\w-])(?i:(?:early|mid|late)[\s-]+)?\d{1,2}(?:st|nd|rd|th)[\s-]+century(?![\w])"
)
_QUALIFIER_BEFORE = re.compile(r"(?<![\w])(?i:" + _either(_QUALIFIERS) + rf"){_SP}+$")
_BETWEEN_BEFORE = re.compile(rf"(?<![\w])(?i:between){_SP}+$")
_WORD_BEFORE = re.compile(rf"([^\s—–]+){_SP}+$")
_YEAR_LIST_BEFORE = re.compile(rf"(?:1[5-9]|20)\d\d{_SP}*(?:,|and|or|to|&|[-–]){_SP}*$")

# When two spans overlap, the stronger kind of evidence keeps its span (lower is stronger).
_FULL, _MONEY_RANK, _MONTH_RANK, _YEARLESS_RANK, _YEAR_RANK, _COUNT_RANK = range(6)


class _Taken:
    """Non-overlapping [start, end) spans, kept sorted so an overlap check costs a bisection."""

    def __init__(self):
        self.spans: list[tuple[int, int]] = []

    def _neighbours(self, start: int, end: int):
        index = bisect.bisect_right(self.spans, (start, end))
        return self.spans[max(index - 1, 0) : index + 1]

    def overlaps(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self._neighbours(start, end))

    def contains(self, start: int, end: int) -> bool:
        index = bisect.bisect_right(self.spans, (start, float("inf"))) - 1
        return index >= 0 and self.spans[index][1] >= end

    def add(self, start: int, end: int) -> None:
        bisect.insort(self.spans, (start, end))


def _parse_first(parse, text: str, spans: Iterable[tuple[int, int]]):
    """The first (start, end, value) among spans, longest wording first, that `parse` reads."""
    for start, end in spans:
        try:
            return start, end, parse(text[start:end])
        except ValueParseError:
            continue
    return None


def _qualified(text: str, start: int) -> int:
    """Where a qualifier such as "more than" or "nearly" before `start` begins, else start."""
    match = _QUALIFIER_BEFORE.search(text, max(0, start - 30), start)
    return match.start() if match else start


def _word_before(text: str, start: int) -> str | None:
    match = _WORD_BEFORE.search(text, max(0, start - 40), start)
    return match[1] if match else None


# A word that ends its sentence ("Base.", "helped!"); "U.S." and "No." do not count.
_SENTENCE_END_WORD = re.compile(r"[^\W\d_]{2,}[.!?][\"'”’)]*$")


def _names_a_thing(word: str | None) -> bool:
    """Whether the word before a number makes the number part of a name or an index."""
    if word is None:
        return False
    if re.fullmatch(r"[\d.,]*\d", word) or word.endswith(("/", "#")):
        # "Resolution 4 766", "Q 1 / 3": the number goes on an earlier one.
        return True
    lower = word.lower()
    if lower in _IDENTIFIER_WORDS:
        return True
    if word[-1] in ",;:)”\"'’" or _SENTENCE_END_WORD.search(word):
        # Punctuation between them: "the Cultural Patrimony Agreement, 2,000 cultural pieces",
        # "for the Callao Naval Base. Nine helicopters follow."
        return False
    # "Topic 1", "Resolute Sentinel 2023": a capitalised word that is not a function word
    # ("In", "Over", "Nearly") or a possessive ("Peru's 30 regions") names what follows.
    bare = lower.lstrip("(“\"'‘")
    return (
        word[0].isupper()
        and bare not in _STOP_WORDS
        and not _QUALIFIER_BEFORE.search(bare + " ")
        and not lower.endswith(("'s", "’s"))
    )


def _is_head(word: str) -> bool:
    """Whether a word can end a counted noun phrase: a plural noun such as "helicopters"."""
    lower = word.lower()
    if lower in _INVARIANT_PLURALS:
        return True
    return (
        len(lower) > 3
        and lower.endswith("s")
        and not lower.endswith(("ss", "us", "is", "'s", "’s"))
        and any(c.islower() for c in word)
    )


def _noun_phrase_end(text: str, pos: int, *, singular: bool) -> int | None:
    """Where the counted noun phrase starting after `pos` ends, or None when there is none.

    The phrase runs to its first plural noun ("nine UH-60 Black Hawk helicopters"), through
    "and"/"or" while none has come yet ("three cargo and vehicle inspection scanners"). Without
    one, it is a single lower-case word after "one" ("one helicopter") or a hyphenated one
    ("20 single-seat"); capitalised words alone are a name, and "the two met" counts nothing.
    """
    words: list[re.Match] = []
    cursor = pos
    while len(words) < 7:
        match = _NP_TOKEN.match(text, cursor)
        if match is None:
            break
        lower = match[1].lower()
        if not words:
            if lower in _STOP_WORDS or lower in _MEASURE_WORDS or lower in _MONTHS:
                return None
            if re.fullmatch(_WORDS + "|" + _SCALE_WORD, lower):
                return None
        elif lower in ("and", "or"):
            cursor = match.end()
            continue
        elif lower == "of" and match[1] == "of" and words[-1][1][0].isupper():
            # "five Department of Defense civilians": "of" inside a capitalised name.
            following = _NP_TOKEN.match(text, match.end())
            if following is None or not following[1][0].isupper():
                break
            cursor = match.end()
            continue
        elif lower in _STOP_WORDS or lower in _MONTHS and match[1][0].isupper():
            break
        words.append(match)
        cursor = match.end()
        if _is_head(match[1]):
            return match.end(1)
    if words and words[0][1][0].islower():
        first = words[0][1]
        if singular or ("-" in first and not first.endswith("ed")):
            return words[0].end(1)
    return None


def _contrasted(text: str, start: int, end: int, previous_end: int | None) -> bool:
    """Whether a number without a noun answers the count just before it in its line:
    "a dozen helicopters, not nine" makes "nine" a count of helicopters too."""
    return (
        previous_end is not None
        and start - previous_end <= _CONTRAST_REACH
        and "\n" not in text[previous_end:start]
        and _CLAUSE_END.match(text, end) is not None
        and _CONTRAST_BEFORE.search(text, max(0, start - 20), start) is not None
    )


def _count_spans(text: str):
    previous_end = None  # where the last count found ended
    for match in _COUNT_NUMBER.finditer(text):
        start, end = match.span()
        if _names_a_thing(_word_before(text, start)):
            continue
        singular = match[0].lower() in ("1", "one")
        between = _BETWEEN_BEFORE.search(text, max(0, start - 10), start)
        if tail := _RANGE_TAIL.match(text, end):
            end = tail.end()
        elif between and (tail := _BETWEEN_TAIL.match(text, end)):
            start, end = between.start(), tail.end()
        if text.startswith("+", end):
            end += 1
        noun_end = _noun_phrase_end(text, end, singular=singular and not tail)
        if noun_end is None:
            if not _contrasted(text, start, end, previous_end):
                continue
            noun_end = end
        spans = [(_qualified(text, start), noun_end), (start, noun_end)]
        if found := _parse_first(parse_number, text, spans):
            previous_end = found[1]
            yield COUNT, _COUNT_RANK, found


def _money_spans(text: str):
    for match in _MONEY.finditer(text):
        code = match["code"] or match["after"]
        if code and not is_currency(code):
            continue
        start, end = match.span()
        if match["words_first"] and _names_a_thing(_word_before(text, start)):
            continue
        spans = []
        between = _BETWEEN_BEFORE.search(text, max(0, start - 10), start)
        if between and (tail := _MONEY_BETWEEN_TAIL.match(text, end)):
            spans.append((between.start(), tail.end()))
        spans += [(_qualified(text, start), end), (start, end)]
        if found := _parse_first(parse_money, text, spans):
            yield MONEY, _MONEY_RANK, found


def _yearless(text: str, start: int, end: int):
    """A day and month without a year, kept with value None when the day exists in some year."""
    try:
        # 2000 is a leap year, so "February 29" passes and "February 30" does not.
        parse_date(f"{text[start:end]}, 2000")
    except ValueParseError:
        return None
    return start, end, None


def _date_spans(text: str):
    for match in _FULL_DATE.finditer(text):
        if found := _parse_first(parse_date, text, [match.span()]):
            yield DATE, _FULL, found
    # Scraped pages glue a dateline to the word before it ("WorldDec 15, 2025").
    for match in re.finditer(rf"(?<=[a-z]){_MONTH}{_SP}+{_DAY},?{_SP}+{_YEAR}", text):
        if found := _parse_first(parse_date, text, [match.span()]):
            yield DATE, _FULL, found
    for match in _MONTH_YEAR.finditer(text):
        if found := _parse_first(parse_date, text, [match.span()]):
            yield DATE, _MONTH_RANK, found
    for pattern in (_FISCAL_YEAR, _QUARTER, _DECADE, _CENTURY):
        for match in pattern.finditer(text):
            yield DATE, _MONTH_RANK, (*match.span(), None)
    for match in _YEARLESS.finditer(text):
        if found := _yearless(text, *match.span()):
            yield DATE, _YEARLESS_RANK, found
    for match in _BARE_MONTH.finditer(text):
        lead = _word_before(text, match.start())
        if lead and lead.lower() in _MONTH_LEADS:
            yield DATE, _YEARLESS_RANK, (*match.span(), None)
    for match in _BARE_YEAR.finditer(text):
        start, end = match.span()
        lead = (_word_before(text, start) or "").lower()
        following = _NP_TOKEN.match(text, end)
        if start and text[start - 1] == "-":
            # "mid-2024", but not "014-2014" or "UH-2000".
            stands = re.search(
                r"(?i:(?<![\w])(?:early|mid|late))$", text[max(0, start - 7) : start - 1]
            )
        elif lead in _DETERMINERS or lead.endswith(("'s", "’s")):
            # "the 2019 elections", "Peru's 2021 budget": the year they belong to.
            stands = following is not None
        elif following and _is_head(following[1]) and following[1][0].islower():
            # "a force of 2000 soldiers" counts soldiers.
            stands = False
        else:
            stands = lead.rstrip(",") in _YEAR_LEADS or _YEAR_LIST_BEFORE.search(
                text, max(0, start - 12), start
            )
        if stands and (found := _parse_first(parse_date, text, [(start, end)])):
            yield DATE, _YEAR_RANK, found


def _name_pattern(name: str) -> re.Pattern | None:
    words = re.split(r"[\s\-‐–]+", name.strip())
    words = [w for w in words if w]
    if not words:
        return None
    body = r"[\s\-‐–]+".join(re.sub(r"['’]", "['’]", re.escape(w)) for w in words)
    # A short name in capitals is an acronym: "US" must not match "us", nor "WHO" "who".
    acronym = len(name.strip()) <= 5 and name.strip().isupper()
    return re.compile(rf"(?<!\w){body}(?!\w)", 0 if acronym else re.IGNORECASE)


# A name that starts with a word character starts with a run of them that the text must have
# whole (the name's pattern does not match inside a word, and what follows the run is no word
# character), so it is tried only where the text has that run.
_FIRST_WORD = re.compile(r"\w+")
_WORD_STARTS = re.compile(r"(?<!\w)\w+")


def _entity_mentions(text: str, entities: Iterable[tuple[str, list[str]]]):
    """(start, end, key) of every mention, longest first, none overlapping another.

    Each name is tried only where the text has its first word, so the cost grows with the
    text's words, not with the text times the number of names.
    """
    owners: dict[str, tuple[str, int, str]] = {}
    for key, names in entities:
        for index, name in enumerate(names):
            if not isinstance(name, str) or not name.strip():
                continue
            folded = " ".join(name.split()).casefold()
            # A name shared by two entities goes to the one whose main name it is, else the first.
            if folded not in owners or index == 0 and owners[folded][1] != 0:
                owners[folded] = (key, index, name)
    by_first_word: dict[str, list[tuple[re.Pattern, str]]] = defaultdict(list)
    elsewhere: list[tuple[re.Pattern, str]] = []
    for key, _, name in owners.values():
        pattern = _name_pattern(name)
        if pattern is None:
            continue
        if first := _FIRST_WORD.match(name.strip()):
            by_first_word[first[0].lower()].append((pattern, key))
        else:
            # A name that starts with a sign ("(FMS)") is looked for everywhere.
            elsewhere.append((pattern, key))
    found = []
    for word in _WORD_STARTS.finditer(text) if by_first_word else ():
        for pattern, key in by_first_word.get(word[0].lower(), ()):
            if (m := pattern.match(text, word.start())) and m.end() > m.start():
                found.append((m.start(), m.end(), key))
    for pattern, key in elsewhere:
        found += [(m.start(), m.end(), key) for m in pattern.finditer(text) if m.end() > m.start()]
    found.sort(key=lambda m: (m[0] - m[1], m[0]))
    taken, mentions = _Taken(), []
    for start, end, key in found:
        if not taken.overlaps(start, end):
            taken.add(start, end)
            mentions.append((start, end, key))
    return sorted(mentions)


def extract_candidates(
    text: str, *, entities: Iterable[tuple[str, list[str]]] = ()
) -> list[Candidate]:
    """Every money amount, count, date and entity mention in `text`, ordered by start offset.

    `entities` are (key, [name, alias, ...]); mentions match whole words regardless of case
    (short all-capital acronyms in capitals only), longest first, never overlapping. Numeric
    spans never overlap one another; one lying inside an entity mention is part of a name and
    is dropped. Regular expressions find the spans and claims.values reads them; a span it
    cannot read is no candidate. Pure: no database, never raises on any string.
    """
    mentions = _entity_mentions(text, entities)
    in_names = _Taken()
    in_names.spans = [(start, end) for start, end, _ in mentions]
    found = [*_date_spans(text), *_money_spans(text), *_count_spans(text)]
    found.sort(key=lambda f: (f[1], f[2][0] - f[2][1], f[2][0]))
    taken, numeric = _Taken(), []
    for kind, _, (start, end, value) in found:
        if in_names.contains(start, end) or taken.overlaps(start, end):
            continue
        taken.add(start, end)
        numeric.append((kind, start, end, value))
    sentences = Sentences(text) if numeric or mentions else None
    candidates = []
    for kind, start, end, value in numeric:
        sentence_start, sentence_end = sentences.around(start, end)
        candidates.append(
            Candidate(
                kind=kind,
                text=text[start:end],
                start=start,
                end=end,
                value=None if value is None else value.to_dict(),
                sentence=text[sentence_start:sentence_end],
                sentence_start=sentence_start,
            )
        )
    for start, end, key in mentions:
        sentence_start, sentence_end = sentences.around(start, end)
        candidates.append(
            Candidate(
                kind=ENTITY,
                text=text[start:end],
                start=start,
                end=end,
                value={"entity": key},
                sentence=text[sentence_start:sentence_end],
                sentence_start=sentence_start,
                entity_key=key,
            )
        )
    candidates.sort(key=lambda c: (c.start, c.end, KINDS.index(c.kind)))
    return candidates


# A dateline opening a news report: an ALL-CAPS place, perhaps its region or country, a date,
# perhaps the agency, and a dash ("LIMA, March 12 -", "LIMA, Peru, Dec. 15, 2025 (Reuters) —").
_PLACE_WORD = r"[A-Z][A-Z.'’-]+"
_DATELINE = re.compile(
    rf"{_SP}*{_PLACE_WORD}(?:{_SP}+{_PLACE_WORD})*"
    rf"(?:,{_SP}*[A-Z][\w.'’-]*(?:{_SP}+[A-Z][\w.'’-]*)*)?"
    rf",?{_SP}+(?:{_MONTH}{_SP}+{_DAY}|{_DAY}{_SP}+{_MONTH})(?:,?{_SP}+{_YEAR})?"
    rf"(?:{_SP}*\([^()\n]{{1,40}}\))?"
    rf"{_SP}*[-–—]+"
)


def dateline_end(text: str, start: int) -> int:
    """Where a dateline that opens the sentence at `start` ends, or `start` when none does."""
    match = _DATELINE.match(text, start)
    return match.end() if match else start


def subject_suggestions(text: str, candidates: list[Candidate]) -> dict[int, str]:
    """{start of a money, count or date candidate: key of the entity its sentence names first}.

    A mention inside a dateline ("LIMA, March 12 - Peru will receive...") is passed over: the
    place a report is filed from is seldom what it reports on. Candidates whose sentence names
    no entity are left out. `candidates` are extract_candidates(text, ...) in their order.
    """
    mentions = [c for c in candidates if c.kind == ENTITY]
    starts = [m.start for m in mentions]
    suggestions: dict[int, str] = {}
    for candidate in candidates:
        if candidate.kind == ENTITY:
            continue
        first = dateline_end(text, candidate.sentence_start)
        last = candidate.sentence_start + len(candidate.sentence)
        index = bisect.bisect_left(starts, first)
        if index < len(mentions) and mentions[index].end <= last:
            suggestions[candidate.start] = mentions[index].entity_key
    return suggestions
