"""Who a signed-in user is on every page: the account, its permissions (its own and its groups')
and its roles (its groups' names, which the header shows), read together in one query instead
of Django's four (account, own permissions, groups' permissions, groups). The query is written
once per connection, so no request pays for building it, and it reads the permissions' ids:
their names ("app_label.codename"), which change only when migrate makes permissions, are read
once per connection. A signed-in page of nothing but the site's frame took 2.3 ms with the
names joined in each time and 1.9 ms so (medians of five alternating runs). On PostgreSQL,
once migration kb.0007 is there, a connection keeps each account's roles and permissions with
the version of everyone's they were read at, and the query reads them again only when that
version has moved (_ACCESS_KEPT_SQL): any change to them moves it, in the same transaction."""

from __future__ import annotations

import re
from contextvars import ContextVar

from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.functional import SimpleLazyObject

from kb import prepared
from kb.dbfunctions import have_functions
from kb.memo import keep_bounded

# The account's row ('user'), one row per group ('role', its name) and one per permission the
# account holds, its own or its groups' ('permission', its id; the same id may come twice).
# {user} is the account's columns, {nulls} as many NULLs. A permission is named through
# _permission_names: joining the permissions' names and content types made this query plan
# and run in twice the time.
_ACCESS_SQL = """
SELECT 'user', {user}, CAST(NULL AS INTEGER), CAST(NULL AS TEXT)
  FROM auth_user WHERE auth_user.id = %(user)s
UNION ALL
SELECT 'role', {nulls}, NULL, g.name
  FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
 WHERE ug.user_id = %(user)s
UNION ALL
SELECT 'permission', {nulls}, up.permission_id, NULL
  FROM auth_user_user_permissions up WHERE up.user_id = %(user)s
UNION ALL
SELECT 'permission', {nulls}, gp.permission_id, NULL
  FROM auth_group_permissions gp JOIN auth_user_groups ug ON ug.group_id = gp.group_id
 WHERE ug.user_id = %(user)s
"""
# The same with the roles and permissions from migration kb.0006's function, whose plan
# PostgreSQL keeps for the connection (it planned the four parts afresh at each request): one
# row per role, and the permissions' ids in one row ('permissions', their ids joined by commas
# in the text column), where the plain query gives a row per permission.
_ACCESS_FUNCTION = "kb_account_grants"
_ACCESS_BY_FUNCTION_SQL = """
SELECT 'user', {user}, CAST(NULL AS INTEGER), CAST(NULL AS TEXT)
  FROM auth_user WHERE auth_user.id = %(user)s
UNION ALL
SELECT access.kind, {nulls}, access.permission, access.name
  FROM kb_account_grants(%(user)s) access
"""
# The same, when migration kb.0007's version of everyone's roles and permissions is there: the
# version ('version', in the text column) with the account, and the function's rows only
# when the version this connection holds the account's roles and permissions at (`known`) is
# not the one in the table. PostgreSQL skips the function then (a condition on the parameter
# alone); the version and the function read the same snapshot, the statement's.
_VERSION_FUNCTION = "kb_grants_changed"
_ACCESS_KEPT_SQL = """
SELECT 'user', {user}, CAST(NULL AS INTEGER), CAST(NULL AS TEXT)
  FROM auth_user WHERE auth_user.id = %(user)s
UNION ALL
SELECT 'version', {nulls}, NULL, CAST(v.version AS text) FROM kb_grants_version v
UNION ALL
SELECT access.kind, {nulls}, access.permission, access.name
  FROM kb_account_grants(%(user)s) access
 WHERE CAST(%(known)s AS text) IS DISTINCT FROM (SELECT CAST(version AS text) FROM kb_grants_version)
"""
# A named parameter of the queries above.
_PARAMETER = re.compile(r"%\((\w+)\)s")
# The accounts whose roles and permissions a connection keeps (_AccessQuery.kept).
GRANTS_KEPT = 10_000
_PERMISSION_NAMES_SQL = """
SELECT p.id, ct.app_label || '.' || p.codename
  FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
"""


