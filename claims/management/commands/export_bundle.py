"""python manage.py export_bundle [PATH]: write the knowledge base as a kb-bundle/1 document."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.bundles.export import bundle_export_text


class Command(BaseCommand):
    help = "Export the whole knowledge base as kb-bundle/1 JSON to PATH, or standard output."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the file to write; standard output if none")

    def handle(self, *args, path: str | None, **options):
        text = bundle_export_text()
        if path is None or path == "-":
            self.stdout.write(text.decode(), ending="")
            return
        try:
            Path(path).write_bytes(text)
        except OSError as error:
            raise CommandError(f"{path}: cannot write it: {error}") from error
        self.stderr.write(f"Wrote {path}.")
