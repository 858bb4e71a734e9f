"""Creating many rows of one model at once on PostgreSQL, with their history: the rows are
COPYed straight into the model's table, with ids taken from its sequence, and the same lines,
with the user, time and change reason bulk_create_with_history would record, into its
django-simple-history table. No model instance is built per row, no row is written twice, and
memory stays bounded by CHUNK rows of text.

Used by the import (claims.bundles.writing) and detection where it applies (copy_applies);
elsewhere they create model instances with bulk_create_with_history as before."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterable
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection

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


_MISSING = object()


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
    stamp = _text(now)
    # Each column's attname and the text a row that leaves it out writes.
    absent = [
        (
            f.attname,
            stamp
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else _text(f.get_default()),
        )
        for f in fields
    ]
    names = [pk.column, *(f.column for f in fields)]
    columns = ", ".join(quote(c) for c in names)
    table = quote(meta.db_table)
    recorded = None
    if history is not None:
        user, reason = history
        recorded = model.history.model
        tracked = [f.column for f in recorded.tracked_fields]
        # The history line: the row's own values in the history's column order, then who,
        # when and why ('+': created).
        order = [names.index(column) for column in tracked]
        same_order = order == list(range(len(names)))
        suffix = "\t".join([stamp, _text(history_user_id(model, user)), _text(reason), "+"])
        history_copy = (
            f"COPY {quote(recorded._meta.db_table)} "
            f"({', '.join(quote(c) for c in tracked)}, history_date, history_user_id, "
            f"history_change_reason, history_type) FROM STDIN"
        )
    ids: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, pk.column])
        sequence = cursor.fetchone()[0]
        chunk: list[dict] = []

        def flush():
            if not chunk:
                return
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(chunk)])
            new_ids = [row[0] for row in cursor.fetchall()]
            lines = []
            append = lines.append
            text = _text
            missing = _MISSING
            for new_id, row in zip(new_ids, chunk, strict=True):
                get = row.get
                values = [str(new_id)]
                add = values.append
                for name, default in absent:
                    value = get(name, missing)
                    if value is missing:
                        add(default)
                    elif value is None:
                        add("\\N")
                    elif value.__class__ is str and not (
                        "\\" in value or "\t" in value or "\n" in value or "\r" in value
                    ):
                        add(value)
                    else:
                        add(text(value))
                append(values)
            _copy(cursor, f"COPY {table} ({columns}) FROM STDIN", ["\t".join(v) for v in lines])
            if recorded is not None:
                if same_order:
                    history_lines = ["\t".join(v) + "\t" + suffix for v in lines]
                else:
                    history_lines = [
                        "\t".join([v[i] for i in order]) + "\t" + suffix for v in lines
                    ]
                _copy(cursor, history_copy, history_lines)
            ids.extend(new_ids)
            chunk.clear()

        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                flush()
        flush()
    return ids


def instances_create(
    model, instances: list, *, now: datetime.datetime, history: tuple[object, str]
) -> list[int]:
    """rows_create of new, unsaved `model` instances, from their column values (auto_now and
    auto_now_add columns stamped `now` on the instances too), recorded in the history as
    `history` (user, change reason) says. The instances are saved after it: their ids set.
    Returns those ids, in order. PostgreSQL only (copy_applies)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for column in fields:
        if getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False):
            for instance in instances:
                setattr(instance, column.attname, now)
    rows = [{f.attname: getattr(instance, f.attname) for f in fields} for instance in instances]
    ids = rows_create(model, rows, now=now, history=history)
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = DEFAULT_DB_ALIAS
    return ids


def _copy(cursor, statement: str, lines: list[str]) -> None:
    """COPY the lines (tab-separated text format) with `statement`; the database's errors
    raised as Django's (an IntegrityError for a row a constraint refuses)."""
    buffer = io.StringIO("\n".join(lines) + "\n")
    with connection.wrap_database_errors:
        cursor.cursor.copy_expert(statement, buffer)


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
    if isinstance(value, (dict, list)):  # a JSONField's value
        return _text(json.dumps(value))
    raise TypeError(f"cannot COPY a {type(value).__name__}: {value!r}")
