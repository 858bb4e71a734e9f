"""python manage.py extract_candidates FILE: print the candidate claims in a text as JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.extraction import KINDS, extract_candidates
from kb.models import Entity

NO_SUCH_FILE = "{path}: no such file"
CANNOT_READ = "{path}: cannot read it: {error}"
NOT_UTF8 = (
    "{path}: not UTF-8 text (undecodable byte at offset {position}); convert it to UTF-8 first"
)
UNKNOWN_KIND = 'unknown kind "{kind}" in --kinds; choose from ' + ", ".join(KINDS)


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


def _known_entities() -> list[tuple[str, list[str]]]:
    """(key, [name, *aliases]) for every entity not merged into another, in key order; two queries."""
    entities = (
        Entity.objects.filter(merged_into__isnull=True).prefetch_related("aliases").order_by("key")
    )
    return [
        (entity.key, [entity.name, *sorted(alias.name for alias in entity.aliases.all())])
        for entity in entities
    ]


class Command(BaseCommand):
    help = (
        "Print the money amounts, counts, dates and mentions of known entities in a UTF-8 text "
        "file, one JSON object per line: kind, text, start, end, value, sentence, "
        "sentence_start, entity_key."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help='the text file to read (UTF-8); "-" for standard input')
        parser.add_argument(
            "--kinds",
            help=f"comma-separated kinds to print, from {', '.join(KINDS)}; all when omitted",
        )

    def handle(self, *args, file: str, kinds: str | None, **options):
        wanted = _kinds(kinds)
        text = _read(file)
        # Entities are loaded even when not printed: a number inside a name is no candidate.
        for candidate in extract_candidates(text, entities=_known_entities()):
            if candidate.kind in wanted:
                self.stdout.write(json.dumps(candidate.to_dict(), ensure_ascii=False))
