"""The admin's history views, guarded like every other write: the base of every admin class.

django-simple-history adds a history list and, for each past version, a form whose "Revert"
button saves that version again. Out of the box that form checks only the *view* permission
and saves the historic row whole, around the services. Here:

- a revert needs the change permission on the record, like the change form;
- it is an ordinary change: posted to the change view's code path, so the same form, the same
  read-only fields (an analyst cannot revert a rank, which only editors set) and the same
  service (`save_model`) apply, and the change is recorded with who and when;
- records that change only through their own services (contradictions: decisions and
  detection; entity merges: merge and undo) set ``history_revert = False`` and are never
  reverted this way;
- a change form posted back unchanged writes nothing (no empty history row).
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

# Set on the request while a revert runs through the change view (it has no inline forms).
_REVERTING = "_kb_history_revert"


class GuardedHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose revert is a permission-checked change through the services."""

    #: False for records that only their own services may change.
    history_revert = True

    def revert_disabled(self, request, obj=None) -> bool:
        return not self.history_revert or not self.has_change_permission(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        # On the history model `pk` is the version's own id; the record's is its original name.
        record = {self.model._meta.pk.attname: obj.pk} if obj is not None else {}
        if obj is None or not history.filter(**record, history_id=version_id).exists():
            raise Http404("No such version of this record.")
        if self.revert_disabled(request, obj):
            raise PermissionDenied
        setattr(request, _REVERTING, True)
        return self.changeform_view(request, object_id, extra_context=extra_context)

    def get_inline_instances(self, request, obj=None):
        # The revert form shows the record's own fields only; its inlines stay as they are.
        if getattr(request, _REVERTING, False):
            return []
        return super().get_inline_instances(request, obj)

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        self.service_save(request, obj, form, change)

    def service_save(self, request, obj, form, change) -> None:
        """Write the record through its service; subclasses name theirs."""
        obj._history_user = request.user
        obj.full_clean()
        obj.save()
