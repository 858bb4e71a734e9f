"""python manage.py import_bench --claims N: the bundle import and export against the database's
own speed, on an empty PostgreSQL database (nothing it writes is kept).

Each repetition, in transactions rolled back at its end (and the database vacuumed before it,
so that it does not find the rows the one before rolled back):

- import: a synthetic bundle of N claims (synthetic_bundle) read from its text and imported
  into the empty knowledge base, against COPY of the same claim rows into a table of the same
  shape, indexes and foreign keys (CREATE TABLE ... LIKE claims_claim INCLUDING ALL, then its
  foreign keys), made in the same transaction after the import, so that they refer to its rows;
- both sides are timed through their deferred checks (SET CONSTRAINTS ALL IMMEDIATE), as a
  commit would run them: the foreign keys of every row written, and the data version's trigger;
- re-import: the same bundle again, which changes nothing (against the same COPY);
- export: the whole knowledge base as kb-bundle/1 text, against the same claim rows fetched by
  one hand-written query and encoded by orjson.

The two of a pair run one after the other, and the ratios are the medians of the per-pair
ratios. Then a child process imports the bundle file once more, as import_bundle does (read as
it streams), and reports its peak memory (its maximum resident set size). The last line is the worst of the import and export ratios."""

from __future__ import annotations

import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from claims.bundles import bundle_import, bundle_parse, knowledge_base_is_empty
from claims.bundles.export import bundle_export_text
from claims.bundles.streaming import bundle_file_import
from claims.management.commands.synthetic_bundle import synthetic_bundle

NOT_POSTGRESQL = (
    "import_bench compares with PostgreSQL's COPY: run it with a PostgreSQL DATABASE_URL."
)
NOT_EMPTY = (
    "import_bench imports into an empty knowledge base and this one holds data: run it on an "
    "empty database (createdb; manage.py migrate)."
)
COPY_TABLE = "kb_import_bench_copy"
# The claim rows as the export writes them: the same joins, one hand-written query.
EXPORT_ROWS_SQL = """
SELECT c.key, s.key, a.code, c.value_type, c.amount, c.amount_max, c.qualifier, c.currency,
       c.unit, c.date_value, c.date_precision, v.key, c.boolean_value, c.text_value,
       c.value_as_written, c.valid_from, c.valid_from_precision, c.valid_to,
       c.valid_to_precision, c.claimed_on, c.claimed_on_precision, src.key, c.quote,
       c.credibility, c.rank, c.notes
FROM claims_claim c
JOIN kb_entity s ON s.id = c.subject_id
JOIN claims_attribute a ON a.id = c.attribute_id
JOIN sources_source src ON src.id = c.source_id
LEFT JOIN kb_entity v ON v.id = c.entity_value_id
ORDER BY c.key
"""


class _Rollback(Exception):
    pass


def copy_table_create(cursor) -> None:
    """The table the baseline COPYs into: claims_claim's shape, checks, indexes and foreign
    keys (LIKE leaves the foreign keys out; they are added as claims_claim has them)."""
    cursor.execute(f"CREATE TABLE {COPY_TABLE} (LIKE claims_claim INCLUDING ALL)")
    cursor.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'claims_claim'::regclass AND contype = 'f'"
    )
    for (definition,) in cursor.fetchall():
        cursor.execute(f"ALTER TABLE {COPY_TABLE} ADD {definition}")


