"""The read API's groundwork (access, keyset pagination, CSV, errors, HTTP caching) and entities."""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, connections
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_csv.renderers import CSVRenderer as BaseCSVRenderer

from kb.filters import EntityFilter
from kb.models import Entity, EntityAlias
from kb.serializers import EntitySerializer

# Messages clients see; tests assert on them.
NOT_SIGNED_IN = "The API is open to signed-in users and API tokens only: sign in or send a token."
BAD_PARAMETERS = "Invalid value for {names}."
BAD_CURSOR = "The cursor is not one this API gave out: follow the next or previous link."
CURSOR_FOR_OTHER_ORDERING = "This cursor belongs to another ordering: drop it or the ordering."
BAD_ORDERING = "Order by one of: {choices}."
BAD_PAGE_SIZE = "The page size is a whole number from 1 to {maximum}."

# Part of every ETag: bump it when the representation changes without the data changing.
REPRESENTATION_VERSION = "1"


class ReadAccess(permissions.BasePermission):
    """Reads are public unless KB_API_PUBLIC is false; then they need a session or a token.

    Unsafe methods pass, so that the read-only views answer them 405 rather than 401.
    """

    message = NOT_SIGNED_IN

    def has_permission(self, request, view) -> bool:
        if request.method not in permissions.SAFE_METHODS:
            return True
        return settings.KB_API_PUBLIC or bool(request.user and request.user.is_authenticated)


# Errors.


def exception_handler(exc, context):
    """DRF's JSON errors, with a sentence naming the parameters a 400 rejects."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError) and isinstance(exc.detail, dict):
        names = ", ".join(sorted(exc.detail))
        response.data = {"detail": BAD_PARAMETERS.format(names=names), "errors": exc.detail}
    return response


# CSV.


class CSVRenderer(BaseCSVRenderer):
    """`?format=csv`: one row per result, nested objects flattened to `subject.name` columns.

    A list of plain values becomes one cell joined by ";"; a list of objects with an id (the
    claims of a position) becomes their ids. The view may fix the columns (`csv_header`).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        elif isinstance(data, dict):
            data = [data]
        rows = [self.flatten_item(item) for item in data]
        header = renderer_context.get("header")
        if not header:
            # The columns in the order they first appear, not sorted.
            header = list(dict.fromkeys(key for row in rows for key in row))
        return super().render(rows, media_type, {**renderer_context, "header": header})

    def flatten_data(self, data):
        # render() flattened already.
        return iter(data)

    def flatten_list(self, items):
        if all(not isinstance(item, dict | list) for item in items):
            return {"": ";".join("" if item is None else str(item) for item in items)}
        if all(
            isinstance(item, dict) and "id" in item and "positions" not in item for item in items
        ):
            return {"": ";".join(str(item["id"]) for item in items)}
        return super().flatten_list(items)


# Pagination.


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
            return list(ranges[0][:limit])
        # Both ranges (field set, then NULL) in one query: each an index range scan of at
        # most `limit` ids, their rows then put in order.
        ids = [part.values("pk")[:limit] for part in ranges]
        if connections[queryset.db].vendor == "postgresql":
            within = Q(pk__in=ids[0].union(*ids[1:], all=True))
        else:
            # SQLite takes no LIMIT inside a UNION.
            within = Q(pk__in=ids[0]) | Q(pk__in=ids[1])
        key = F(ordering.field)
        nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
        order = [key.desc(**nulls), "-id"] if descending else [key.asc(**nulls), "id"]
        return list(queryset.filter(within).order_by(*order)[:limit])

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
        if self.ordering.keyed_by_id:
            return Position(0, None, row.pk)
        value = getattr(row, self.ordering.field)
        return Position(1 if value is None else 0, value, row.pk)

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


# HTTP caching.


