from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Entities"

    def ready(self):
        from django.core.signals import request_finished, request_started

        from kb.auth import forget_permission_names, forget_read_ahead
        from kb.dbfunctions import forget_functions
        from kb.prepared import forget_prepared

        # migrate (and flush) make the permissions again, perhaps under other ids.
        post_migrate.connect(forget_permission_names, dispatch_uid="kb.forget_permission_names")
        # migrate may have made (or dropped) the functions of kb.0004 and kb.0006.
        post_migrate.connect(forget_functions, dispatch_uid="kb.forget_functions")
        # migrate may have changed the tables that the prepared statements read.
        post_migrate.connect(forget_prepared, dispatch_uid="kb.forget_prepared")
        # An account read with a request's session is for that request alone.
        request_started.connect(forget_read_ahead, dispatch_uid="kb.forget_read_ahead_started")
        request_finished.connect(forget_read_ahead, dispatch_uid="kb.forget_read_ahead_finished")