def _checks_run(cursor) -> None:
    """Run the checks deferred to the commit now, as the commit would (the rows' foreign keys,
    the data version's trigger), then defer what follows again, as it was (no constraint of
    the schema is deferrable and initially immediate)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _peak_resident_mb() -> float:
    """This process's peak resident set size, in MB: VmHWM, the high-water mark of its own
    memory. Not getrusage's ru_maxrss, which on Linux also counts the memory of the process
    that started this one, at the moment it started it (a benchmark holding a bundle of a
    million claims)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # in kB
    except OSError:
        pass
    # Elsewhere (no /proc): the closest there is; Linux and the BSDs report kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = (
        "Time the bundle import (N claims) against COPY of the same rows, the re-import, and "
        "the export against the same rows with orjson; print a table and the worst ratio."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, default=100_000, help="claims in the bundle")
        parser.add_argument("--repeat", type=int, default=3, help="pairs of each measure")
        parser.add_argument(
            "--memory-only",
            action="store_true",
            help="only the peak memory of one import (for a large --claims)",
        )
        parser.add_argument("--memory-of", help="(internal) import this file and print max RSS")

    def handle(self, *args, claims, repeat, memory_only, memory_of, **options):
        if connection.vendor != "postgresql":
            raise CommandError(NOT_POSTGRESQL)
        if memory_of:
            self._child(memory_of)
            return
        if claims < 1 or repeat < 1:
            raise CommandError("--claims and --repeat must be at least 1.")
        if not knowledge_base_is_empty():
            raise CommandError(NOT_EMPTY)
        with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
            path = Path(folder) / "bundle.json"
            text = json.dumps(synthetic_bundle(claims=claims))
            path.write_text(text, encoding="utf-8")
            self.stdout.write(
                f"import_bench: {claims:,} claims, bundle of {len(text) / 1e6:.1f} MB, "
                f"PostgreSQL {connection.pg_version // 10000}"
            )
            pairs = [] if memory_only else [self._pair(text) for _ in range(repeat)]
            del text
            peak = self._peak_memory(path)
        self._print(claims, pairs, peak)

    # One repetition: three pairs, everything rolled back.

    def _pair(self, text: str) -> dict[str, float]:
        self._vacuum()
        times = {}
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                start = time.perf_counter()
                bundle_import(bundle=bundle_parse(text))
                _checks_run(cursor)
                times["import"] = time.perf_counter() - start
                start = time.perf_counter()
                report = bundle_import(bundle=bundle_parse(text))
                _checks_run(cursor)
                times["re-import"] = time.perf_counter() - start
                assert not any(report.created.values()) and not any(report.updated.values())
                start = time.perf_counter()
                exported = bundle_export_text()
                times["export"] = time.perf_counter() - start
                start = time.perf_counter()
                cursor.execute(EXPORT_ROWS_SQL)
                encoded = orjson.dumps(cursor.fetchall(), default=str)
                times["orjson"] = time.perf_counter() - start
                del exported, encoded
                rows = io.StringIO()
                cursor.cursor.copy_expert("COPY claims_claim TO STDOUT", rows)
                copy_table_create(cursor)
                rows.seek(0)
                start = time.perf_counter()
                cursor.cursor.copy_expert(f"COPY {COPY_TABLE} FROM STDIN", rows)
                _checks_run(cursor)
                times["COPY"] = time.perf_counter() - start
                raise _Rollback
        except _Rollback:
            pass
        return times

    @staticmethod
    def _vacuum() -> None:
        """Clear the rows the pair before rolled back, as autovacuum would between imports: each
        rolled back import leaves every row it wrote dead in the tables and their indexes, and
        the next one would check its keys against them (a server running with autovacuum off
        keeps them for good). Not inside a transaction (a test's), where VACUUM cannot run."""
        if connection.in_atomic_block:
            return
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")

    def _peak_memory(self, path: Path) -> float | None:
        """The maximum resident set size, in MB, of a process that imports the bundle."""
        manage = Path(settings.BASE_DIR) / "manage.py"
        # The child connects to this very database (a test's, too).
        db = connection.settings_dict
        credentials = quote(db["USER"] or "", safe="") + (
            f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        )
        address = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        env = {**os.environ, "DATABASE_URL": f"postgres://{credentials}@{address}/{db['NAME']}"}
        done = subprocess.run(
            [sys.executable, str(manage), "import_bench", "--memory-of", str(path)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            self.stderr.write(done.stderr[-2000:])
            return None
        return float(done.stdout.strip().splitlines()[-1])

    def _child(self, path: str) -> None:
        try:
            with transaction.atomic():
                # As import_bundle reads a file: streamed, never held whole.
                bundle_file_import(path)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(f"{_peak_resident_mb():.0f}")

    def _print(self, claims: int, pairs: list[dict], peak: float | None) -> None:
        worst = None
        if pairs:
            median = {name: statistics.median(p[name] for p in pairs) for name in pairs[0]}
            ratios = {
                name: statistics.median(p[name] / p[base] for p in pairs)
                for name, base in (("import", "COPY"), ("re-import", "COPY"), ("export", "orjson"))
            }
            self.stdout.write(f"{'measure':<12}{'seconds':>10}{'baseline':>12}{'seconds':>10}"
                              f"{'ratio':>8}")  # fmt: skip
            for name, base in (("import", "COPY"), ("re-import", "COPY"), ("export", "orjson")):
                self.stdout.write(
                    f"{name:<12}{median[name]:>10.2f}{base:>12}{median[base]:>10.2f}"
                    f"{ratios[name]:>8.2f}"
                )
            self.stdout.write(
                f"(medians of {len(pairs)} interleaved pair(s); the re-import changes nothing "
                "and is shown against COPY for scale, not counted in the worst ratio)"
            )
            worst = max(ratios["import"], ratios["export"])
        if peak is not None:
            self.stdout.write(f"peak memory of one import of {claims:,} claims: {peak:.0f} MB")
        self.stdout.write(f"worst ratio: {worst:.2f}" if worst is not None else "worst ratio: n/a")
