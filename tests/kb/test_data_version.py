"""The data's version (kb.api.caching.data_version), which the API's ETags and the pages' kept
counts (kb.memo) are keyed by, moves when a write becomes visible, whatever the order in which
transactions took their history ids: a transaction that took its ids first and commits last (a
bundle import does, for minutes) still changes it."""

from __future__ import annotations

import threading
from importlib import import_module
from unittest import mock

import pytest
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models.signals import post_migrate
from rest_framework.test import APIClient

from kb.api.caching import (
    NEWEST_FUNCTION,
    data_version,
    data_version_of,
    data_version_sql,
    history_models,
)
from kb.dbfunctions import forget_functions
from sources.models import Publisher, Source
from tests.factories import PublisherFactory, SourceFactory

HISTORY_TABLES = import_module("kb.migrations.0003_data_version").HISTORY_TABLES


def history_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models()
        if any(field.name == "history_id" for field in model._meta.fields)
    }


def test_every_history_table_moves_the_version():
    """A history table added later needs the trigger too (a migration like kb.0003's), and
    its newest-row function (like kb.0004's; without it data_version sends the plain query)."""
    assert set(HISTORY_TABLES) == history_tables()


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_each_history_table_has_the_trigger_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'kb_datachange_note'"
        )
        triggered = {row[0] for row in cursor.fetchall()}
    assert triggered == history_tables()


class Held:
    """A transaction on a connection of its own (another thread), which adds a publisher and
    stays open until `commit()`: the publisher's history id is taken before any taken after
    `start()` returns."""

    def __init__(self):
        self.written, self.release, self.done = (threading.Event() for _ in range(3))
        self.error = None
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                PublisherFactory(name="Written first, committed last")
                self.written.set()
                self.release.wait(30)
        except Exception as error:  # reported by commit()
            self.error = error
            self.written.set()
        finally:
            connection.close()
            self.done.set()

    def start(self):
        self.thread.start()
        assert self.written.wait(30)
        assert self.error is None, self.error

    def commit(self):
        self.release.set()
        self.thread.join(30)
        assert self.error is None, self.error


@pytest.mark.postgres_only
# serialized_rollback brings back, after the flush, the roles the migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_committed_after_a_later_one_still_changes_the_etag():
    api = APIClient()
    held = Held()
    held.start()
    try:
        SourceFactory(title="Written second, committed first")  # a higher history id
        first = api.get("/api/v1/sources/")
        names = {row["publisher"] for row in first.json()["results"]}
        assert "Written first, committed last" not in names
    finally:
        held.commit()

    again = api.get("/api/v1/sources/", HTTP_IF_NONE_MATCH=first["ETag"])

    # The newest history ids are the same as before the commit: only the counter moved.
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert Publisher.objects.filter(name="Written first, committed last").exists()


@pytest.mark.postgres_only
# serialized_rollback brings back, after the flush, the roles the migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_counter_moves_once_per_committed_transaction_that_adds_history():
    def counter() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version FROM kb_dataversion")
            return cursor.fetchone()[0]

    before = counter()
    with transaction.atomic():
        publisher = PublisherFactory()
        SourceFactory.create_batch(3, publisher=publisher)
    assert counter() == before + 1

    with pytest.raises(RuntimeError), transaction.atomic():
        SourceFactory()
        raise RuntimeError("rolled back")
    assert counter() == before + 1

    Source.objects.filter(pk=-1).update(title="nothing")  # no history row, no move
    assert counter() == before + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kb_datachange")
        assert cursor.fetchone()[0] == 0  # each transaction's note is gone with its commit

    version, changed = data_version([Source.history.model])
    PublisherFactory()
    later, changed_later = data_version([Source.history.model])
    assert later != version  # no source was written: the counter part moved
    assert changed_later > changed


def plain_data_version(models):
    """data_version as the plain query gives it, without the functions of kb.0004."""
    with mock.patch("kb.api.caching.have_functions", return_value=False):
        return data_version(models)


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_each_history_table_and_the_counter_have_their_function_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'kb_newest_%%'")
        functions = {row[0] for row in cursor.fetchall()}
    expected = {NEWEST_FUNCTION.format(table=table) for table in history_tables()}
    assert functions == expected | {"kb_newest_kb_dataversion"}


@pytest.mark.django_db
def test_the_functions_give_the_version_the_plain_query_gives(django_assert_num_queries):
    models = [Source.history.model, Publisher.history.model]
    SourceFactory()
    forget_functions()
    data_version(models)  # asks once whether the functions are there

    with django_assert_num_queries(1) as queries:
        version = data_version(models)
    uses_functions = connection.vendor == "postgresql"
    assert ("kb_newest_sources_historicalsource()" in queries[0]["sql"]) is uses_functions
    assert version == plain_data_version(models)

    # A write of this transaction (the test's) moves both alike, as the transaction sees it.
    SourceFactory(title="Written in the test's transaction")
    moved = data_version(models)
    assert moved != version
    assert moved == plain_data_version(models)
    assert moved[1] >= version[1]


@pytest.mark.django_db
def test_after_migrate_the_functions_are_asked_for_again():
    data_version([Source.history.model])
    assert "_kb_functions" in connections[DEFAULT_DB_ALIAS].__dict__

    post_migrate.send(
        sender=apps.get_app_config("kb"),
        app_config=apps.get_app_config("kb"),
        verbosity=0,
        interactive=False,
        using=DEFAULT_DB_ALIAS,
        apps=apps,
        plan=[],
    )

    assert "_kb_functions" not in connections[DEFAULT_DB_ALIAS].__dict__


@pytest.mark.django_db
def test_the_version_read_as_one_expression_is_the_version_read_alone():
    """A query may read the version with its rows (the queue's: data_version_sql); what it
    reads is the version data_version reads, and moves with a write as it does."""
    models = history_models((Publisher, Source))

    def as_one_expression():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {data_version_sql(models)}")
            return data_version_of(cursor.fetchone()[0])

    assert as_one_expression() == data_version(models)
    before = as_one_expression()
    PublisherFactory()
    assert as_one_expression() == data_version(models) != before
