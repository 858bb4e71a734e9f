"""python manage.py export_bundle [PATH]: write the knowledge base as a kb-bundle/1 document."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.bundles import bundle_export


class Command(BaseCommand):
    help = "Export the whole knowledge base as kb-bundle/1 JSON to PATH, or standard output."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the file to write; standard output if none")

    def handle(self, *args, path: str | None, **options):
        text = json.dumps(bundle_export(), ensure_ascii=False, indent=2) + "\n"
        if path is None or path == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{path}: cannot write it: {error}") from error
        self.stderr.write(f"Wrote {path}.")
