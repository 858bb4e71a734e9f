"""`make fuzz`: schemathesis against the read API of the production server, on a throwaway
database holding the demo; fails on any server error or answer the OpenAPI schema does not
describe.

    python -m tests.deploy.fuzz [--examples N] [--seed S]

The database is a new SQLite file, or with FUZZ_DATABASE_URL (else DATABASE_URL) naming a
PostgreSQL server, a new database `<its name>_fuzz` on it, dropped first if an earlier run left
it. The server is `make serve` (gunicorn, two workers, DEBUG off) on a free port of 127.0.0.1,
with the throttle raised so that the fuzzer is answered rather than refused. schemathesis runs
from its own virtualenv (.venv-fuzz, requirements-fuzz.txt), so its pins never meet the app's.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import dj_database_url
import psycopg2
from psycopg2 import sql

from kb.loadgen import UNTHROTTLED
from tests.deploy.server import ROOT, manage, production_environment, serving

SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "schemathesis"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)
# At least this many generated requests make a run; fewer means the fuzzer was cut short.
MINIMUM_REQUESTS = 2000


def throwaway_database(workdir: Path) -> str:
    """A new, empty database for this run: its URL."""
    given = os.environ.get("FUZZ_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not given.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    settings = dj_database_url.parse(given)
    name = f"{settings['NAME']}_fuzz"
    server = dict(
        dbname="postgres", user=settings["USER"], password=settings["PASSWORD"] or None,
        host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
    )  # fmt: skip
    connection = psycopg2.connect(**server)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()
    base = given.rsplit("/", 1)[0]
    return f"{base}/{name}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100, help="test cases per operation")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    if not SCHEMATHESIS.exists():
        print(f"{SCHEMATHESIS} is missing: run `make fuzz`, which installs it.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kb-fuzz-") as directory:
        workdir = Path(directory)
        database = throwaway_database(workdir)
        environment = production_environment(
            database, STATIC_ROOT=str(workdir / "static"), CACHE_URL="db://kb_cache",
            WEB_CONCURRENCY="2", **UNTHROTTLED,
        )  # fmt: skip
        print(f"fuzzing the API on {database.split('@')[-1]}", flush=True)
        with serving(environment, workdir / "server.log") as url:
            manage(environment, "import_bundle", str(ROOT / "kb" / "demo" / "peru.json"))
            run = subprocess.run(
                [
                    str(SCHEMATHESIS), "run", f"{url}/api/schema/", "--checks", CHECKS,
                    "--max-examples", str(arguments.examples), "--seed", str(arguments.seed),
                    "--workers", "2", "--no-color", "--request-timeout", "30",
                    "--generation-database", "none",
                ],
                cwd=workdir, capture_output=True, text=True, timeout=3600,
            )  # fmt: skip
            server_log = (workdir / "server.log").read_text()
    print(run.stdout[-6000:], run.stderr[-2000:], sep="\n")
    generated = re.search(r"(\d+) generated", run.stdout)
    requests = int(generated[1]) if generated else 0
    # gunicorn's access log: '... "GET /api/v1/claims/?x=1 HTTP/1.1" 400 123 ...', one a request.
    statuses = Counter(re.findall(r'"[A-Z]+ /api/\S* HTTP/[\d.]+" (\d{3}) ', server_log))
    errors = sum(n for status, n in statuses.items() if status.startswith("5"))
    refused = statuses["429"]
    print(
        f"test cases generated: {requests}; API requests answered: {statuses.total()} "
        f"({', '.join(f'{status}: {n}' for status, n in sorted(statuses.items()))}); "
        f"server errors (5xx): {errors}; refused by the throttle (429): {refused}"
    )
    if run.returncode != 0 or errors:
        # The server's side of the failures: what it logged besides the requests (tracebacks).
        logged = [line for line in server_log.splitlines() if not line.startswith("127.0.0.1 ")]
        print("the server's log, requests left out:", *logged[-200:], sep="\n")
    if run.returncode != 0:
        print("schemathesis found failures (above).", file=sys.stderr)
        return 1
    if errors:
        print("the server answered with a 5xx.", file=sys.stderr)
        return 1
    if refused:
        print("the throttle refused the fuzzer: those requests tested nothing.", file=sys.stderr)
        return 1
    if requests < MINIMUM_REQUESTS:
        print(f"fewer than {MINIMUM_REQUESTS} requests: raise --examples.", file=sys.stderr)
        return 1
    print("fuzz: no server error, no answer outside the schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
