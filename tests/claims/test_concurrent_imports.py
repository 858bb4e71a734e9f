"""Two imports at once on PostgreSQL run one after the other: the second waits for the first's
lock, then reads what it wrote. Neither ends in a traceback, and the knowledge base ends as
if they had been run one after the other."""

from __future__ import annotations

import copy
import io
import json
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from claims.bundles import IMPORT_BUSY, IMPORT_WAITING, bundle_export
from claims.bundles.writing import IMPORT_LOCK
from sources.models import Source

pytestmark = [
    pytest.mark.postgres_only,
    # Each import commits, so the test runs outside a wrapping transaction; the roles the
    # migrations made are put back after it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def bundles(demo_bundle, tmp_path) -> list:
    """The demo, and the demo with a source, an entity and a claim more: whichever runs
    first, the result is the second bundle's knowledge base."""
    more = copy.deepcopy(demo_bundle)
    more["sources"].append(
        {"key": "later-note", "title": "A later note", "kind": "news",
         "text": "The port will cost $2 billion."}
    )  # fmt: skip
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


def run_at_once(paths: list[str]) -> list[dict]:
    """Each bundle imported by the command in its own thread (its own connection), all
    started together: what each printed, and what it raised."""
    start = threading.Barrier(len(paths))
    outcomes = [{} for _ in paths]

    def run(index: int, path: str):
        out, err = io.StringIO(), io.StringIO()
        try:
            start.wait()
            call_command("import_bundle", path, stdout=out, stderr=err)
        except BaseException as error:  # noqa: BLE001 (the test reports whatever it was)
            outcomes[index]["raised"] = error
        finally:
            outcomes[index].update(out=out.getvalue(), err=err.getvalue())
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def knowledge_base() -> str:
    return json.dumps(bundle_export(), sort_keys=True)


def flush() -> None:
    call_command("flush", "--no-input", verbosity=0)


def test_two_imports_at_once_end_as_if_run_one_after_the_other(bundles):
    outcomes = run_at_once(bundles)

    assert [o.get("raised") for o in outcomes] == [None, None]
    assert all("Traceback" not in o["err"] for o in outcomes)
    assert sum(IMPORT_WAITING in o["err"] for o in outcomes) <= 1
    at_once = knowledge_base()
    flush()
    for path in bundles:
        call_command("import_bundle", path, stdout=io.StringIO())
    assert at_once == knowledge_base()


def test_an_import_told_not_to_wait_refuses_while_another_runs(bundles):
    # Another import's lock, held by another connection's open transaction.
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])

        with pytest.raises(CommandError, match=IMPORT_BUSY):
            call_command("import_bundle", bundles[0], "--no-wait", stdout=io.StringIO())
    finally:
        other.rollback()
        other.close()

    assert not Source.objects.exists()
    out = io.StringIO()
    call_command("import_bundle", bundles[0], "--no-wait", stdout=out)
    assert "sources: 5 created" in out.getvalue()
