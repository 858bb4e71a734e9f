"""python manage.py import_bundle PATH [--dry-run]: load a kb-bundle/1 document, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims.bundles import BundleInvalid, bundle_import, bundle_parse

# More than this many claims and a terminal: show a progress bar.
PROGRESS_FROM = 2000


class Command(BaseCommand):
    help = "Import a kb-bundle/1 JSON document (PATH, or - for standard input), all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the bundle file, or - to read standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count everything, write nothing"
        )

    def handle(self, *args, path: str, dry_run: bool, **options):
        if path == "-":
            text = sys.stdin.read()
        else:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except FileNotFoundError as error:
                raise CommandError(f"{path}: no such file") from error
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"{path}: cannot read it: {error}") from error

        def progress(iterable, total, desc):
            if total < PROGRESS_FROM or not sys.stderr.isatty():
                return iterable
            return tqdm(iterable, total=total, desc=desc, unit=" rows", file=sys.stderr)

        try:
            report = bundle_import(bundle=bundle_parse(text), dry_run=dry_run, progress=progress)
        except BundleInvalid as error:
            for problem in error.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                f"{len(error.problems)} error(s); nothing was imported."
                + ("" if len(error.problems) < 50 else " Fix the first ones and try again.")
            ) from error
        self.stdout.write(report.summary())
