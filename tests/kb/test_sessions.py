"""The site's sessions (kb/sessions.py): Django's database sessions, read with a query written
once. A live session reads back what was stored, an expired or unknown one reads as none
(and the next save makes a new key), and a signed-in page reads its session in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kb.services import account_create
from kb.sessions import SessionStore

pytestmark = pytest.mark.django_db


def stored(**data) -> str:
    session = SessionStore()
    session.update(data)
    session.set_expiry(60)
    session.save()
    return session.session_key


def test_the_site_uses_this_store():
    assert settings.SESSION_ENGINE == "kb.sessions"


def test_a_live_session_reads_back_what_was_stored():
    key = stored(colour="blue", count=3)

    assert SessionStore(key).load() == {"colour": "blue", "count": 3, "_session_expiry": 60}


def test_an_expired_session_reads_as_none_and_is_not_reused():
    key = stored(colour="blue")
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    session = SessionStore(key)

    assert session.load() == {}
    assert session.session_key is None
    session["colour"] = "red"
    session.save()
    assert session.session_key != key


def test_an_unknown_key_reads_as_none():
    session = SessionStore("x" * 32)

    assert session.load() == {}
    assert session.session_key is None


@pytest.mark.usefixtures("sql_as_text")
def test_a_signed_in_page_reads_its_session_in_one_query(client):
    editor = account_create(username="eddie", email="", role="editor", password="x8!Kq2#pLm")
    client.force_login(editor)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/nothing-here/")

    assert '<span class="who">eddie · Editor</span>' in page.text
    sessions = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    assert len(sessions) == 1, sessions


def test_signing_out_ends_the_session(client):
    editor = account_create(username="eddie", email="", role="editor", password="x8!Kq2#pLm")
    client.force_login(editor)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post("/accounts/logout/")

    assert SessionStore(key).load() == {}
    assert "eddie" not in client.get("/nothing-here/").text
