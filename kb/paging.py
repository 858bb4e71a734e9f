"""Keyset paging for the site's long lists (the editors' queue, an entity's claims): each page
one indexed range scan, whatever its depth, and no count of the rows.

A page link carries where the page before it stopped (`after`, walking on) or where the page
after it began (`before`, walking back), as `<key>~<id>`: readable, and checked like any other
input. The key is a column or an annotation, the id breaks its ties. A key that may be NULL (a
source's publication date) lists its NULL rows last, and its links mark them `~<id>`; such a
page reads the rows with a key, then, where the page reaches past them, those without: two
indexed range scans at most.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q

# What a reader sees when a page link was cut or made up; the list starts again at its top.
BAD_PAGE_LINK = "That page link is not one this site gave out; here is the list from its start."

_SEPARATOR = "~"


@dataclass(frozen=True)
class KeysetPage:
    """The rows of one page, and the links to the pages beside it (None at either end)."""

    rows: list
    next_query: str | None
    previous_query: str | None
    error: str = ""

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return self.next_query is not None or self.previous_query is not None


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _parse(text: str, kind: type, nullable: bool = False):
    key, separator, pk = text.rpartition(_SEPARATOR)
    if not separator or not pk.isdigit() or len(pk) > 18 or len(text) > 1000:
        raise ValueError(text)
    if nullable and key == "":
        return None, int(pk)
    if kind is datetime.datetime:
        value = datetime.datetime.fromisoformat(key)
        if value.tzinfo is None:
            raise ValueError(text)
    elif kind is datetime.date:
        value = datetime.date.fromisoformat(key)
    elif kind is int:
        if not key.lstrip("-").isdigit():
            raise ValueError(text)
        value = int(key)
    elif kind is str:
        value = key
    else:
        raise TypeError(kind)
    return value, int(pk)


class Part:
    """One range of a list, read in its `order` (a tuple of order_by() terms): its queryset,
    filtered and ordered, is built when first asked for, so that a reader that already has the
    range's statement (the queue's first page: kb.api.compiled.rows_by_ids) builds none."""

    def __init__(self, order: tuple[str, ...], build: Callable):
        self.order, self._build = order, build

    @functools.cached_property
    def queryset(self):
        return self._build().order_by(*self.order)


def _beyond(queryset: Callable, key: str, position, down: bool) -> Part:
    """The rows of `queryset()` past `position` ((key value, id), or None for all of them) in
    the order `down` (descending) or up."""

    def build():
        if position is None:
            return queryset()
        value, pk = position
        strictly, or_equal = ("lt", "lte") if down else ("gt", "gte")
        # `key <= v` bounds the index range; the rest only skips the ties already shown.
        return queryset().filter(
            Q(**{f"{key}__{or_equal}": value})
            & (Q(**{f"{key}__{strictly}": value}) | Q(**{f"pk__{strictly}": pk}))
        )

    return Part((f"-{key}", "-pk") if down else (key, "pk"), build)


def _nullable_parts(queryset: Callable, key: str, position, down: bool, backwards: bool):
    """The parts to read in turn, nearest first, for a key whose NULL rows come last in the
    list's order: those with a key, then those without (walking back: the other way)."""

    def known():
        return queryset().filter(**{f"{key}__isnull": False})

    def unknown():
        rows = queryset().filter(**{f"{key}__isnull": True})
        if position is not None and position[0] is None:
            # Among the rows without a key, which the id alone orders.
            rows = rows.filter(**{f"pk__{'lt' if down else 'gt'}": position[1]})
        return rows

    by_id = Part(("-pk",) if down else ("pk",), unknown)
    if position is not None and position[0] is None:
        return [by_id, _beyond(known, key, None, down)] if backwards else [by_id]
    if backwards:
        return [_beyond(known, key, position, down)]
    return [_beyond(known, key, position, down), by_id]


def keyset_page(
    queryset,
    params,
    *,
    key: str,
    kind: type,
    descending: bool = True,
    size: int = 50,
    nulls_last: bool = False,
    read=None,
) -> KeysetPage:
    """The page of `queryset` (or of what a function `queryset()` builds, called only if the
    page's rows are read from it) that `params` (the request's GET) asks for, ordered by `key`
    (a field or annotation of type `kind`: datetime.datetime, datetime.date, int or str) and
    the id, latest first when `descending`; its rows are model instances or, from a values()
    queryset, dicts that hold the key and "id". The key is never NULL unless `nulls_last`
    (not for str keys), which lists the rows without one last, by id. One query, the page's
    rows and one more to know whether another page follows; two where a page of a
    `nulls_last` list reaches from the rows with a key to those without. `read(part, n)`, when
    given, reads the first n rows of a Part (its `queryset`, filtered and ordered, built when
    first asked for) as rows: by their ids, say (kb.api.compiled.rows_by_ids), in the part's
    `order`; `read(part, n, from_start=True)` for the parts of the list's first page, which
    no page link bounds."""
    if nulls_last and kind is str:
        raise TypeError("a str key marks no NULL: its empty value is a value")
    error = ""
    after = before = None
    try:
        if params.get("after"):
            after = _parse(params["after"], kind, nulls_last)
        elif params.get("before"):
            before = _parse(params["before"], kind, nulls_last)
    except (ValueError, OverflowError):
        error = BAD_PAGE_LINK
    backwards = before is not None
    # Walking back flips the direction of both keys.
    down = descending != backwards
    position = after or before
    # Built once, if a part's rows are read from it.
    whole = functools.cache(queryset) if callable(queryset) else (lambda found=queryset: found)
    if nulls_last:
        parts = _nullable_parts(whole, key, position, down, backwards)
    else:
        parts = [_beyond(whole, key, position, down)]
    rows = []
    for part in parts:
        wanted = size + 1 - len(rows)
        if read is None:
            rows += part.queryset[:wanted]
        else:
            rows += read(part, wanted, from_start=position is None)
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    others = {name: value for name, value in params.items() if name not in ("after", "before")}

    def link(name: str, row) -> str:
        value, pk = (row[key], row["id"]) if isinstance(row, dict) else (getattr(row, key), row.pk)
        mark = f"{_format(value)}{_SEPARATOR}{pk}"
        return urlencode({**others, name: mark})

    has_next = more if not backwards else True
    has_previous = more if backwards else position is not None
    next_query = link("after", rows[-1]) if rows and has_next else None
    previous_query = link("before", rows[0]) if rows and has_previous else None
    if not rows and position is not None:
        # Walked past either end (rows changed since): the way back is the list's start.
        previous_query = urlencode(others)
    return KeysetPage(rows, next_query, previous_query, error)
