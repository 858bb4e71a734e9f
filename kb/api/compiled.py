"""Rows read by their ids, with a query compiled once per database connection.

Django compiles a query to SQL on every request: for the API's claims (forty-odd columns,
three correlated subqueries, five joins) that costs about as much Python as the database
takes to run it. The query that reads a page's rows is the same on every request but for
which ids it reads. rows_by_ids compiles it once per connection, with a marker where the ids
go, and each request splices in the SQL of its ids (a small query: the filters, the ordering
and the limit), so that the rows are still read in one query.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import get_related_populators

from kb import prepared
from kb.models import MAX_ID

# The recurring ids' statements kept for each rows' query on a connection (rows_by_ids).
RECURRING_KEPT = 256

# The ids' queryset, or a function that builds it when it is needed (rows_by_ids).
Ids = QuerySet | Callable[[], QuerySet]


def dicts_of(names: Sequence[str]) -> Callable[[Iterable[tuple]], list[dict]]:
    """A function turning rows into dicts of `names`: [dict(zip(names, row)) for row in rows],
    written out (as collections.namedtuple writes its class) as a comprehension that unpacks
    each row and makes a dict of constant keys, which CPython builds at its size at once: a
    third fewer instructions than dict(zip()) for the queue's 19 columns."""
    # The names are text, which repr() writes as literals: the code is the comprehension alone.
    if not all(type(name) is str for name in names):
        raise TypeError("dicts_of: the names are text")
    columns = [f"c{index}" for index in range(len(names))]
    pairs = ", ".join(f"{name!r}: {column}" for name, column in zip(names, columns, strict=True))
    unpacked = "".join(f"{column}, " for column in columns)
    return eval(f"lambda rows: [{{{pairs}}} for ({unpacked}) in rows]", {})  # noqa: S307


def _built(ids: Ids) -> QuerySet:
    return ids() if callable(ids) else ids


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
        # As Django's ValuesIterable names them: in the order values() gave (query.selected),
        # annotations among the fields.
        if query.selected:
            self.names = list(query.selected)
        else:
            self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        self.compiler = compiler
        self.made = dicts_of(self.names)
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )
        self.written = None
        # The statements of recurring ids' queries by their keys (rows(ids_key=...)), the
        # least recently used first; None for ids that can match nothing.
        self.recurring: OrderedDict[Hashable, str | None] = OrderedDict()

    def _written(self, cursor) -> tuple[str, str]:
        """The SQL before and after the ids, its constants written in (a prepared statement's
        plan for any values then knows them)."""
        if self.written is None:
            self.written = (
                prepared.with_values_written(cursor, self.before, self.params_before),
                prepared.with_values_written(cursor, self.after, self.params_after),
            )
        return self.written

    def _by_array(self, cursor) -> str:
        """The rows' query taking its ids as one array, its constants written in."""
        before, after = self._written(cursor)
        return before + "= ANY(%s)" + after

    def _recurring(self, cursor, ids: Ids, ids_key: Hashable | None) -> str | None:
        """The one statement reading the rows of `ids`, the ids' query inside with its values
        written in (None when they can match nothing); kept under `ids_key` when given, and
        then `ids` not even built again."""
        if ids_key is not None and ids_key in self.recurring:
            self.recurring.move_to_end(ids_key)
            return self.recurring[ids_key]
        ids = _built(ids)
        try:
            ids_sql, ids_params = ids.query.get_compiler(ids.db).as_sql()
        except EmptyResultSet:
            statement = None
        else:
            before, after = self._written(cursor)
            ids_sql = prepared.with_values_written(cursor, ids_sql, ids_params)
            statement = before + self.within.format(ids_sql) + after
        if ids_key is not None:
            self.recurring[ids_key] = statement
            if len(self.recurring) > RECURRING_KEPT:
                self.recurring.popitem(last=False)
        return statement

    def rows(
        self,
        ids: Ids,
        *,
        alike: bool = False,
        recurring: bool = False,
        ids_key: Hashable | None = None,
    ) -> list[dict]:
        connection = self.compiler.connection
        prepare = prepared.in_use(connection)
        if prepare and recurring:
            # The ids' query with its values written in goes inside the one statement: a
            # statement for each choice of them, planned for it.
            with connection.cursor() as cursor:
                statement = self._recurring(cursor, ids, ids_key)
                if statement is None:
                    return []
                prepared.execute(cursor, statement)
                return self._dicts(cursor.fetchall())
        ids = _built(ids)
        try:
            ids_sql, ids_params = ids.query.get_compiler(ids.db).as_sql()
        except EmptyResultSet:
            return []
        with connection.cursor() as cursor:
            if prepare and alike:
                # The ids' query takes only ids, which one plan serves alike: it goes inside
                # the one statement.
                before, after = self._written(cursor)
                prepared.execute(cursor, before + self.within.format(ids_sql) + after, ids_params)
            elif prepare:
                # The ids first, planned for the request's values (a rare status or a date
                # range far from most rows asks for another plan than the common ones); then
                # the rows of those ids, one statement prepared on the connection, whose plan
                # (primary keys) is the same for any ids.
                cursor.execute(ids_sql, ids_params)
                wanted = [row[0] for row in cursor.fetchall()]
                if not wanted:
                    return []
                prepared.execute(cursor, self._by_array(cursor), [wanted])
            else:
                cursor.execute(
                    self.before + self.within.format(ids_sql) + self.after,
                    (*self.params_before, *ids_params, *self.params_after),
                )
            found = cursor.fetchall()
        return self._dicts(found)

    def _dicts(self, found: list[tuple]) -> list[dict]:
        """Rows as values() gives them."""
        if self.converters:
            found = self.compiler.apply_converters(found, self.converters)
        return self.made(found)


