"""python manage.py recheck_contradictions: rebuild every contradiction from the claims."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from claims.detection import recheck_all
from claims.management.commands.import_bundle import TerminalProgress


class Command(BaseCommand):
    help = (
        "Rebuild every contradiction from scratch by the rules of SPEC section 3; decisions "
        "stay with the contradictions they were made on."
    )

    def handle(self, *args, **options):
        report = recheck_all(progress=TerminalProgress() if sys.stderr.isatty() else None)
        self.stdout.write(
            f"{report.groups} subject/attribute groups rechecked: {report.created} contradictions "
            f"detected, {report.updated} updated, {report.withdrawn} withdrawn, "
            f"{report.reopened} reopened."
        )
