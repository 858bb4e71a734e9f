from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Entities"

    def ready(self):
        from kb.auth import forget_permission_names
        from kb.dbfunctions import forget_functions
        from kb.prepared import forget_prepared

        # migrate (and flush) make the permissions again, perhaps under other ids.
        post_migrate.connect(forget_permission_names, dispatch_uid="kb.forget_permission_names")
        # migrate may have made (or dropped) the functions of kb.0004 and kb.0005.
        post_migrate.connect(forget_functions, dispatch_uid="kb.forget_functions")
        # migrate may have changed the tables that the prepared statements read.
        post_migrate.connect(forget_prepared, dispatch_uid="kb.forget_prepared")