def rows_by_ids(
    key: Hashable,
    rows: Callable[[], QuerySet],
    ids: Ids,
    *,
    column: str = "pk",
    alike: bool = False,
    recurring: bool = False,
    ids_key: Hashable | None = None,
    using: str | None = None,
) -> list[dict]:
    """The rows of `rows()` (a values() queryset, ordered, the same whatever the request)
    whose `column` is among the ids `ids` gives (a values() queryset of one column, filtered,
    ordered and sliced as the caller likes), in `rows()`'s order: one query. `key` names what
    `rows()` and `column` make; it is called and compiled once per database connection and
    key.

    Where statements are prepared (kb.prepared), two: the ids, with a query planned for the
    request's values (a rare status or a far date asks for another plan than the common
    ones), then the rows of those ids, one statement. With `alike` (the ids' query takes only
    ids, such as a subject's, which one plan serves alike), the ids' query goes inside that
    statement: one query again. With `recurring` (the same values come again and again: a
    list's first page under each choice of its filters), it goes inside with its values
    written in: one query, a statement for each choice, planned for its values once the
    same text comes twice (kb.prepared). `ids_key`, with `recurring`, names the ids' query and
    its values exactly (the filters chosen, say): that statement is then written once per
    connection and key, and `ids` not compiled again; nor built, when `ids` is a function
    that builds the queryset (the database is then `using`'s)."""
    if using is None:
        if callable(ids):
            raise TypeError("rows_by_ids: name the database (`using`) of ids not yet built")
        using = ids.db
    connection = connections[using]
    compiled = connection.__dict__.setdefault("_kb_compiled_rows", {})
    found = compiled.get(key)
    if found is None:
        found = compiled[key] = _CompiledRows(rows(), column)
    return found.rows(ids, alike=alike, recurring=recurring, ids_key=ids_key)


def rows_among(queryset: QuerySet, column: str, values: list, *, batch: int) -> list[dict]:
    """The rows of `queryset` (a values() queryset) whose `column` is among `values`, as
    values() gives them, `batch` values a query: compiled once, the values passed as one
    array (PostgreSQL only). values() took twice as long for a bundle's 100,000 stored
    claims: a query compiled for each batch with a parameter per value, and its rows built
    by its iterator's layers, a hundred at a time."""
    compiled = _CompiledRows(queryset, column)
    if compiled.compiler.connection.vendor != "postgresql":
        raise TypeError("rows_among passes its values as a PostgreSQL array")
    found = []
    with compiled.compiler.connection.cursor() as cursor:
        sql = compiled._by_array(cursor)
        for start in range(0, len(values), batch):
            cursor.execute(sql, [values[start : start + batch]])
            found += compiled._dicts(cursor.fetchall())
    return found


# Model instances, with their select_related() objects, for one value a request gives.

# Stands where a request's value goes while an instances query is compiled.
_VALUE_MARKER = "kb-value-goes-here"


