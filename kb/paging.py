"""Keyset paging for the site's long lists (the editors' queue, an entity's claims): each page
one indexed range scan, whatever its depth, and no count of the rows.

A page link carries where the page before it stopped (`after`, walking on) or where the page
after it began (`before`, walking back), as `<key>~<id>`: readable, and checked like any other
input. The key is a column or an annotation that is never NULL, the id breaks its ties.
"""

from __future__ import annotations

import datetime
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
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def _parse(text: str, kind: type):
    key, separator, pk = text.rpartition(_SEPARATOR)
    if not separator or not pk.isdigit() or len(pk) > 18 or len(text) > 1000:
        raise ValueError(text)
    if kind is datetime.datetime:
        value = datetime.datetime.fromisoformat(key)
        if value.tzinfo is None:
            raise ValueError(text)
    elif kind is int:
        if not key.lstrip("-").isdigit():
            raise ValueError(text)
        value = int(key)
    elif kind is str:
        value = key
    else:
        raise TypeError(kind)
    return value, int(pk)


def keyset_page(
    queryset, params, *, key: str, kind: type, descending: bool = True, size: int = 50
) -> KeysetPage:
    """The page of `queryset` that `params` (the request's GET) asks for, ordered by `key`
    (a field or annotation of type `kind`: datetime.datetime, int or str, never NULL) and the id,
    latest first when `descending`. One query: the page's rows and one more, to know whether
    another page follows."""
    error = ""
    after = before = None
    try:
        if params.get("after"):
            after = _parse(params["after"], kind)
        elif params.get("before"):
            before = _parse(params["before"], kind)
    except (ValueError, OverflowError):
        error = BAD_PAGE_LINK
    backwards = before is not None
    # Walking back flips the direction of both keys.
    down = descending != backwards
    position = after or before
    if position is not None:
        value, pk = position
        strictly, or_equal = ("lt", "lte") if down else ("gt", "gte")
        # `key <= v` bounds the index range; the rest only skips the ties already shown.
        queryset = queryset.filter(
            Q(**{f"{key}__{or_equal}": value})
            & (Q(**{f"{key}__{strictly}": value}) | Q(**{f"pk__{strictly}": pk}))
        )
    order = [f"-{key}", "-pk"] if down else [key, "pk"]
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    others = {name: value for name, value in params.items() if name not in ("after", "before")}

    def link(name: str, row) -> str:
        mark = f"{_format(getattr(row, key))}{_SEPARATOR}{row.pk}"
        return urlencode({**others, name: mark})

    has_next = more if not backwards else True
    has_previous = more if backwards else position is not None
    next_query = link("after", rows[-1]) if rows and has_next else None
    previous_query = link("before", rows[0]) if rows and has_previous else None
    if not rows and position is not None:
        # Walked past either end (rows changed since): the way back is the list's start.
        previous_query = urlencode(others)
    return KeysetPage(rows, next_query, previous_query, error)
