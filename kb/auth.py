"""Who a signed-in user is on every page: the account, its permissions (its own and its groups')
and its roles (its groups' names, which the header shows), read together in one query instead
of Django's four (account, own permissions, groups' permissions, groups). The query is written
once per connection, so no request pays for building it; it picks the permissions by id from
the user's own and their groups' (index lookups) rather than joining every permission to both
and keeping those of either (a scan of them all)."""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.functional import SimpleLazyObject

# The account's row ('user'), one row per permission ('permission', "app_label.codename") and
# one per group ('role', its name). A superuser has every permission, as Django's ModelBackend
# gives them. {user} is the account's columns, {nulls} as many NULLs.
_ACCESS_SQL = """
SELECT 'user', {user}, NULL FROM auth_user WHERE auth_user.id = %(user)s
UNION ALL
SELECT 'permission', {nulls}, ct.app_label || '.' || p.codename
  FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
 WHERE EXISTS (SELECT 1 FROM auth_user s WHERE s.id = %(user)s AND s.is_superuser)
    OR p.id IN (
       SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = %(user)s
       UNION
       SELECT gp.permission_id FROM auth_group_permissions gp
         JOIN auth_user_groups ug ON ug.group_id = gp.group_id
        WHERE ug.user_id = %(user)s)
UNION ALL
SELECT 'role', {nulls}, g.name
  FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
 WHERE ug.user_id = %(user)s
"""


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
        self.compiler, self.model, self.alias = compiler, model, db.alias
        user = ", ".join(compiler.compile(column)[0] for column in columns)
        nulls = ", ".join(["NULL"] * len(columns))
        self.sql = _ACCESS_SQL.format(user=user, nulls=nulls)

    def read(self, user_id):
        """The account of that id (None if there is none), its permissions and its roles
        (sorted)."""
        with self.compiler.connection.cursor() as cursor:
            cursor.execute(self.sql, {"user": user_id})
            found = cursor.fetchall()
        account, permissions, roles = None, set(), []
        width = len(self.names)
        for row in found:
            kind = row[0]
            if kind == "permission":
                permissions.add(row[-1])
            elif kind == "role":
                roles.append(row[-1])
            else:
                values = row[1 : width + 1]
                if self.converters:
                    values = next(self.compiler.apply_converters([values], self.converters))
                account = self.model.from_db(self.alias, self.names, values)
        return account, permissions, sorted(roles)


def _read(user_id):
    query = connection.__dict__.get("_kb_access_query")
    if query is None:
        query = connection.__dict__["_kb_access_query"] = _AccessQuery(connection)
    return query.read(user_id)


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
        """The signed-in account with its permissions and roles, in one query: Django's reads
        the account, then its permissions when the page first asks."""
        try:
            user_id = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:
            return None
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
