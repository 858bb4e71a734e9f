"""Importing a kb-bundle/1 file as it streams, so that a large one is never held whole: the
file is read twice with ijson (an incremental JSON parser), first for every section but the
claims, then for the claims one at a time, which the import reads and writes in chunks.

A file the stream might read otherwise than json.loads (bundle_parse) does is read whole
instead, the way any bundle was, so that what is refused and how it is said stay the same:
malformed JSON (its line and column), a member given twice, NaN or Infinity, nesting beyond
reason, an escape for a NUL or a surrogate (text no database keeps), bytes that are not UTF-8.
"""

from __future__ import annotations

import re
from pathlib import Path

import ijson

from claims.bundles.reading import bundle_parse

# What sends a file to the whole read: an escaped NUL or lone surrogate (ijson would read it
# as "?", where unstorable_strings says which string holds it), a NUL byte, a surrogate
# encoded in UTF-8 (not UTF-8). A pair of surrogates (an emoji) is fine.
_SUSPECT = re.compile(
    rb"\\u0000"
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]"
    rb"|\x00|\xed[\xa0-\xbf]"
)
# Every match of _SUSPECT holds one of these: bytes.find looks for them much faster than the
# expression, which runs only on a block that holds one (text with accents escaped as \u00e9,
# as json.dumps writes it, holds none).
_CLUES = (b"\\u0000", b"\\ud", b"\\uD", b"\x00", b"\xed")
# Nesting this deep is for json.loads to judge (a bundle nests five deep at most).
DEEPEST = 100
_BLOCK = 1 << 20


class Unusual(Exception):
    """The file is one to read whole (bundle_parse), which says what is wrong with it."""


def bundle_file_import(path: str | Path, **options):
    """bundle_import of the kb-bundle/1 file at `path`, streamed (StreamedBundle) unless the
    file is unusual, then read whole. Raises what bundle_import and bundle_parse raise, and
    OSError or UnicodeDecodeError for a file that cannot be read."""
    from claims.bundles.writing import bundle_import

    try:
        streamed = StreamedBundle(path)
        return bundle_import(bundle=streamed.head, streamed=streamed, **options)
    except Unusual:
        # Anything written was rolled back with the import's transaction.
        pass
    text = Path(path).read_text(encoding="utf-8")
    return bundle_import(bundle=bundle_parse(text), **options)


class StreamedBundle:
    """A bundle file read as it streams: `head` holds its members but the claims (an empty
    list in their place), claims() gives the claims' items one at a time and claim_keys()
    their keys. Raises Unusual (also from claims()) for a file to read whole."""

    def __init__(self, path: str | Path):
        self.path = path
        self.has_claims = False
        _prescan(path)
        self.head = self._head()

    def _head(self) -> dict:
        with open(self.path, "rb") as file:
            # Events without their prefixes: this pass goes through every event of the file,
            # and building each one's prefix took half its time.
            events = ijson.basic_parse(file, use_float=False)
            try:
                if next(events)[0] != "start_map":
                    raise Unusual
                head: dict = {}
                for event, name in events:
                    if event == "end_map":
                        break
                    if name in head:
                        raise Unusual
                    if name == "claims":
                        self._skip_claims(events)
                        head[name] = []
                    else:
                        head[name] = _value(events)
                for _ in events:  # anything after the document is json.loads' to report
                    raise Unusual
            except Unusual:
                raise
            except Exception as error:
                raise Unusual from error
        return head

    def _skip_claims(self, events) -> None:
        if next(events)[0] != "start_array":
            raise Unusual  # the schema's to report, from the whole bundle
        depth = 1
        for event, _ in events:
            if event == "start_map" or event == "start_array":
                depth += 1
                if depth > DEEPEST:
                    raise Unusual
            elif event == "end_map" or event == "end_array":
                depth -= 1
                if not depth:
                    break
        self.has_claims = True

    def claims(self):
        """The claims' items, each a dict (or what the bundle gives in its place)."""
        if not self.has_claims:
            return
        twice: list[str] = []

        class Members(dict):
            """An object's members, noting one given twice (an exception raised here would
            not reach the reader through ijson's C backend)."""

            def __setitem__(self, name, value):
                if name in self:
                    twice.append(name)
                dict.__setitem__(self, name, value)

        with open(self.path, "rb") as file:
            items = ijson.items(file, "claims.item", use_float=False, map_type=Members)
            while True:
                try:
                    item = next(items)
                except StopIteration:
                    return
                except Exception as error:
                    raise Unusual from error
                if twice:
                    raise Unusual
                yield item

    def claim_keys(self) -> set[str]:
        """The keys the claims give (one more read of the file)."""
        if not self.has_claims:
            return set()
        with open(self.path, "rb") as file:
            try:
                return {
                    key
                    for key in ijson.items(file, "claims.item.key", use_float=False)
                    if isinstance(key, str) and key
                }
            except Exception as error:
                raise Unusual from error


def _prescan(path) -> None:
    with open(path, "rb") as file:
        tail = b""
        while block := file.read(_BLOCK):
            text = tail + block
            if any(clue in text for clue in _CLUES) and _SUSPECT.search(text):
                raise Unusual
            tail = block[-12:]  # an escape, or a pair of them, across two blocks


def _value(events):
    """The value the next events make, built without recursion."""
    event, value = next(events)
    if event == "start_map":
        root = {}
    elif event == "start_array":
        root = []
    else:
        return value
    stack, names = [root], [None]
    for event, value in events:
        if event == "map_key":
            names[-1] = value
            continue
        if event in ("end_map", "end_array"):
            stack.pop()
            names.pop()
            if not stack:
                return root
            continue
        if event == "start_map":
            value = {}
        elif event == "start_array":
            value = []
        top = stack[-1]
        if top.__class__ is list:
            top.append(value)
        else:
            if names[-1] in top:
                raise Unusual
            top[names[-1]] = value
        if event in ("start_map", "start_array"):
            if len(stack) > DEEPEST:
                raise Unusual
            stack.append(value)
            names.append(None)
    raise Unusual
