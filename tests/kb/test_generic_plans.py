"""Where the app prepares its statements, PostgreSQL plans each of them once, for any values
(kb/postgresql/base.py: plan_cache_mode): left to choose, it planned the statement of a page's
claims afresh at each request on a connection that had read only small pages."""

from __future__ import annotations

import pytest
from django.db import connection, connections
from django.test import override_settings

from claims.models import Claim

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]


def plan_cache_mode() -> str:
    """The setting as a new connection of the app finds it."""
    db = connections.create_connection("default")
    try:
        with db.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            return cursor.fetchone()[0]
    finally:
        db.close()


def test_a_new_connection_plans_its_prepared_statements_once():
    assert plan_cache_mode() == "force_generic_plan"


@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_without_prepared_statements_postgresql_chooses_as_it_does():
    assert plan_cache_mode() == "auto"


def test_a_small_pages_claims_statement_is_planned_once(client, demo):
    claim = Claim.objects.select_related("attribute").order_by("pk").first()
    url = f"/api/v1/claims/?subject={claim.subject_id}&attribute={claim.attribute.code}"
    shown = [client.get(url).json()["results"] for _ in range(8)]
    assert shown[0] and all(page == shown[0] for page in shown)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%%FROM \"claims_claim\"%%' AND statement LIKE '%%= ANY($1)%%'"
        )
        (generic, custom), *others = cursor.fetchall()

    assert others == []
    # Prepared at its second request, then executed with the plan made for any ids.
    assert custom == 0 and generic >= 6


def test_the_benchmarks_prepared_hand_written_queries_are_planned_as_postgresql_chooses():
    # Their limits and words are not values any plan serves alike (claims/bench.py).
    from claims import bench

    try:
        with bench.prepared_reference().cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone()[0] == "auto"
    finally:
        bench.close_prepared_reference()
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
