"""Creating many rows of one model at once on PostgreSQL, with their history: the rows are
COPYed straight into the model's table, with ids taken from its sequence, and the same lines,
with the user, time and change reason bulk_create_with_history would record, into its
django-simple-history table. No model instance is built per row, no row is written twice, and
memory stays bounded by CHUNK rows of text.

Inside `overlapped()` (the import), each COPY is sent from a second thread while this one goes
on building the next rows: the server's work on one chunk and Python's on the next overlap
(psycopg2 lets go of the GIL while the server works). Any other query on the connection, and
the end of the block, first waits for the COPYs sent before it and raises the first one's
error, so the transaction sees the same statements in the same order as without it.

Updating many rows works the same way (rows_update): their new values COPYed into a temporary
table, set with one UPDATE ... FROM, and recorded in the history with one INSERT ... SELECT.
update_with_history is where every bulk update with history chooses it or
bulk_update_with_history; statistics_refresh keeps the planner's statistics up with a large
write inside its own transaction.

Used by the import (claims.bundles.writing) and detection where it applies (copy_applies);
elsewhere they create model instances with bulk_create_with_history as before."""

from __future__ import annotations

import datetime
import io
import json
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

CHUNK = 20_000  # rows per round of ids: the rows of one chunk are what is held in memory
PIECE = 4_000  # rows per COPY: the server copies one piece while the next one's text is built


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

        def lines_of(rows: list[dict]) -> list[list[str]]:
            lines = []
            append = lines.append
            text = _text
            missing = _MISSING
            for row in rows:
                get = row.get
                values = []
                add = values.append
                for name, default in absent:
                    value = get(name, missing)
                    if value is missing:
                        add(default)
                    elif value is None:
                        add("\\N")
                    else:
                        kind = value.__class__
                        if kind is str:
                            if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
                                add(text(value))
                            else:
                                add(value)
                        elif kind is int or kind is Decimal:
                            add(str(value))
                        else:
                            add(text(value))
                append(values)
            return lines

        def send(lines: list[list[str]], new_ids: list[int]) -> None:
            for new_id, values in zip(new_ids, lines, strict=True):
                values.insert(0, str(new_id))
            _copy(cursor, f"COPY {table} ({columns}) FROM STDIN", ["\t".join(v) for v in lines])
            if recorded is not None:
                if same_order:
                    history_lines = ["\t".join(v) + "\t" + suffix for v in lines]
                else:
                    history_lines = [
                        "\t".join([v[i] for i in order]) + "\t" + suffix for v in lines
                    ]
                _copy(cursor, history_copy, history_lines)

        def flush():
            if not chunk:
                return
            # The first piece's text first, the chunk's ids after: taking ids is a query, which
            # waits for the COPYs sent before (overlapped), so the text is built while they
            # run. Then each piece is sent as soon as its text is built: the server copies one
            # while the next is built.
            lines = lines_of(chunk[:PIECE])
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(chunk)])
            new_ids = [row[0] for row in cursor.fetchall()]
            send(lines, new_ids[:PIECE])
            for start in range(PIECE, len(chunk), PIECE):
                send(lines_of(chunk[start : start + PIECE]), new_ids[start : start + PIECE])
            ids.extend(new_ids)
            chunk.clear()

        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                flush()
        flush()
    return ids


# Rows written in one transaction from which the planner's statistics are refreshed
# (statistics_refresh): below this, a plan made for an emptier table costs little.
REFRESH_FROM = 5_000


def statistics_refresh(model, added: int, columns: tuple[str, ...]) -> bool:
    """After `added` rows were written into `model`'s table in this transaction: ANALYZE the
    table's `columns` (and its row count) when they are more than a fifth of the rows its
    statistics count (or it has none), so that the queries that follow in the same transaction
    and filter on those columns are planned for the table as it is now.

    Autovacuum analyzes a table only after the transaction commits; until then the planner
    takes an import's claims table for an empty one, and detection read each chunk of groups
    through the attribute's index, the whole table each time, instead of through the subject's.
    Only the given columns: at a million claims, ANALYZE of every column and index expression
    (the full-text indexes) takes 0.7 to 1.2 s, of two columns 0.2 s; autovacuum analyzes the
    rest after the commit.

    The statistics are the transaction's own until it commits (a rollback takes them back).
    ANALYZE's lock (SHARE UPDATE EXCLUSIVE) blocks no read or write, only another ANALYZE or
    VACUUM of the table, until the transaction ends. PostgreSQL only; returns whether it ran."""
    if connection.vendor != "postgresql" or added < REFRESH_FROM:
        return False
    table = model._meta.db_table
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        counted = max(cursor.fetchone()[0], 0)  # -1: never analyzed
        if added * 5 <= counted:
            return False
        cursor.execute(f"ANALYZE {quote(table)} ({names})")
    return True


# From this many rows, update_with_history updates with rows_update (PostgreSQL): below it,
# Django's bulk_update costs less than a temporary table.
UPDATE_FROM = 100


def update_with_history(model, instances: list, fields: list[str], *, user, reason: str) -> None:
    """Set `fields` of the instances as they hold them, and record each in the model's
    history by `user` for `reason`: bulk_update_with_history, or on PostgreSQL from
    UPDATE_FROM instances on, rows_update (the same rows and history, without bulk_update's
    SQL that grows with rows times fields). The one place every bulk update goes through."""
    if not instances:
        return
    if len(instances) >= UPDATE_FROM and copy_applies():
        rows_update(model, instances, fields, now=timezone.now(), history=(user, reason))
        return
    bulk_update_with_history(
        instances, model, fields, batch_size=2000, default_user=user, default_change_reason=reason
    )


