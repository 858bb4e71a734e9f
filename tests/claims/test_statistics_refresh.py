"""A large import refreshes the planner's statistics of the claims table before detection reads
it, so that detection reads each chunk of groups through the subject's index (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from claims import copying
from claims.bundles import bundle_import
from claims.management.commands.synthetic_bundle import synthetic_bundle
from claims.models import Claim

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the planner's statistics are PostgreSQL's"
    ),
    pytest.mark.django_db,
]


def counted_claims() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'claims_claim'::regclass")
        return cursor.fetchone()[0]


def test_an_import_into_a_table_without_statistics_refreshes_them(monkeypatch):
    monkeypatch.setattr(copying, "REFRESH_FROM", 100)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")  # whatever a test before left: none counted
    assert counted_claims() == 0
    bundle_import(bundle=synthetic_bundle(claims=300))
    assert counted_claims() == Claim.objects.count() == 300


def test_a_few_rows_into_a_counted_table_leave_the_statistics_as_they_are(monkeypatch):
    monkeypatch.setattr(copying, "REFRESH_FROM", 100)
    bundle_import(bundle=synthetic_bundle(claims=600))
    assert counted_claims() == 600
    # 150 more rows are a quarter of the 600 counted: refreshed; 100 of 750 are not.
    assert copying.statistics_refresh(Claim, 150, ("subject", "attribute"))
    assert not copying.statistics_refresh(Claim, 100, ("subject", "attribute"))
    assert not copying.statistics_refresh(Claim, 99, ("subject", "attribute"))  # below REFRESH_FROM
