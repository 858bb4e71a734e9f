"""Rows read by their ids, with a query compiled once per database connection.

Django compiles a query to SQL on every request: for the API's claims (forty-odd columns,
three correlated subqueries, five joins) that costs about as much Python as the database
takes to run it. The query that reads a page's rows is the same on every request but for
which ids it reads. rows_by_ids compiles it once per connection, with a marker where the ids
go, and each request splices in the SQL of its ids (a small query: the filters, the ordering
and the limit), so that the rows are still read in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

# Stands where the ids go while the rows' query is compiled (a parameter no query passes).
_MARKER = "kb-ids-go-here"
_MARKER_SQL = "SELECT %s AS kb_ids"


class _CompiledRows:
    """A values() query filtered by `column IN (marker)`, compiled: its SQL and parameters on
    either side of the marker, and what turns its rows into dicts as values() would."""

    def __init__(self, queryset: QuerySet, column: str):
        queryset = queryset.filter(**{f"{column}__in": RawSQL(_MARKER_SQL, [_MARKER])})
        query = queryset.query
        if not query.values_select:
            raise TypeError("rows_by_ids reads a values() queryset")
        compiler = query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        cut = params.index(_MARKER)
        self.before, marker, self.after = sql.partition(f"IN ({_MARKER_SQL})")
        if not marker or _MARKER in params[cut + 1 :]:
            raise ValueError("the ids' marker is not in the compiled query once")
        self.params_before, self.params_after = tuple(params[:cut]), tuple(params[cut + 1 :])
        # PostgreSQL plans an array of ids taken first (an InitPlan) more quickly and more
        # predictably than a semi-join with the rows' five joins.
        postgres = compiler.connection.vendor == "postgresql"
        self.within = "= ANY(ARRAY({}))" if postgres else "IN ({})"
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )

    def rows(self, ids: QuerySet) -> list[dict]:
        try:
            ids_sql, ids_params = ids.query.get_compiler(ids.db).as_sql()
        except EmptyResultSet:
            return []
        with self.compiler.connection.cursor() as cursor:
            cursor.execute(
                self.before + self.within.format(ids_sql) + self.after,
                (*self.params_before, *ids_params, *self.params_after),
            )
            found = cursor.fetchall()
        if self.converters:
            found = self.compiler.apply_converters(found, self.converters)
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in found]


def rows_by_ids(
    key: Hashable, rows: Callable[[], QuerySet], ids: QuerySet, *, column: str = "pk"
) -> list[dict]:
    """The rows of `rows()` (a values() queryset, ordered, the same whatever the request)
    whose `column` is among the ids `ids` gives (a values() queryset of one column, filtered,
    ordered and sliced as the caller likes), in `rows()`'s order: one query. `key` names what
    `rows()` and `column` make; it is called and compiled once per database connection and
    key."""
    connection = connections[ids.db]
    compiled = connection.__dict__.setdefault("_kb_compiled_rows", {})
    found = compiled.get(key)
    if found is None:
        found = compiled[key] = _CompiledRows(rows(), column)
    return found.rows(ids)
