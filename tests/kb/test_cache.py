"""The database cache (kb/cache.py), production's default: what it stores reads back, a write
replaces, an expired value is gone, the table stays within MAX_ENTRIES and keeps the value just
written, and a failed write loses nothing of the caller's transaction. On PostgreSQL a write is
one statement where Django's took five; the API's throttle counts through it."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

pytestmark = pytest.mark.django_db

TABLE = "kb_test_cache"


def database_cache(**options) -> dict:
    return {"default": {"BACKEND": "kb.cache.DatabaseCache", "LOCATION": TABLE, **options}}


@pytest.fixture
def in_the_database():
    with override_settings(CACHES=database_cache()):
        call_command("createcachetable", verbosity=0)
        yield caches["default"]
        with connection.cursor() as cursor:
            # Kept by a test outside a transaction.
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return cursor.fetchone()[0]


def test_what_is_stored_reads_back_and_a_write_replaces_it(in_the_database):
    cache.set("budget", [1.5, 2.5], 60)
    assert cache.get("budget") == [1.5, 2.5]

    cache.set("budget", {"new": True}, 60)

    assert cache.get("budget") == {"new": True}
    assert rows() == 1


def test_a_value_without_a_timeout_stays_and_an_expired_one_is_gone(in_the_database):
    cache.set("forever", "kept", None)
    cache.set("brief", "gone", 1)
    time.sleep(1.1)

    assert cache.get("forever") == "kept"
    assert cache.get("brief") is None


def test_the_table_is_culled_past_max_entries_and_keeps_the_value_just_written():
    with override_settings(CACHES=database_cache(OPTIONS={"MAX_ENTRIES": 4, "CULL_FREQUENCY": 2})):
        call_command("createcachetable", verbosity=0)
        for number in range(12):
            cache.set(f"key-{number:02d}", number, 60)
            assert cache.get(f"key-{number:02d}") == number

        assert rows() <= 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_is_one_statement_on_postgresql(in_the_database):
    # As a request writes it: outside a transaction.
    assert not connection.in_atomic_block
    cache.set("budget", [1.0], 60)

    with CaptureQueriesContext(connection) as written:
        cache.set("budget", [1.0, 2.0], 60)
    with CaptureQueriesContext(connection) as added:
        cache.set("another", [3.0], 60)

    assert len(written) == 1 and len(added) == 1
    assert cache.get_many(["budget", "another"]) == {"budget": [1.0, 2.0], "another": [3.0]}


@pytest.mark.postgres_only
@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
def test_a_failed_write_is_not_an_error_and_spoils_nothing_of_the_callers_transaction(
    in_the_database,
):
    # Longer than the key's column: the database refuses the write.
    refused = "k" * 300
    with transaction.atomic():
        cache.set(refused, [1.0], 60)
        cache.set("budget", [2.0], 60)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)

    assert cache.get(refused) is None
    assert cache.get("budget") == [2.0]


def test_the_api_throttle_counts_through_it(in_the_database, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import SimpleRateThrottle

    was = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        client = Client()
        statuses = [client.get("/api/v1/sources/").status_code for _ in range(4)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = was

    assert statuses == [200, 200, 200, 429]
    assert rows() == 1


def persistence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [TABLE])
        return cursor.fetchone()[0]


@pytest.mark.postgres_only
def test_createcachetable_makes_the_table_unlogged_and_an_existing_one_too(in_the_database):
    # A cache need not outlive a crash, and its writes then wait for no log.
    assert persistence() == "u"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} SET LOGGED")
    cache.set("budget", [1.0], 60)

    call_command("createcachetable", verbosity=0)

    assert persistence() == "u"
    assert cache.get("budget") == [1.0]
