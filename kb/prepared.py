"""Queries prepared on the connection, so that PostgreSQL plans them once.

PostgreSQL plans a query afresh each time it is sent. For the queries that read a request's
rows (the claims' five joins and three subqueries, the queue's, the side-by-side page's) the
planning costs 0.4-1.7 ms, more than running them for a page of a few rows: the claims of one
subject and attribute took 1.4 ms to plan and 0.25 ms to run. A statement prepared on the
connection (PREPARE, then EXECUTE with the request's values) is planned for those values its
first five times and then, where PostgreSQL finds the plan for any values no worse, never again
(plan_cache_mode, PostgreSQL's documentation of PREPARE).

That plan for any values is only as good as its values are alike. At a million claims it read
every claim for `rank = $1` (258 ms, where the plan for 'preferred' takes its partial index in
2 ms) and every resolved contradiction's neighbours for `status = $1` (22 ms against 0.7).
So a statement takes only values that any plan serves alike, ids, and has its constants
written in (with_values_written); kb.api.compiled reads a page's ids with a query planned for
the request's values, then the rows of those ids with one statement.

execute() prepares the queries it is given the second time the same text comes on a connection,
and executes them from then on; a query PostgreSQL cannot prepare (a value whose type it cannot
tell) is sent as it is. The statements live as long as the connection: at most PREPARED_LIMIT on
each, the least recently used given up beyond. On SQLite, or with DATABASE_PREPARED_STATEMENTS
off (behind PgBouncer in transaction pooling mode, where a statement prepared on one server
connection is not on the next: README, Deploying), queries are sent as they are. A statement
PostgreSQL will not execute (its table's columns changed by another connection's migrate, or
missing on the server connection, a pooler in between) makes the connection give up its
statements, and the query is sent as text; inside a transaction, which the error has ended,
the error stands.
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from collections.abc import Sequence

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from psycopg2 import Error as PostgresError
from psycopg2.errorcodes import FEATURE_NOT_SUPPORTED, INVALID_SQL_STATEMENT_NAME
from psycopg2.extensions import (
    TRANSACTION_STATUS_IDLE,
    TRANSACTION_STATUS_INERROR,
    TRANSACTION_STATUS_INTRANS,
)

# Statements kept on one connection.
PREPARED_LIMIT = 64
_STATE = "_kb_prepared"
_PLACEHOLDER = re.compile(r"%[%s]")


class _Statements:
    """The statements prepared on one server connection: text → name, the least recently used
    first; the texts seen once; those PostgreSQL would not prepare."""

    def __init__(self, raw):
        self.raw = raw
        # Names of this connection's own: where server connections are shared by mistake
        # (transaction pooling left on), a statement of another client is never executed
        # under one of ours; it is missing, and the query is sent as text.
        self.prefix = f"kb_prepared_{secrets.token_hex(4)}_"
        self.names: OrderedDict[str, str] = OrderedDict()
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.refused: set[str] = set()
        self.made = 0


def numbered(sql: str) -> str:
    """`sql` with Django's placeholders (%s, and %% for a percent sign) as PREPARE writes
    them: $1, $2, ... and %."""
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if match[0] == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(replace, sql)


def in_use(connection) -> bool:
    """Whether queries are prepared on `connection` (PostgreSQL, DATABASE_PREPARED_STATEMENTS)."""
    return connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS


def with_values_written(cursor, sql: str, params: Sequence) -> str:
    """`sql` (Django's: %s placeholders, %% for a percent sign) with `params` written into it
    as literals, in the same form. A statement's constants are written so: a plan made for any
    values knows them (a partial index on status = 'open' serves `status = 'open'`, never
    `status = $1`)."""
    if not params:
        return sql
    return cursor.mogrify(sql, params).decode().replace("%", "%%")


def split_at_value(sql: str, at: int) -> tuple[str, str]:
    """`sql` cut around its placeholder number `at` (from 0): the SQL before it and after."""
    seen = -1
    for match in _PLACEHOLDER.finditer(sql):
        if match[0] == "%s":
            seen += 1
            if seen == at:
                return sql[: match.start()], sql[match.end() :]
    raise ValueError(f"the SQL has no placeholder number {at}")


def _statements(connection) -> _Statements | None:
    if not in_use(connection):
        return None
    connection.ensure_connection()
    raw = connection.connection
    state = connection.__dict__.get(_STATE)
    if state is None or state.raw is not raw:
        # A new server connection holds no statement.
        state = connection.__dict__[_STATE] = _Statements(raw)
    return state


def execute(cursor, sql: str, params: Sequence = ()) -> None:
    """Run `sql` with `params` on `cursor` (Django's), as a statement prepared on its
    connection from the second time the same `sql` comes."""
    state = _statements(cursor.db)
    if state is None:
        cursor.execute(sql, params)
        return
    name = state.names.get(sql)
    if name is None:
        name = _prepared(state, sql)
    else:
        state.names.move_to_end(sql)
    if name is None:
        cursor.execute(sql, params)
        return
    try:
        if params:
            cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
        else:
            cursor.execute(f"EXECUTE {name}")
    except DatabaseError as error:
        # Another connection's migrate changed a table's columns since it was prepared, or
        # the server connection is not the one it was prepared on (a pooler in between).
        code = getattr(error.__cause__, "pgcode", None)
        if code not in (FEATURE_NOT_SUPPORTED, INVALID_SQL_STATEMENT_NAME):
            raise
        idle = state.raw.info.transaction_status == TRANSACTION_STATUS_IDLE
        _give_up(state, deallocate=idle)
        if not idle:
            raise
        cursor.execute(sql, params)


def _prepared(state: _Statements, sql: str) -> str | None:
    """The name `sql` is prepared under, preparing it if it came before; None to send it as
    it is."""
    if sql in state.refused:
        return None
    if sql not in state.seen:
        state.seen[sql] = None
        if len(state.seen) > PREPARED_LIMIT * 4:
            state.seen.popitem(last=False)
        return None
    status = state.raw.info.transaction_status
    if status not in (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS):
        return None
    state.made += 1
    name = f"{state.prefix}{state.made}"
    text = f"PREPARE {name} AS {numbered(sql)}"
    with state.raw.cursor() as raw:
        try:
            if status == TRANSACTION_STATUS_IDLE:
                raw.execute(text)
            else:
                # Within a transaction a refusal would end it: the savepoint keeps it.
                raw.execute(f"SAVEPOINT kb_prepare; {text}; RELEASE SAVEPOINT kb_prepare")
        except PostgresError:
            if status != TRANSACTION_STATUS_IDLE:
                raw.execute("ROLLBACK TO SAVEPOINT kb_prepare; RELEASE SAVEPOINT kb_prepare")
            state.refused.add(sql)
            return None
        if len(state.names) >= PREPARED_LIMIT:
            _, oldest = state.names.popitem(last=False)
            raw.execute(f"DEALLOCATE {oldest}")
    del state.seen[sql]
    state.names[sql] = name
    return name


def _give_up(state: _Statements, *, deallocate: bool) -> None:
    """Forget every statement of the connection; the server's are deallocated unless its
    transaction has failed (names are never used twice, so any left there stay unused)."""
    state.names.clear()
    state.seen.clear()
    state.refused.clear()
    if deallocate:
        with state.raw.cursor() as raw:
            raw.execute("DEALLOCATE ALL")


def forget_prepared(*, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: the tables may have changed since; the statements made before are given
    up (PostgreSQL would refuse one whose columns changed)."""
    connection = connections[using]
    state = connection.__dict__.get(_STATE)
    if state is not None and connection.connection is state.raw:
        usable = state.raw.info.transaction_status != TRANSACTION_STATUS_INERROR
        _give_up(state, deallocate=usable and bool(state.names))
