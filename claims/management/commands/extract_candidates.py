"""python manage.py extract_candidates FILE: print the candidate claims in a text as JSON lines;
python manage.py extract_candidates --store [--source KEY ...]: store the candidates of the
sources' texts, as ingest and every change of a text do."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.extraction import KINDS, extract_candidates
from claims.selectors.candidates import entity_names, sources_with_text
from claims.services import candidates_extract

NO_SUCH_FILE = "{path}: no such file"
CANNOT_READ = "{path}: cannot read it: {error}"
NOT_UTF8 = (
    "{path}: not UTF-8 text (undecodable byte at offset {position}); convert it to UTF-8 first"
)
UNKNOWN_KIND = 'unknown kind "{kind}" in --kinds; choose from ' + ", ".join(KINDS)
FILE_OR_STORE = "Give a FILE to print its candidates, or --store to store those of the sources."
NOT_BOTH = "Give a FILE or --store, not both."
UNKNOWN_SOURCES = "no source with a stored text has the key {keys}"


def _kinds(option: str | None) -> tuple[str, ...]:
    if option is None:
        return KINDS
    kinds = tuple(kind.strip() for kind in option.split(",") if kind.strip())
    for kind in kinds:
        if kind not in KINDS:
            raise CommandError(UNKNOWN_KIND.format(kind=kind))
    return kinds or KINDS


def _read(path: str) -> str:
    try:
        if path == "-":
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        else:
            data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(NO_SUCH_FILE.format(path=path)) from None
    except OSError as error:
        raise CommandError(CANNOT_READ.format(path=path, error=error.strerror or error)) from None
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(NOT_UTF8.format(path=path, position=error.start)) from None


class Command(BaseCommand):
    help = (
        "Print the money amounts, counts, dates and mentions of known entities in a UTF-8 text "
        "file, one JSON object per line: kind, text, start, end, value, sentence, "
        "sentence_start, entity_key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", help='the text file to read (UTF-8); "-" for standard input'
        )
        parser.add_argument(
            "--kinds",
            help=f"comma-separated kinds to print, from {', '.join(KINDS)}; all when omitted",
        )
        parser.add_argument(
            "--store",
            action="store_true",
            help="instead of reading a file, find and store the candidates of every source's "
            "text (after an upgrade, or to suggest subjects among entities added since)",
        )
        parser.add_argument(
            "--source",
            action="append",
            default=[],
            metavar="KEY",
            help="with --store: only the source with this key (repeatable)",
        )

    def handle(self, *args, file, kinds, store: bool, source: list[str], **options):
        if store and file:
            raise CommandError(NOT_BOTH)
        if store:
            self._store(source)
            return
        if not file:
            raise CommandError(FILE_OR_STORE)
        wanted = _kinds(kinds)
        text = _read(file)
        # Entities are loaded even when not printed: a number inside a name is no candidate.
        entities = [(key, names) for _, key, names in entity_names()]
        for candidate in extract_candidates(text, entities=entities):
            if candidate.kind in wanted:
                self.stdout.write(json.dumps(candidate.to_dict(), ensure_ascii=False))

    def _store(self, keys: list[str]) -> None:
        sources = sources_with_text(keys=keys or None)
        missing = sorted(set(keys) - set(sources.values_list("key", flat=True)))
        if missing:
            raise CommandError(UNKNOWN_SOURCES.format(keys=", ".join(missing)))
        entities = entity_names()
        done = total = 0
        for found in sources.iterator(chunk_size=20):
            count = candidates_extract(source=found, entities=entities)
            done, total = done + 1, total + count
            self.stdout.write(f"{found.key}: {count} candidates")
        self.stdout.write(f"{done} source(s), {total} candidates stored.")
