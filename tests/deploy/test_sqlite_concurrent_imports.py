"""Two imports at once on SQLite (the default), as two `manage.py import_bundle` processes: each
transaction takes the write lock when it begins, so the second waits for the first and then
reads what it wrote. Neither ends in "database is locked" or a traceback, and the knowledge base
ends as if they had been run one after the other. (On PostgreSQL an advisory lock does the same:
tests/claims/test_concurrent_imports.py.)"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.deploy.server import NOT_PASSED_ON, ROOT

# The test reads nothing from the test database; it asks for it so that the session's fixtures
# find one on PostgreSQL too, where the test is skipped.
pytestmark = pytest.mark.django_db

ROUNDS = 3


@pytest.fixture
def bundles(demo_bundle, tmp_path) -> list[str]:
    """The demo, and the demo with a source, an entity and a claim more: whichever runs
    first, the result is the second bundle's knowledge base."""
    more = copy.deepcopy(demo_bundle)
    more["sources"].append({"key": "later-note", "title": "A later note", "kind": "news"})
    more["entities"].append({"key": "later-port", "kind": "base", "name": "Later Port"})
    more["claims"].append(
        {"key": "later-port-cost", "subject": "later-port", "attribute": "fms_case_value",
         "value": "$2 billion", "source": "later-note", "quote": "$2 billion", "credibility": 3}
    )  # fmt: skip
    paths = []
    for name, bundle in (("demo.json", demo_bundle), ("more.json", more)):
        path = tmp_path / name
        path.write_text(json.dumps(bundle), encoding="utf-8")
        paths.append(str(path))
    return paths


def command(database: Path, *arguments: str) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    environment["DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.Popen(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def knowledge_base(database: Path) -> dict:
    code, out, err = finished(command(database, "export_bundle"))
    assert code == 0, err
    return json.loads(out)


def migrated(database: Path) -> Path:
    code, _, err = finished(command(database, "migrate", "--noinput", "--verbosity", "0"))
    assert code == 0, err
    return database


def test_two_import_processes_at_once_end_as_if_run_one_after_the_other(bundles, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock; on PostgreSQL tests/claims/test_concurrent_imports.py")
    one_after_the_other = migrated(tmp_path / "sequential.sqlite3")
    for path in bundles:
        code, _, err = finished(command(one_after_the_other, "import_bundle", path))
        assert code == 0, err
    expected = knowledge_base(one_after_the_other)

    for round_ in range(ROUNDS):
        database = migrated(tmp_path / f"at-once-{round_}.sqlite3")
        # Started together; each spends about a second starting Django before it writes.
        processes = [command(database, "import_bundle", path) for path in bundles]
        results = [finished(process) for process in processes]

        for code, out, err in results:
            assert code == 0, err
            assert "database is locked" not in err and "Traceback" not in err
            assert "claims:" in out  # its summary
        assert knowledge_base(database) == expected
