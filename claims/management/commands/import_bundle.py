"""python manage.py import_bundle PATH [--dry-run] [--if-empty]: load a kb-bundle/1 document."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims.bundles import (
    ALREADY_HOLDS_DATA,
    BundleInvalid,
    NoProgress,
    bundle_import,
    bundle_parse,
    knowledge_base_is_empty,
)

# A step with at least this many rows shows a progress bar on a terminal.
PROGRESS_FROM = 2000


class TerminalProgress(NoProgress):
    """A tqdm bar on standard error for each large step of the import."""

    bar = None

    def start(self, total: int, desc: str) -> None:
        self.close()
        if total >= PROGRESS_FROM:
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

    def handle(self, *args, path: str, dry_run: bool, if_empty: bool, **options):
        if if_empty and not knowledge_base_is_empty():
            self.stdout.write(ALREADY_HOLDS_DATA.format(what=path))
            return
        if path == "-":
            text = sys.stdin.read()
        else:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except FileNotFoundError as error:
                raise CommandError(f"{path}: no such file") from error
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"{path}: cannot read it: {error}") from error

        try:
            report = bundle_import(
                bundle=bundle_parse(text),
                dry_run=dry_run,
                progress=TerminalProgress() if sys.stderr.isatty() else None,
            )
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