def data_version(history_models) -> tuple[str, datetime.datetime | None]:
    """The newest history id and date of each model whose rows a response shows: one query.

    Every write to those models (bulk imports included) adds a history row, so the ids change
    exactly when the data may have: a cheap stand-in for hashing the response.
    """
    quote = connection.ops.quote_name
    columns = []
    for model in history_models:
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        newest = f"CAST({pk} AS TEXT) || ' ' || CAST({quote('history_date')} AS TEXT)"
        columns.append(f"(SELECT {newest} FROM {table} ORDER BY {pk} DESC LIMIT 1)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns))
        row = cursor.fetchone()
    ids, newest_date = [], None
    for value in row:
        if value is None:
            ids.append("0")
            continue
        history_id, _, written = value.partition(" ")
        ids.append(history_id)
        date = parse_datetime(written)
        if date is not None and timezone.is_naive(date):
            date = timezone.make_aware(date, datetime.UTC)
        if date is not None and (newest_date is None or date > newest_date):
            newest_date = date
    return ".".join(ids), newest_date


class APISchema(AutoSchema):
    """drf-spectacular's schema, with the format and path parameters described too."""

    def _get_format_parameters(self):
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = (
                "json (the default), csv (one row per result; the next page's link in the "
                "Link header), or api (the browsable page)."
            )
        return parameters

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if not parameter.get("description"):
                parameter["description"] = PATH_PARAMETERS.get(parameter["name"], "")
        return parameters


PATH_PARAMETERS = {"id": "The object's id.", "code": "The attribute's code."}


class ReadOnlyAPIViewSet(viewsets.ReadOnlyModelViewSet):
    """A list and a detail over a selector, with ETag / Last-Modified and 304s.

    Subclasses set `version_models` (the models whose rows they show; their history tables
    date the data), `orderings`, `default_ordering` and optionally `csv_header`.
    """

    permission_classes = (ReadAccess,)
    schema = APISchema()
    pagination_class = KeysetPagination
    renderer_classes = (ORJSONRenderer, BrowsableAPIRenderer, CSVRenderer)
    version_models: tuple = ()
    orderings = orderings("id")
    default_ordering = "id"
    csv_header: tuple | None = None

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated(NOT_SIGNED_IN)
        super().permission_denied(request, message=message, code=code)

    def get_renderer_context(self):
        context = super().get_renderer_context()
        if self.csv_header:
            context["header"] = self.csv_header
        return context

    def list(self, request, *args, **kwargs):
        return self.conditional(super().list, request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self.conditional(super().retrieve, request, *args, **kwargs)

    def conditional(self, handler, request, *args, **kwargs):
        """Answer 304 without querying or rendering when the client's copy is current."""
        version, modified = data_version(self.history_models())
        fingerprint = repr(
            (
                REPRESENTATION_VERSION,
                version,
                request.get_full_path(),
                request.accepted_media_type,
                settings.KB_API_PAGE_SIZE,
            )
        )
        etag = '"' + hashlib.blake2b(fingerprint.encode(), digest_size=16).hexdigest() + '"'
        last_modified = int(modified.timestamp()) if modified else None
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None:
            response = handler(request, *args, **kwargs)
        if response.status_code in (status.HTTP_200_OK, status.HTTP_304_NOT_MODIFIED):
            response["ETag"] = etag
            if last_modified is not None:
                response["Last-Modified"] = http_date(last_modified)
        return response

    def history_models(self) -> list:
        cls = type(self)
        # `Model.history` builds a manager on every access; the models themselves never change.
        if "_history_models" not in cls.__dict__:
            cls._history_models = [model.history.model for model in self.version_models]
        return cls._history_models

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and renderer and renderer.format != "json":
            # Errors are JSON whatever format the list was asked in.
            request.accepted_renderer = ORJSONRenderer()
            request.accepted_media_type = ORJSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in permissions.SAFE_METHODS:
            # Caches may keep a copy but must ask (a 304 is cheap) before reusing it.
            if settings.KB_API_PUBLIC:
                patch_cache_control(response, no_cache=True)
            else:
                patch_cache_control(response, no_cache=True, private=True)
            patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response


# Entities.


def entity_list():
    """Entities with their aliases, for the API: two queries per page (rows, then aliases)."""
    return Entity.objects.prefetch_related(
        Prefetch("aliases", queryset=EntityAlias.objects.order_by("name", "id"))
    )


@extend_schema_view(
    list=extend_schema(summary="Entities", description="Bases, agreements, officials, ..."),
    retrieve=extend_schema(summary="One entity"),
)
class EntityViewSet(ReadOnlyAPIViewSet):
    """The entities claims are about, with their aliases."""

    serializer_class = EntitySerializer
    filterset_class = EntityFilter
    version_models = (Entity, EntityAlias)
    orderings = orderings("id")
    csv_header = EntitySerializer.Meta.fields

    def get_queryset(self):
        return entity_list()

    def filter_queryset(self, queryset):
        # A duplicate merged into another entity stays reachable by id, off the list.
        if self.action == "list":
            queryset = queryset.filter(merged_into__isnull=True)
        return super().filter_queryset(queryset)
