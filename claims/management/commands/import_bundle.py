"""python manage.py import_bundle PATH [--dry-run] [--if-empty]: load a kb-bundle/1 document."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError
from tqdm import tqdm

from claims.bundles import (
    ALREADY_HOLDS_DATA,
    IMPORT_BUSY,
    IMPORT_WAITING,
    BundleInvalid,
    ImportBusy,
    NoProgress,
    bundle_import,
    bundle_parse,
    knowledge_base_is_empty,
)
from claims.bundles.streaming import bundle_file_import

DATABASE_BUSY = (
    "The database is busy writing something else (another import?); try again when it ends."
)

# A step with at least this many rows shows a progress bar on a terminal.
PROGRESS_FROM = 2000


class TerminalProgress(NoProgress):
    """A tqdm bar on standard error for each large step of the import."""

    bar = None

    def start(self, total: int | None, desc: str) -> None:
        self.close()
        if total is None or total >= PROGRESS_FROM:
            self.bar = tqdm(total=total, desc=desc, unit=" rows", file=sys.stderr)

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = "Import a kb-bundle/1 JSON document (PATH, or - for standard input), all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the bundle file, or - to read standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count everything, write nothing"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="import only into a database without sources, entities, attributes or claims "
            "(make run loads the demo so, keeping what an earlier run holds)",
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="when another import is running, stop at once instead of waiting for it to end",
        )

    def handle(self, *args, path: str, dry_run: bool, if_empty: bool, no_wait: bool, **options):
        if if_empty and not knowledge_base_is_empty():
            self.stdout.write(ALREADY_HOLDS_DATA.format(what=path))
            return
        options = {
            "dry_run": dry_run,
            "progress": TerminalProgress() if sys.stderr.isatty() else None,
            "wait": not no_wait,
            "waiting": lambda: self.stderr.write(IMPORT_WAITING),
        }
        try:
            if path == "-":
                report = bundle_import(bundle=bundle_parse(sys.stdin.read()), **options)
            else:
                # A file is read as it streams, so that a large one is never held whole.
                report = self._file_import(path, options)
        except ImportBusy as error:
            raise CommandError(IMPORT_BUSY) from error
        except OperationalError as error:
            # SQLite writes one transaction at a time and gives up after its timeout.
            if "locked" not in str(error):
                raise
            raise CommandError(DATABASE_BUSY) from error
        except BundleInvalid as error:
            for problem in error.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                f"{len(error.problems)} error(s); nothing was imported."
                + ("" if len(error.problems) < 50 else " Fix the first ones and try again.")
            ) from error
        self.stdout.write(report.summary())
        for notice in report.kept:
            self.stdout.write(f"{path}: {notice}")

    def _file_import(self, path: str, options: dict):
        try:
            with open(path, "rb"):
                pass
        except FileNotFoundError as error:
            raise CommandError(f"{path}: no such file") from error
        except OSError as error:
            raise CommandError(f"{path}: cannot read it: {error}") from error
        try:
            return bundle_file_import(path, **options)
        except UnicodeDecodeError as error:
            raise CommandError(f"{path}: cannot read it: {error}") from error