def value_marker() -> RawSQL:
    """Where the request's value goes in an instances() queryset: `filter(pk=value_marker())`."""
    return RawSQL("%s", [_VALUE_MARKER])


class _CompiledInstances:
    """A queryset of model instances with one value_marker(), compiled: its SQL, its
    parameters, and what turns its rows into instances as Django's ModelIterable does (the
    model's columns, then each select_related() object's, then the annotations)."""

    def __init__(self, queryset: QuerySet, *, valued: bool = True):
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("instances() reads a plain queryset: no prefetch_related()")
        compiler = queryset.query.get_compiler(queryset.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        if self.params.count(_VALUE_MARKER) != int(valued):
            raise ValueError(
                "the value's marker is not in the compiled query once"
                if valued
                else "a query without a value has no value's marker"
            )
        self.at = self.params.index(_VALUE_MARKER) if valued else None
        select, klass_info = compiler.select, compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.related = get_related_populators(klass_info, select, queryset.db)
        self.annotations = compiler.annotation_col_map
        self.converters = compiler.get_converters([column[0] for column in select])
        self.compiler, self.db = compiler, queryset.db
        self.statement = None

    def _statement(self, cursor) -> str:
        if self.statement is None:
            if self.at is None:
                self.statement = prepared.with_values_written(cursor, self.sql, self.params)
            else:
                before, after = prepared.split_at_value(self.sql, self.at)
                self.statement = (
                    prepared.with_values_written(cursor, before, self.params[: self.at])
                    + "%s"
                    + prepared.with_values_written(cursor, after, self.params[self.at + 1 :])
                )
        return self.statement

    def instances(self, value) -> list:
        connection = self.compiler.connection
        with connection.cursor() as cursor:
            if prepared.in_use(connection):
                # One statement prepared on the connection, its constants written in: the
                # value (an id) is its one parameter.
                prepared.execute(
                    cursor, self._statement(cursor), [] if self.at is None else [value]
                )
            else:
                params = list(self.params)
                if self.at is not None:
                    params[self.at] = value
                cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        found = []
        for row in rows:
            obj = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
            for populator in self.related:
                populator.populate(row, obj)
            for name, at in (self.annotations or {}).items():
                setattr(obj, name, row[at])
            found.append(obj)
        return found


def instances(key: Hashable, queryset: Callable[[], QuerySet], value) -> list:
    """The model instances of `queryset()` (the same whatever the request, with one
    value_marker() where `value` goes; select_related() and annotations, no prefetch) for
    `value`, with their select_related() objects: one query, compiled once per database
    connection and key (the project's one database). Django compiles a query of four joined
    models afresh at each request: a fifth of the side-by-side page."""
    return _compiled_instances(key, queryset, valued=True).instances(value)


def listed_instances(key: Hashable, queryset: Callable[[], QuerySet]) -> list:
    """The model instances of `queryset()`, a query that takes nothing from the request (a
    select's choices), as instances() reads them: one query, compiled once per connection."""
    return _compiled_instances(key, queryset, valued=False).instances(None)


def _compiled_instances(key, queryset, *, valued: bool) -> _CompiledInstances:
    connection = connections[DEFAULT_DB_ALIAS]
    compiled = connection.__dict__.setdefault("_kb_compiled_instances", {})
    found = compiled.get(key)
    if found is None:
        made = queryset()
        if made.db != connection.alias:
            raise ValueError(f"instances() reads the {connection.alias} database, not {made.db}")
        found = compiled[key] = _CompiledInstances(made, valued=valued)
    return found


def instance_by_id(key: Hashable, queryset: Callable[[], QuerySet], pk: int):
    """The one instance of `queryset()` (filtered by `pk=value_marker()`) with that id, or None;
    an id past 64 bits names none (kb.models.MAX_ID). As instances()."""
    found = instances_by_id(key, queryset, pk)
    return found[0] if found else None


def instances_by_id(key: Hashable, queryset: Callable[[], QuerySet], pk: int) -> list:
    """The instances of `queryset()` (filtered by `pk=value_marker()`, perhaps joined to rows
    of another table: one instance a row) for that id; none for an id past 64 bits
    (kb.models.MAX_ID). As instances()."""
    if not 1 <= pk <= MAX_ID:
        return []
    return instances(key, queryset, pk)
