"""import_bench runs end to end on a tiny bundle and ends with its worst ratio."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from claims.bundles import bundle_import
from claims.management.commands.import_bench import COPY_TABLE, copy_table_create
from claims.models import Claim

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="import_bench compares with PostgreSQL's COPY, which SQLite does not have",
    ),
    # The bench rolls back what it writes and its child process imports on its own
    # connection: no wrapping test transaction (which would hold the import lock).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_import_bench_prints_its_table_and_worst_ratio():
    out = io.StringIO()
    call_command("import_bench", claims=40, repeat=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"worst ratio: \d+\.\d\d", lines[-1])
    text = out.getvalue()
    for measure in ("import", "re-import", "export"):
        assert re.search(rf"^{measure} .* \d+\.\d\d$", text, re.MULTILINE), text
    assert re.search(r"peak memory of one import of 40 claims: \d+ MB", text)
    # Nothing it wrote is kept.
    assert not Claim.objects.exists()
    assert "kb_import_bench_copy" not in connection.introspection.table_names()


def test_import_bench_refuses_a_database_with_data(demo_bundle):
    bundle_import(bundle=demo_bundle)
    with pytest.raises(CommandError, match="empty"):
        call_command("import_bench", claims=10, repeat=1, stdout=io.StringIO())


@pytest.mark.django_db
def test_the_baseline_table_has_the_claims_tables_foreign_keys():
    """COPY is held to the same checks as the import's claims: every foreign key, deferred to
    the commit as Django makes them (the bench runs them before it stops the clock)."""
    with connection.cursor() as cursor:
        copy_table_create(cursor)
        constraints = connection.introspection.get_constraints(cursor, COPY_TABLE)
        originals = connection.introspection.get_constraints(cursor, "claims_claim")
    assert {
        (tuple(c["columns"]), c["foreign_key"]) for c in constraints.values() if c["foreign_key"]
    } == {(tuple(c["columns"]), c["foreign_key"]) for c in originals.values() if c["foreign_key"]}
    assert len([c for c in constraints.values() if c["foreign_key"]]) == 5
