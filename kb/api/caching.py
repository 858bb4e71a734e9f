"""HTTP caching for the API: an ETag and Last-Modified dated by the newest history rows, a 304
without querying or rendering when the client's copy is current, and caches told to ask again."""

from __future__ import annotations

import datetime
import functools
import hashlib

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from rest_framework import status

# Part of every ETag: bump it when the representation changes without the data changing.
REPRESENTATION_VERSION = "2"


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


@functools.cache
def _history_models(models: tuple) -> list:
    # `Model.history` builds a manager on every access; the models themselves never change.
    return [model.history.model for model in models]


def conditional_response(request, *, version_models, respond):
    """`respond()`'s response with an ETag and Last-Modified, or a 304 without calling it when
    the client's copy is current. `version_models` are the models whose rows the response
    shows; their history tables date the data (data_version: one query)."""
    version, modified = data_version(_history_models(tuple(version_models)))
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
