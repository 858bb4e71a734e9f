"""Who a signed-in user is on every page: their permissions (their own and their groups') and
their roles (their groups' names, which the header shows), read together in one query instead
of Django's three (own permissions, groups' permissions, groups). The query is written once, so
no request pays for building it; it picks the permissions by id from the user's own and their
groups' (index lookups) rather than joining every permission to both and keeping those of either
(a scan of them all)."""

from __future__ import annotations

from django.contrib.auth import backends
from django.db import connection
from django.utils.functional import SimpleLazyObject

# One row per permission ("app_label.codename", NULL) and one per group (NULL, its name). A
# superuser has every permission, as Django's ModelBackend gives them.
_ACCESS_SQL = """
SELECT ct.app_label || '.' || p.codename, NULL
  FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
 WHERE %(superuser)s OR p.id IN (
       SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = %(user)s
       UNION
       SELECT gp.permission_id FROM auth_group_permissions gp
         JOIN auth_user_groups ug ON ug.group_id = gp.group_id
        WHERE ug.user_id = %(user)s)
UNION ALL
SELECT NULL, g.name
  FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
 WHERE ug.user_id = %(user)s
"""


def _access(user) -> tuple[set[str], list[str]]:
    """The user's permissions and roles (sorted), read once per request: one query, kept on
    the user object, which each request loads afresh."""
    found = getattr(user, "_kb_access", None)
    if found is None:
        permissions, roles = set(), []
        with connection.cursor() as cursor:
            cursor.execute(_ACCESS_SQL, {"superuser": user.is_superuser, "user": user.pk})
            for permission, role in cursor.fetchall():
                if role is None:
                    permissions.add(permission)
                else:
                    roles.append(role)
        found = user._kb_access = (permissions, sorted(roles))
    return found


def user_roles(user) -> list[str]:
    """The names of the signed-in user's groups, sorted; none for an anonymous visitor."""
    if user is None or not user.is_authenticated:
        return []
    return _access(user)[1]


class ModelBackend(backends.ModelBackend):
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
