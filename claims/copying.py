"""Creating many rows of one model at once on PostgreSQL, with their history: the rows are
COPYed into a temporary table, then one INSERT ... SELECT writes them into the model's table
and, in the same statement, their "created" rows into its django-simple-history table, with
the user, time and change reason bulk_create_with_history would record. No model instance
is built per row, and memory stays bounded by CHUNK rows of text.

Used by the import (claims.bundles.writing) and detection where it applies (copy_applies);
elsewhere they create model instances with bulk_create_with_history as before."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

CHUNK = 20_000  # rows per COPY: the text of one chunk is what is held in memory


def copy_applies() -> bool:
    """Whether the database takes COPY through psycopg2's copy_expert (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return not is_psycopg3


def history_user_id(model, user) -> int | None:
    """The user a history row records, as bulk_create_with_history would find it: the given
    one, else the history's default (the request's user, through its middleware)."""
    if user is None:
        user = model.history.model.get_default_history_user(model())
    return getattr(user, "pk", None)


def rows_create(
    model,
    rows: Iterable[dict],
    *,
    now: datetime.datetime,
    history: tuple[object, str] | None = None,
) -> list[int]:
    """Create `model` rows from dicts of column values by attname (a column left out takes
    its field's default; auto_now and auto_now_add columns left out take `now`). With
    `history` (user, change reason), each is recorded in the model's history as created by
    that user at `now` for that reason, as bulk_create_with_history records it. Returns the
    new rows' ids, in the order of `rows`. PostgreSQL only (copy_applies)."""
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    stamped = {
        f.attname
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    defaults = {f.attname: f.get_default() for f in fields}
    attnames = [f.attname for f in fields]
    columns = ", ".join(quote(c) for c in [pk.column, *(f.column for f in fields)])
    table = quote(meta.db_table)
    temporary = quote(f"kb_copy_{meta.db_table}")
    stamp = _text(now)
    if history is None:
        insert = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {temporary}"
        parameters = []
    else:
        user, reason = history
        recorded = model.history.model
        tracked = ", ".join(quote(f.column) for f in recorded.tracked_fields)
        insert = (
            f"WITH new AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM {temporary} "
            f"RETURNING *) "
            f"INSERT INTO {quote(recorded._meta.db_table)} ({tracked}, history_date, "
            f"history_user_id, history_change_reason, history_type) "
            f"SELECT {tracked}, %s, %s, %s, '+' FROM new"
        )
        parameters = [now, history_user_id(model, user), reason]
    ids: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temporary} AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, pk.column])
        sequence = cursor.fetchone()[0]
        chunk: list[dict] = []

        def flush():
            if not chunk:
                return
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(chunk)])
            new_ids = [row[0] for row in cursor.fetchall()]
            buffer = io.StringIO()
            for new_id, row in zip(new_ids, chunk, strict=True):
                values = [str(new_id)]
                for name in attnames:
                    if name in row:
                        values.append(_text(row[name]))
                    elif name in stamped:
                        values.append(stamp)
                    else:
                        values.append(_text(defaults[name]))
                buffer.write("\t".join(values))
                buffer.write("\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {temporary} ({columns}) FROM STDIN", buffer)
            cursor.execute(insert, parameters)
            cursor.execute(f"TRUNCATE {temporary}")
            ids.extend(new_ids)
            chunk.clear()

        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                flush()
        flush()
        cursor.execute(f"DROP TABLE {temporary}")
    return ids


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (int, Decimal)):
        return str(value)
    raise TypeError(f"cannot COPY a {type(value).__name__}: {value!r}")
