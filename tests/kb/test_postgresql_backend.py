"""The PostgreSQL backend (kb/postgresql/base.py): a kept connection is checked before a
request's first query without a round trip when its server has sent nothing since; one the
server ended, or one with something to read, gets Django's `SELECT 1`, and a new connection
when that fails. What an editor would notice: the page after a database restart is served,
not a 500."""

from __future__ import annotations

import time
from unittest import mock

import psycopg2
import pytest
from django.conf import settings
from django.db import close_old_connections, connection, connections
from django.test import Client

from kb.postgresql.base import quiet
from kb.services import account_create

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_site_uses_this_backend():
    assert settings.DATABASES["default"]["ENGINE"] == "kb.postgresql"
    assert connection.vendor == "postgresql"


@pytest.fixture
def kept():
    """A connection of its own, kept between requests and checked as production's are."""
    db = connections.create_connection("default")
    db.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    with db.cursor() as cursor:
        cursor.execute("SELECT 1")
    yield db
    db.close()


def next_request(db) -> None:
    """What the handler does between two requests (request_started, request_finished)."""
    db.close_if_unusable_or_obsolete()
    assert not db.health_check_done


def backend_pid(db) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """Ends that server process, as a restart does, and waits until it has gone (and so has
    sent its connection's last message): from a connection of its own."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(500):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.01)
    finally:
        other.close()
    raise AssertionError(f"server process {pid} did not end")


def checks(db) -> tuple[mock.Mock, list[bool]]:
    """`db`'s Django check (is_usable), watched: the mock, and what each call found."""
    found, real = [], db.is_usable

    def recorded():
        found.append(real())
        return found[-1]

    return mock.patch.object(db, "is_usable", side_effect=recorded), found


def test_a_quiet_kept_connection_is_used_without_a_round_trip(kept):
    pid = backend_pid(kept)
    next_request(kept)

    with mock.patch.object(kept, "is_usable", wraps=kept.is_usable) as checked:
        assert backend_pid(kept) == pid

    checked.assert_not_called()
    assert kept.health_check_done


def test_a_connection_the_server_ended_is_replaced_before_the_first_query(kept):
    pid = backend_pid(kept)
    next_request(kept)
    terminate(pid)

    watched, found = checks(kept)
    with watched:
        assert backend_pid(kept) != pid

    # Django's check ran, failed, and the connection was made again.
    assert found == [False]


def test_a_connection_with_something_to_read_gets_djangos_check_and_is_kept(kept):
    pid = backend_pid(kept)
    with kept.cursor() as cursor:
        cursor.execute("LISTEN kb_test_channel")
    next_request(kept)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("NOTIFY kb_test_channel")
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while quiet(kept.connection) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not quiet(kept.connection)

    watched, found = checks(kept)
    with watched:
        assert backend_pid(kept) == pid

    assert found == [True]


def test_quiet_asks_for_an_idle_transaction_and_an_open_connection():
    raw = psycopg2.connect(**connections["default"].get_connection_params())
    try:
        assert quiet(raw)
        raw.cursor().execute("SELECT 1")  # not autocommit: a transaction is now open
        assert not quiet(raw)
        raw.rollback()
        assert quiet(raw)
    finally:
        raw.close()
    assert not quiet(raw)


def test_the_queue_is_served_after_the_database_ended_its_connection():
    editor = account_create(username="eddie", email="", role="editor", password="x-Sturdy-9")
    client = Client()
    client.force_login(editor)
    was = {name: connection.settings_dict[name] for name in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    try:
        close_old_connections()
        assert client.get("/contradictions/").status_code == 200
        pid = connection.connection.get_backend_pid()
        terminate(pid)

        close_old_connections()
        answer = client.get("/contradictions/")

        assert answer.status_code == 200
        assert connection.connection.get_backend_pid() != pid
    finally:
        connection.close()
        connection.settings_dict.update(was)
