"""Shared fixtures: named users per role, the demo bundle, a fast password hasher."""

from __future__ import annotations

import json
import threading

import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

DEMO_BUNDLE = settings.KB_DEMO_BUNDLE


class OneRequestAtATime(ThreadedWSGIServer):
    """The browser tests' server on SQLite. Its request threads share the test's one in-memory
    connection (pytest-django's live_server), and a page's parallel requests (select2's
    searches, say) using it at once once left a request waiting in SQLite for good; here they
    take turns through the application, while reading requests and keeping connections alive
    still happen in parallel."""

    turn = threading.Lock()

    def get_app(self):
        application = super().get_app()

        def in_turn(environ, start_response):
            with self.turn:
                response = application(environ, start_response)
                try:
                    return list(response)
                finally:
                    if hasattr(response, "close"):
                        response.close()

        return in_turn


if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    LiveServerThread.server_class = OneRequestAtATime


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only are skipped, saying why, when the suite runs on SQLite."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); this run is on SQLite")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: the counts kept there (kb.memo) are keyed by
    history ids, which a rolled-back test on SQLite hands out again."""
    from django.core.cache import cache

    from kb.memo import forget_kept

    cache.clear()
    forget_kept()
    yield
    cache.clear()
    forget_kept()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sql_as_text(settings):
    """Queries sent as text rather than as EXECUTE of a statement prepared on the connection
    (kb.prepared): for a test that reads the SQL a request sends."""
    settings.DATABASE_PREPARED_STATEMENTS = False


@pytest.fixture
def demo_bundle() -> dict:
    return json.loads(DEMO_BUNDLE.read_text(encoding="utf-8"))


@pytest.fixture
def demo(demo_bundle):
    """The demo knowledge base imported (tests that use it ask for the database)."""
    from claims.bundles import bundle_import

    bundle_import(bundle=demo_bundle)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.org", "pw")


def _member(django_user_model, name: str, group: str | None):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(name, f"{name}@example.org", "pw")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def analyst(django_user_model):
    return _member(django_user_model, "ana", "Analyst")


@pytest.fixture
def editor(django_user_model):
    return _member(django_user_model, "eddie", "Editor")


@pytest.fixture
def second_editor(django_user_model):
    return _member(django_user_model, "edna", "Editor")


@pytest.fixture
def researcher(django_user_model):
    return _member(django_user_model, "rita", None)


@pytest.fixture(scope="session", autouse=True)
def close_stray_connections(django_db_setup, django_db_blocker):
    """After the session, end the connections a live server's threads left open on
    PostgreSQL, so that the test database can be dropped."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