def _permission_names(db, *, ids=(), fresh: bool = False) -> dict[int, str]:
    """{permission id: "app_label.codename"} for every permission, read once per connection and
    again when one of `ids` is not among them (a permission made since), when `fresh`, or after
    migrate (which makes and renumbers permissions: forget_permission_names)."""
    names = db.__dict__.get("_kb_permission_names")
    if names is None or fresh or not names.keys() >= set(ids):
        with db.cursor() as cursor:
            cursor.execute(_PERMISSION_NAMES_SQL)
            names = db.__dict__["_kb_permission_names"] = dict(cursor.fetchall())
    return names


def forget_permission_names(*, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: the permissions may have been made again (kb.apps), and the access query
    may now have its function (kb.0006) or have lost it."""
    connections[using].__dict__.pop("_kb_permission_names", None)
    connections[using].__dict__.pop("_kb_access_query", None)


class _AccessQuery:
    """_ACCESS_SQL for one database connection, with what turns the account's columns into an
    account as the ORM would (the ORM's own compiler gives its columns and their converters)."""

    def __init__(self, db):
        model = get_user_model()
        compiler = model._default_manager.filter(pk=0).query.get_compiler(connection=db)
        compiler.setup_query()
        columns = [column for column, _, _ in compiler.select]
        self.names = [column.target.attname for column in columns]
        self.converters = compiler.get_converters(columns)
        self.compiler, self.model, self.db = compiler, model, db
        user = ", ".join(compiler.compile(column)[0] for column in columns)
        nulls = ", ".join(["NULL"] * len(columns))
        if have_functions([_ACCESS_FUNCTION, _VERSION_FUNCTION]):
            written = _ACCESS_KEPT_SQL
        elif have_functions([_ACCESS_FUNCTION]):
            written = _ACCESS_BY_FUNCTION_SQL
        else:
            written = _ACCESS_SQL
        written = written.format(user=user, nulls=nulls)
        # The parameters in their order; prepared on the connection (kb.prepared): any
        # account's id is served by one plan.
        self.parameters = _PARAMETER.findall(written)
        self.sql = _PARAMETER.sub("%s", written)
        # {account id: (the version, its permissions' names, its roles)} as this connection
        # last read them (_ACCESS_KEPT_SQL); beyond GRANTS_KEPT the oldest are forgotten.
        self.kept: dict[object, tuple[str, frozenset[str], tuple[str, ...]]] = {}

    def _params(self, user_id) -> list:
        """The statement's parameters for the account of `user_id`."""
        kept = self.kept.get(user_id)
        given = {"user": user_id, "known": None if kept is None else kept[0]}
        return [given[name] for name in self.parameters]

    def read(self, user_id):
        """The account of that id (None if there is none), its permissions and its roles
        (sorted). A superuser has every permission, as Django's ModelBackend gives them."""
        with self.db.cursor() as cursor:
            prepared.execute(cursor, self.sql, self._params(user_id))
            return self._parsed(cursor.fetchall(), user_id)

    def read_after(self, first_sql: str, first_params, user_id):
        """The rows of `first_sql` (a query of one text column named `value`) and the account
        of `user_id` as read() gives it, in one statement: (their values, the account)."""
        nulls = ", ".join(["NULL"] * len(self.names))
        sql = (
            f"SELECT 'first', {nulls}, CAST(NULL AS INTEGER), kb_first.value "
            f"FROM ({first_sql}) kb_first UNION ALL {self.sql}"
        )
        with self.db.cursor() as cursor:
            prepared.execute(cursor, sql, [*first_params, *self._params(user_id)])
            found = cursor.fetchall()
        first = [row[-1] for row in found if row[0] == "first"]
        return first, self._parsed([row for row in found if row[0] != "first"], user_id)

    def _parsed(self, found, user_id):
        account, held, roles, version = None, set(), [], None
        width = len(self.names)
        for row in found:
            kind = row[0]
            if kind == "permission":
                held.add(row[-2])
            elif kind == "permissions":
                held.update(map(int, row[-1].split(",")))
            elif kind == "role":
                roles.append(row[-1])
            elif kind == "version":
                version = row[-1]
            else:
                values = row[1 : width + 1]
                if self.converters:
                    values = next(self.compiler.apply_converters([values], self.converters))
                account = self.model.from_db(self.db.alias, self.names, values)
        kept = self.kept.get(user_id)
        if version is not None and kept is not None and kept[0] == version:
            # The version this connection held them at: the function did not run.
            permissions, roles = set(kept[1]), list(kept[2])
        else:
            names = _permission_names(self.db, ids=held)
            permissions = {names[permission] for permission in held}
            roles.sort()
            if version is not None and account is not None:
                kept = (version, frozenset(permissions), tuple(roles))
                keep_bounded(self.kept, user_id, kept, GRANTS_KEPT)
        if account is not None and account.is_superuser:
            permissions = set(_permission_names(self.db, fresh=True).values())
        return account, permissions, roles


def _query(db) -> _AccessQuery:
    """The access query of `db`, the connection itself (this thread's), not
    django.db.connection, a proxy every thread shares."""
    query = db.__dict__.get("_kb_access_query")
    if query is None:
        query = db.__dict__["_kb_access_query"] = _AccessQuery(db)
    return query


def _read(user_id):
    return _query(connections[DEFAULT_DB_ALIAS]).read(user_id)


# The account read with this request's session (read_with_session), for its get_user: (the
# account's id, what _AccessQuery.read gives).
_READ_AHEAD: ContextVar[tuple | None] = ContextVar("kb_account_read_ahead", default=None)


def read_with_session(db, session_sql: str, session_params, user_id) -> list[str]:
    """The session's data (the values `session_sql` selects, under the name `value`: none if
    the session has gone or expired) and, in the same statement, the account of `user_id`, the
    one the session was last seen signed in as. That account is kept for this request's
    get_user (ModelBackend), which takes it only if the session still names it (a session's
    account never changes: signing in gives the session a new key). One statement a
    signed-in request instead of two. `db` is the accounts' database (DEFAULT_DB_ALIAS)."""
    found, access = _query(db).read_after(session_sql, session_params, user_id)
    _READ_AHEAD.set((user_id, access))
    return found


def forget_read_ahead(**kwargs) -> None:
    """request_started and request_finished: an account read for one request is never taken
    for another's."""
    _READ_AHEAD.set(None)


def _access(user) -> tuple[set[str], list[str]]:
    """The user's permissions and roles (sorted), read once per request: one query, kept on
    the user object, which each request loads afresh (with them: ModelBackend.get_user)."""
    found = getattr(user, "_kb_access", None)
    if found is None:
        _, permissions, roles = _read(user.pk)
        found = user._kb_access = (permissions, roles)
    return found


def user_roles(user) -> list[str]:
    """The names of the signed-in user's groups, sorted; none for an anonymous visitor."""
    if user is None or not user.is_authenticated:
        return []
    return _access(user)[1]


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        """The signed-in account with its permissions and roles, in one query (or none: read
        with the session, read_with_session): Django's reads the account, then its
        permissions when the page first asks."""
        try:
            user_id = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        ahead = _READ_AHEAD.get()
        if ahead is not None and ahead[0] == user_id:
            # Read with the session, in this request (read_with_session); taken once.
            _READ_AHEAD.set(None)
            user, permissions, roles = ahead[1]
        else:
            user, permissions, roles = _read(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        user._kb_access = (permissions, roles)
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _access(user_obj)[0]
        return user_obj._perm_cache


def roles(request) -> dict:
    """Template context: `roles`, the signed-in user's groups, read only if a page shows them
    (with their permissions, in the same query)."""
    return {"roles": SimpleLazyObject(lambda: user_roles(getattr(request, "user", None)))}
