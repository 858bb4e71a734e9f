"""How many queries read a page's rows by their ids (kb.api.compiled.rows_by_ids), for the
tests that count a request's queries."""

from __future__ import annotations

from django.db import connection
from django.db.models.sql.compiler import SQLCompiler

from kb import prepared


def rows_by_ids() -> int:
    """One where the ids' query is spliced into the rows' (SQLite, or prepared statements
    off); two where the rows' query is a prepared statement: the ids, planned for the request's
    values, then the rows of those ids."""
    return 2 if prepared.in_use(connection) else 1


def recurring_rows_by_ids() -> int:
    """One: the ids' query, its values written in, inside the rows' (a list's first page)."""
    return 1


def compiled_sql(monkeypatch) -> list[str]:
    """The SQL of every query Django compiles from now on in the test, in order."""
    compiled: list[str] = []
    compile_ = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        sql, params = compile_(self, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return compiled