# The table an update's new values are copied into (rows_update), dropped after each use.
UPDATE_TABLE = "kb_rows_update"


def rows_update(
    model, instances: list, fields: list[str], *, now: datetime.datetime, history: tuple
) -> None:
    """bulk_update_with_history on PostgreSQL, without its SQL of one CASE a field with a WHEN
    a row (Django's bulk_update: 3.5 ms a claim, an import of 20,000 changed claims took 70 s):
    the instances' new values of `fields` are COPYed into a temporary table and set in one
    UPDATE ... FROM joined by id; then each updated row is recorded in the model's history
    as bulk_update_with_history records it (the row as it now stands, "~", by the user
    `history` gives, for its reason), at `now`, in one INSERT ... SELECT. PostgreSQL only
    (copy_applies); in a transaction of its own when called outside one (the temporary table
    lives until the transaction ends, and is dropped before)."""
    if not instances:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    targets = [meta.get_field(name) for name in fields]
    columns = [quote(f.column) for f in targets]
    table, temporary = quote(meta.db_table), quote(UPDATE_TABLE)
    lines = [
        "\t".join(
            [str(index), str(instance.pk), *(_text(getattr(instance, f.attname)) for f in targets)]
        )
        for index, instance in enumerate(instances)
    ]
    user, reason = history
    recorded = model.history.model
    tracked = [quote(f.column) for f in recorded.tracked_fields]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS SELECT 0 AS kb_order, "
            f"{quote(pk.column)}, {', '.join(columns)} FROM {table} WITH NO DATA"
        )
        _copy(cursor, f"COPY {temporary} FROM STDIN", lines)
        # Its size known, the join goes through the model's primary key, row by row.
        cursor.execute(f"ANALYZE {temporary}")
        cursor.execute(
            f"UPDATE {table} AS m SET "
            + ", ".join(f"{column} = u.{column}" for column in columns)
            + f" FROM {temporary} AS u WHERE m.{quote(pk.column)} = u.{quote(pk.column)}"
        )
        cursor.execute(
            f"INSERT INTO {quote(recorded._meta.db_table)} ({', '.join(tracked)}, "
            "history_date, history_user_id, history_change_reason, history_type) "
            f"SELECT {', '.join(f'm.{column}' for column in tracked)}, %s, %s, %s, '~' "
            f"FROM {table} AS m JOIN {temporary} AS u "
            f"ON m.{quote(pk.column)} = u.{quote(pk.column)} ORDER BY u.kb_order",
            [now, history_user_id(model, user), reason],
        )
        cursor.execute(f"DROP TABLE {temporary}")


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
    raised as Django's (an IntegrityError for a row a constraint refuses). Inside
    `overlapped()`, sent from its thread; the error is then raised by the next query or at the
    end of the block."""
    # Bytes, read in one piece: psycopg2 then holds the GIL once, not once per 8 kB, and
    # neither encodes nor copies them again (a StringIO would hold four bytes a character).
    data = "\n".join([*lines, ""]).encode()
    sender = getattr(_this_thread, "sender", None)
    if sender is not None:
        sender.send(statement, data)
        return
    with connection.wrap_database_errors:
        _copy_bytes(cursor.cursor, statement, data)


def _copy_bytes(raw_cursor, statement: str, data: bytes) -> None:
    """psycopg2's COPY of `data`, read in one piece."""
    raw_cursor.copy_expert(statement, io.BytesIO(data), size=len(data) + 1)


class _Sender:
    """The COPYs of an overlapped() block, sent in order by one thread of their own on the
    connection's own psycopg2 connection (never through Django's, which stays this thread's)."""

    def __init__(self, raw):
        self.cursor = raw.cursor()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-copy")
        self.sent: list[Future] = []

    def send(self, statement: str, data: bytes) -> None:
        self.sent.append(self.pool.submit(self._run, statement, data))

    def _run(self, statement: str, data: bytes) -> None:
        _copy_bytes(self.cursor, statement, data)

    def wait(self) -> None:
        """Wait for every COPY sent; raise the first one's error as Django's."""
        sent, self.sent = self.sent, []
        failed = None
        for future in sent:
            error = future.exception()
            if error is not None and failed is None:
                failed = error
        if failed is not None:
            with connection.wrap_database_errors:
                raise failed

    def before_query(self, execute, sql, params, many, context):
        self.wait()
        return execute(sql, params, many, context)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.cursor.close()


# This thread's sender while an overlapped() block runs (Django's connection is this thread's).
_this_thread = threading.local()


def overlapping() -> bool:
    """Whether this thread is inside an overlapped() block (its COPYs sent from a second
    thread): the import's one transaction."""
    return getattr(_this_thread, "sender", None) is not None


@contextmanager
def overlapped() -> Iterator[None]:
    """Send the block's COPYs (rows_create) from a second thread, each query waiting for those
    sent before it; at the end, wait for them all and raise the first error. Inside a
    transaction (the connection must stay the same); elsewhere than PostgreSQL, or nested, it
    changes nothing."""
    if not copy_applies() or getattr(_this_thread, "sender", None) is not None:
        yield
        return
    connection.ensure_connection()
    sender = _Sender(connection.connection)
    _this_thread.sender = sender
    try:
        with connection.execute_wrapper(sender.before_query):
            yield
            sender.wait()
    finally:
        _this_thread.sender = None
        # On an error in the block: what is still being sent ends before the rollback.
        try:
            sender.wait()
        except Exception:  # noqa: BLE001 (the block's own error is the one to raise)
            pass
        finally:
            sender.close()


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
