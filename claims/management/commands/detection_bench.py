"""python manage.py detection_bench: the cost of adding one claim, at several database sizes."""

from __future__ import annotations

import random
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Attribute, Claim
from claims.services import claim_create, value_parse
from kb.models import Entity
from sources.models import Source


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Measure adding one claim (with its contradiction detection) in a database of N "
        "synthetic claims, for each N; everything is rolled back afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1000,100000", help="comma-separated claim counts")
        parser.add_argument("--samples", type=int, default=50, help="claims added per size")

    def handle(self, *args, sizes: str, samples: int, **options):
        try:
            counts = [int(size) for size in sizes.split(",")]
        except ValueError as error:
            raise CommandError(
                f"--sizes must be numbers separated by commas, not {sizes!r}"
            ) from error
        if Claim.objects.filter(key__startswith="syn-").exists():
            raise CommandError("The database already holds synthetic claims; use an empty one.")
        results = []
        for count in counts:
            results.append((count, *self.measure(count, samples)))
        self.stdout.write(f"{'claims':>10} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
        for count, median, p90, queries in results:
            self.stdout.write(f"{count:>10} {median:>10.2f} {p90:>8.2f} {queries:>8}")
        base = results[0][1]
        for count, median, *_ in results[1:]:
            self.stdout.write(f"ratio {count} / {results[0][0]}: {median / base:.2f}")

    def measure(self, count: int, samples: int) -> tuple[float, float, int]:
        timings, queries = [], 0
        try:
            with transaction.atomic():
                bundle_import(bundle=synthetic_bundle(claims=count))
                rng = random.Random(7)
                attribute = Attribute.objects.get(code="syn_value")
                subjects = list(Entity.objects.filter(key__startswith="syn-").order_by("id"))
                source = Source.objects.filter(key__startswith="syn-").first()
                for i in range(samples):
                    value = value_parse(attribute=attribute, text=f"${rng.randint(1, 999)} million")
                    with CaptureQueriesContext(connection) as captured:
                        start = time.perf_counter()
                        claim_create(
                            key=f"bench-{i}", subject=rng.choice(subjects), attribute=attribute,
                            source=source, value=value, quote="bench", credibility=3,
                        )  # fmt: skip
                        timings.append((time.perf_counter() - start) * 1000)
                    queries = max(queries, len(captured))
                raise _Rollback
        except _Rollback:
            pass
        timings.sort()
        return statistics.median(timings), timings[int(len(timings) * 0.9)], queries
