"""python manage.py synthetic_bundle --claims N [PATH]: a large made-up bundle for measuring."""

from __future__ import annotations

import json
import random
import sys

from django.core.management.base import BaseCommand, CommandError

KINDS = ("news", "analysis", "official", "opinion", "aggregator")
GRADES = "ABCDEF"
CURRENCIES = ("USD", "EUR", "PEN")


def synthetic_bundle(*, claims: int, seed: int = 1) -> dict:
    """A kb-bundle/1 document of `claims` claims over proportionally many sources and entities.

    Deterministic for a given seed; values mix every numeric qualifier, dates of every
    precision, booleans and entity values, so that imports exercise the whole value parser.
    """
    rng = random.Random(seed)
    n_sources = max(2, claims // 50)
    n_entities = max(2, claims // 20)
    sources = [
        {
            "key": f"syn-source-{i}",
            "title": f"Synthetic report {i} on port infrastructure",
            "url": f"https://example.org/reports/{i}",
            "publisher": f"Synthetic Publisher {i % 40}",
            "author": None,
            "published_on": f"{2015 + i % 11}-{1 + i % 12:02d}",
            "kind": KINDS[i % len(KINDS)],
            "reliability": GRADES[i % 6],
            "language": "en",
            "text": None,
            "notes": "",
        }
        for i in range(n_sources)
    ]
    entities = [
        {
            "key": f"syn-entity-{i}",
            "kind": ("base", "agreement", "organization", "program")[i % 4],
            "name": f"Synthetic Entity {i}",
            "aliases": [f"SE-{i}"],
            "description": "",
            "country": "PE",
            "wikidata": None,
        }
        for i in range(n_entities)
    ]
    attributes = [
        {"code": "syn_value", "label": "Value", "value_type": "money"},
        {"code": "syn_staff", "label": "Staff", "value_type": "count", "unit": "people",
         "time_varying": True},
        {"code": "syn_signed_on", "label": "Signed on", "value_type": "date"},
        {"code": "syn_lethal", "label": "Lethal", "value_type": "boolean"},
        {"code": "syn_operator", "label": "Operator", "value_type": "entity"},
    ]  # fmt: skip
    wordings = {
        "syn_value": lambda: rng.choice(
            [
                f"${rng.randint(1, 999)} million",
                f"more than ${rng.randint(1, 99)} billion",
                f"about €{rng.randint(1, 500)} million",
                {
                    "amount": str(rng.randint(1, 10**9)),
                    "currency": rng.choice(CURRENCIES),
                    "qualifier": "exact",
                },
            ]
        ),  # fmt: skip
        "syn_staff": lambda: rng.choice(
            [
                f"nearly {rng.randint(10, 900)}",
                f"up to {rng.randint(1, 90)}",
                f"between {rng.randint(1, 40)} and {rng.randint(41, 90)}",
                str(rng.randint(1, 5000)),
            ]
        ),  # fmt: skip
        "syn_signed_on": lambda: rng.choice(
            [
                str(rng.randint(1990, 2026)),
                f"{rng.randint(1990, 2026)}-{rng.randint(1, 12):02d}",
                f"May {rng.randint(1, 28)}, {rng.randint(1990, 2026)}",
            ]
        ),  # fmt: skip
        "syn_lethal": lambda: {"boolean": rng.random() < 0.5},
        "syn_operator": lambda: {"entity": f"syn-entity-{rng.randrange(n_entities)}"},
    }
    codes = list(wordings)
    claims_out = []
    for i in range(claims):
        code = codes[i % len(codes)]
        claims_out.append(
            {
                "key": f"syn-claim-{i}",
                "subject": f"syn-entity-{rng.randrange(n_entities)}",
                "attribute": code,
                "value": wordings[code](),
                "valid_from": None,
                "valid_to": None,
                "claimed_on": None,
                "source": f"syn-source-{rng.randrange(n_sources)}",
                "quote": f"Synthetic statement number {i} about the port and its budget.",
                "credibility": rng.randint(1, 6),
                "notes": "",
            }
        )
    return {
        "format": "kb-bundle/1",
        "sources": sources,
        "entities": entities,
        "attributes": attributes,
        "claims": claims_out,
    }


class Command(BaseCommand):
    help = "Write a synthetic kb-bundle/1 document with N claims, for measuring imports."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the file to write; standard output if none")
        parser.add_argument("--claims", type=int, default=100_000, help="how many claims")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, path, claims, seed, **options):
        if claims < 1:
            raise CommandError("--claims must be at least 1.")
        text = json.dumps(synthetic_bundle(claims=claims, seed=seed))
        if path in (None, "-"):
            sys.stdout.write(text)
        else:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
