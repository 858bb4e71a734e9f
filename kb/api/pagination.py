"""Keyset (cursor) pagination for the API's lists: each page one indexed range scan."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F, Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kb.api.compiled import rows_by_ids

# Messages clients see; tests assert on them.
BAD_CURSOR = "The cursor is not one this API gave out: follow the next or previous link."
CURSOR_FOR_OTHER_ORDERING = "This cursor belongs to another ordering: drop it or the ordering."
BAD_ORDERING = "Order by one of: {choices}."
BAD_PAGE_SIZE = "The page size is a whole number from 1 to {maximum}."


@dataclass(frozen=True)
class Ordering:
    """One ordering a list offers: a field (with the id as tie-breaker) and its direction."""

    name: str
    field: str
    descending: bool

    @property
    def keyed_by_id(self) -> bool:
        return self.field == "id"


def orderings(*fields: str) -> dict[str, Ordering]:
    """Each field ascending and descending: orderings("id", "claimed_on")."""
    found = {}
    for field in fields:
        found[field] = Ordering(field, field, False)
        found[f"-{field}"] = Ordering(f"-{field}", field, True)
    return found


@dataclass(frozen=True)
class Position:
    """Where a row stands in an ordering: its segment (0: field set, 1: field NULL), value, id."""

    segment: int
    value: object
    id: int


class KeysetPagination(BasePagination):
    """Cursor pagination on (field, id), so that page 10,000 costs what page 1 does.

    Each page is one query: an indexed range scan (`field >= v AND (field > v OR id > i)`,
    ordered by field and id, LIMIT n + 1); no page counts the rows. Rows whose field is NULL
    come last in either direction, as a second range on id in the same query. The cursor is
    opaque and names its ordering.
    """

    cursor_query_param = "cursor"
    ordering_query_param = "ordering"
    page_size_query_param = "page_size"

    def __init__(self):
        self.page_size = settings.KB_API_PAGE_SIZE
        self.max_page_size = settings.KB_API_MAX_PAGE_SIZE

    # The view's side: `orderings` (from orderings(...)) and `default_ordering`.

    def _orderings(self, view) -> dict[str, Ordering]:
        return getattr(view, "orderings", None) or orderings("id")

    def _ordering(self, request, view) -> Ordering:
        offered = self._orderings(view)
        name = request.query_params.get(self.ordering_query_param) or getattr(
            view, "default_ordering", "id"
        )
        if name not in offered:
            raise ValidationError(
                {self.ordering_query_param: [BAD_ORDERING.format(choices=", ".join(offered))]}
            )
        return offered[name]

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [BAD_PAGE_SIZE.format(maximum=self.max_page_size)]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.base_url = request.build_absolute_uri()
        self.view = view
        self.ordering = self._ordering(request, view)
        field = (
            None
            if self.ordering.keyed_by_id
            else queryset.model._meta.get_field(self.ordering.field)
        )
        # NULLs are a second range after the first, so that both stay index range scans.
        self.segments = [0, 1] if field is not None and field.null else [0]
        size = self._page_size(request)
        cursor = self._decode(request.query_params.get(self.cursor_query_param), field)
        reverse = bool(cursor and cursor["r"])
        after = Position(cursor["s"], cursor["v"], cursor["i"]) if cursor else None
        rows = self._fetch(queryset, after, reverse=reverse, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            self.has_next, self.has_previous = bool(rows), more
        else:
            self.has_next, self.has_previous = more, cursor is not None
        self.first = self._position(rows[0]) if rows else after
        self.last = self._position(rows[-1]) if rows else after
        return rows

    def _fetch(self, queryset, after: Position | None, *, reverse: bool, limit: int) -> list:
        ordering = self.ordering
        # Walking backwards flips the direction of every key.
        descending = ordering.descending != reverse
        segments = self.segments[::-1] if reverse else self.segments
        if after is not None:
            segments = segments[segments.index(after.segment) :]
        ranges = []
        for segment in segments:
            keys = ["id"] if ordering.keyed_by_id or segment == 1 else [ordering.field, "id"]
            part = queryset
            if len(self.segments) == 2:
                part = part.filter(**{f"{ordering.field}__isnull": segment == 1})
            if after is not None and after.segment == segment:
                part = part.filter(self._beyond(keys, after, descending))
            ranges.append(part.order_by(*[f"-{key}" if descending else key for key in keys]))
        if len(ranges) == 1:
            ids = ranges[0].values("pk")[:limit]
            return self._rows(ids, ranges[0].query.order_by, limit)
        # Both ranges (field set, then NULL): each an index range scan of at most `limit`
        # ids, their rows then put in order.
        ids = [part.values("pk")[:limit] for part in ranges]
        if connections[queryset.db].vendor == "postgresql":
            ids = ids[0].union(*ids[1:], all=True)
        else:
            # SQLite takes no LIMIT inside a UNION.
            ids = queryset.model.objects.filter(Q(pk__in=ids[0]) | Q(pk__in=ids[1])).values("pk")
        key = F(ordering.field)
        nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
        order = (key.desc(**nulls), "-id") if descending else (key.asc(**nulls), "id")
        return self._rows(ids, order, limit)

    def _rows(self, ids, order, limit: int) -> list:
        """The rows of the page whose ids `ids` gives, in `order`: read by id from the view's
        queryset as it is before filtering (the ids carry the filters; filtered again, the
        planner may apply a filter to the whole table before it takes the ids: 2 s for
        in_contradiction at a million claims), with a query compiled once per connection
        (kb.api.compiled)."""
        view = self.view
        rows = rows_by_ids(
            (type(view), tuple(order)), lambda: view.get_queryset().order_by(*order), ids
        )
        return rows[:limit]

    @staticmethod
    def _beyond(keys: list[str], after: Position, descending: bool) -> Q:
        strictly, or_equal = ("lt", "lte") if descending else ("gt", "gte")
        if keys == ["id"]:
            return Q(**{f"id__{strictly}": after.id})
        # `field >= v` bounds the index range; the rest only skips the ties already shown.
        field = keys[0]
        return Q(**{f"{field}__{or_equal}": after.value}) & (
            Q(**{f"{field}__{strictly}": after.value}) | Q(**{f"id__{strictly}": after.id})
        )

    def _position(self, row) -> Position:
        # A row is a model instance or a values() dict (id and the ordering's field among them).
        if isinstance(row, dict):
            row_id, value = row["id"], row.get(self.ordering.field)
        else:
            row_id, value = row.pk, getattr(row, self.ordering.field)
        if self.ordering.keyed_by_id:
            return Position(0, None, row_id)
        return Position(1 if value is None else 0, value, row_id)

    # Cursors: urlsafe base64 of a small JSON object.

    def _encode(self, position: Position, *, reverse: bool) -> str:
        value = position.value
        if isinstance(value, datetime.date | datetime.datetime):
            value = value.isoformat()
        payload = {"o": self.ordering.name, "s": position.segment, "v": value, "i": position.id}
        payload["r"] = int(reverse)
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, text: str | None, field) -> dict | None:
        if not text:
            return None
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            payload = json.loads(raw)
            if not (
                isinstance(payload, dict)
                and payload.get("s") in self.segments
                and type(payload.get("i")) is int
                and payload.get("r") in (0, 1)
            ):
                raise ValueError
            if payload.get("o") != self.ordering.name:
                raise ValidationError({self.cursor_query_param: [CURSOR_FOR_OTHER_ORDERING]})
            if field is not None and payload["s"] == 0:
                payload["v"] = field.to_python(payload["v"])
                if payload["v"] is None:
                    raise ValueError
        except (binascii.Error, ValueError, UnicodeDecodeError, DjangoValidationError):
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from None
        return payload

    def _link(self, position: Position | None, *, reverse: bool) -> str | None:
        if position is None:
            return None
        return replace_query_param(
            self.base_url, self.cursor_query_param, self._encode(position, reverse=reverse)
        )

    def get_next_link(self) -> str | None:
        return self._link(self.last, reverse=False) if self.has_next else None

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.first is None:
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.first, reverse=True)

    def get_paginated_response(self, data):
        next_link, previous_link = self.get_next_link(), self.get_previous_link()
        response = Response({"next": next_link, "previous": previous_link, "results": data})
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("next", next_link), ("prev", previous_link))
            if url
        ]
        if links:
            # Where a CSV body has no room for the links, the header carries them (RFC 8288).
            response["Link"] = ", ".join(links)
        return response

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The previous page; null on the first."},
                "results": {**schema, "description": "The rows of this page."},
            },
        }

    def get_schema_operation_parameters(self, view):
        offered = ", ".join(f"`{name}`" for name in self._orderings(view))
        default = getattr(view, "default_ordering", "id")
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The page to show: copy it from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": f"The order of the rows, ties broken by id: {offered} (default "
                f"`{default}`; `-` for descending). Rows without the field's value come last.",
                "schema": {"type": "string", "enum": list(self._orderings(view))},
            },
        ]
