"""HTTP caching for the API: an ETag and Last-Modified dated by the newest history rows, a 304
without querying or rendering when the client's copy is current, and caches told to ask again."""

from __future__ import annotations

import datetime
import functools
import hashlib

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from rest_framework import status
from simple_history.models import HistoricalChanges

from kb.dbfunctions import have_functions

# Part of every ETag: bump it when the representation changes without the data changing.
REPRESENTATION_VERSION = "2"
# The counter of commits that added history rows (PostgreSQL; see data_version).
DATA_VERSION_TABLE = "kb_dataversion"
_NEWEST = "CAST(version AS TEXT) || ' ' || COALESCE(CAST(changed_at AS TEXT), '')"


def data_version(history_models) -> tuple[str, datetime.datetime | None]:
    """The data's version and when it last changed, for the models whose rows a response
    shows: one query.

    Every write to those models (bulk imports included) adds a history row, so their newest
    ids change when the data may have, as the writing transaction itself sees it. Other
    transactions see a write when it commits, which need not be in the order of the ids (an
    import takes its ids as it goes and commits minutes later): the counter that every
    transaction adding history rows moves as it commits (kb_dataversion, migration
    kb.0003) is part of the version too, and its date part of when.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(_version_columns(history_models)))
        return _version_parsed(cursor.fetchone())


def data_version_sql(history_models) -> str:
    """data_version's query as one text expression, for a query that reads the version with its
    rows (the same snapshot): data_version_of parses its value."""
    return " || '|' || ".join(
        f"COALESCE({column}, '')" for column in _version_columns(history_models)
    )


def data_version_of(text: str) -> tuple[str, datetime.datetime | None]:
    """data_version's answer from the value of data_version_sql's expression."""
    return _version_parsed(text.split("|"))


def _version_columns(history_models) -> list[str]:
    quote = connection.ops.quote_name
    if _newest_functions():
        # The same subqueries as functions whose plans PostgreSQL keeps (migration kb.0004).
        tables = (DATA_VERSION_TABLE, *(model._meta.db_table for model in history_models))
        return [f"{NEWEST_FUNCTION.format(table=table)}()" for table in tables]
    columns = [f"(SELECT {_NEWEST} FROM {quote(DATA_VERSION_TABLE)} WHERE id = 1)"]
    for model in history_models:
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        newest = f"CAST({pk} AS TEXT) || ' ' || CAST({quote('history_date')} AS TEXT)"
        columns.append(f"(SELECT {newest} FROM {table} ORDER BY {pk} DESC LIMIT 1)")
    return columns


def _version_parsed(values) -> tuple[str, datetime.datetime | None]:
    ids, newest_date = [], None
    for value in values:
        number, _, written = (value or "0 ").partition(" ")
        ids.append(number)
        date = parse_datetime(written) if written else None
        if date is not None and timezone.is_naive(date):
            date = timezone.make_aware(date, datetime.UTC)
        if date is not None and (newest_date is None or date > newest_date):
            newest_date = date
    return ".".join(ids), newest_date


# The function of migration kb.0004 that gives a table's newest row (or the counter's).
NEWEST_FUNCTION = "kb_newest_{table}"


def _newest_functions() -> bool:
    """Whether the database has a newest-row function for the counter and each history table
    (PostgreSQL, migrated to kb.0004)."""
    return have_functions(_newest_function_names())


@functools.cache
def _newest_function_names() -> tuple[str, ...]:
    tables = [DATA_VERSION_TABLE, *(model._meta.db_table for model in _every_history())]
    return tuple(NEWEST_FUNCTION.format(table=table) for table in tables)


def _every_history() -> list:
    return [model for model in apps.get_models() if issubclass(model, HistoricalChanges)]


@functools.cache
def history_models(models: tuple) -> list:
    """The history models of `models` (a tuple). `Model.history` builds a manager on every
    access (simple_history inspects its queryset's methods: about 0.5 ms for seven models);
    the models themselves never change."""
    return [model.history.model for model in models]


def conditional_response(request, *, version_models, respond):
    """`respond()`'s response with an ETag and Last-Modified, or a 304 without calling it when
    the client's copy is current. `version_models` are the models whose rows the response
    shows; their history tables date the data (data_version: one query)."""
    version, modified = data_version(history_models(tuple(version_models)))
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
        response = respond()
    if response.status_code in (status.HTTP_200_OK, status.HTTP_304_NOT_MODIFIED):
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
    return response


def must_revalidate(response) -> None:
    """Let caches keep a copy of a read but ask (a 304 is cheap) before reusing it; while the
    API is not public, only the user's own cache."""
    if settings.KB_API_PUBLIC:
        patch_cache_control(response, no_cache=True)
    else:
        patch_cache_control(response, no_cache=True, private=True)
    patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
