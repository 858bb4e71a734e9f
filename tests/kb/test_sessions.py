"""The site's sessions (kb/sessions.py): Django's database sessions, read with a query written
once, with its account in the same statement once the process has seen which it is. A live
session reads back what was stored, an expired or unknown one reads as none (and the next save
makes a new key), and a signed-in page reads its session and its account in one query, which
shows a change to the account at the next request."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.signals import request_started
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from kb import sessions
from kb.auth import _READ_AHEAD
from kb.services import account_create, role_grant, role_revoke
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

    assert who(page) == "eddie · Editor"
    sessions = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    assert len(sessions) == 1, sessions


def test_signing_out_ends_the_session(client):
    editor = account_create(username="eddie", email="", role="editor", password="x8!Kq2#pLm")
    client.force_login(editor)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post("/accounts/logout/")

    assert SessionStore(key).load() == {}
    assert "eddie" not in client.get("/nothing-here/").text


# Once the process has seen a session's account, it reads that account with the session.


def signed_in(client, role: str = "editor", username: str = "eddie"):
    user = account_create(username=username, email="", role=role, password="x8!Kq2#pLm")
    client.force_login(user)
    client.get("/nothing-here/")  # the process learns the session's account
    return user


def who(page) -> str:
    found = re.search(r'<span class="who">([^<]*)</span>', page.text)
    return html.unescape(found[1]) if found else ""


@pytest.mark.usefixtures("sql_as_text")
def test_a_signed_in_request_reads_its_session_and_account_in_one_statement(client):
    signed_in(client)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/nothing-here/")

    assert who(page) == "eddie · Editor"
    texts = [q["sql"] for q in queries.captured_queries]
    assert [sql for sql in texts if "django_session" in sql or "auth_user" in sql] == [
        sql for sql in texts if "django_session" in sql and "auth_user" in sql
    ]
    assert len([sql for sql in texts if "django_session" in sql]) == 1, texts


def test_a_changed_role_or_a_deactivated_account_shows_at_the_next_request(client):
    editor = signed_in(client)

    role_revoke(user=editor, role="editor")
    role_grant(user=editor, role="analyst")
    assert who(client.get("/nothing-here/")) == "eddie · Analyst"
    assert client.get("/contradictions/").status_code == 200  # an analyst reads the queue

    editor.is_active = False
    editor.save(update_fields=["is_active"])
    assert who(client.get("/nothing-here/")) == ""


def test_a_changed_password_signs_the_session_out(client):
    editor = signed_in(client)

    editor.set_password("another-Pass-2026")
    editor.save(update_fields=["password"])

    assert who(client.get("/nothing-here/")) == ""


def test_a_signed_out_session_no_longer_signs_in_though_its_account_was_seen(client):
    signed_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post("/accounts/logout/")
    client.cookies[settings.SESSION_COOKIE_NAME] = key

    assert who(client.get("/nothing-here/")) == ""


def test_an_account_read_for_another_session_is_never_taken(client, monkeypatch):
    """The account read with a session is taken only when that session names it: were the
    process's note of a session's account wrong, the session's own account is read."""
    signed_in(client)
    other = account_create(username="ana", email="", role="analyst", password="x8!Kq2#pLm")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    monkeypatch.setitem(sessions._ACCOUNTS, key, other.pk)

    assert who(client.get("/nothing-here/")) == "eddie · Editor"


def test_an_account_read_with_a_session_is_forgotten_when_the_request_ends(client):
    editor = signed_in(client)
    client.get("/nothing-here/")

    assert _READ_AHEAD.get() is None
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).load()[SESSION_KEY] == str(editor.pk)
    assert _READ_AHEAD.get() is not None
    request_started.send(sender=None)
    assert _READ_AHEAD.get() is None


def test_the_process_keeps_a_bounded_note_of_sessions_accounts_and_reads_any_other(
    monkeypatch,
):
    monkeypatch.setattr(sessions, "ACCOUNTS_KEPT", 2)
    monkeypatch.setattr(sessions, "_ACCOUNTS", {})
    clients = {username: Client() for username in ("one", "two", "three")}
    for username, client in clients.items():
        signed_in(client, username=username)

    keys = [client.cookies[settings.SESSION_COOKIE_NAME].value for client in clients.values()]
    assert list(sessions._ACCOUNTS) == keys[1:]
    assert who(clients["one"].get("/nothing-here/")) == "one · Editor"
    assert list(sessions._ACCOUNTS) == [*keys[2:], keys[0]]


def test_a_read_sessions_data_is_its_own_to_change():
    # Decoded data are kept (kb.sessions._DECODED); each read gets its own copy.
    key = stored(basket=["a"])
    first = SessionStore(key).load()
    first["basket"].append("b")
    first["colour"] = "red"

    assert SessionStore(key).load() == {"basket": ["a"], "_session_expiry": 60}


def test_changed_data_read_as_changed():
    key = stored(colour="blue")
    SessionStore(key).load()
    session = SessionStore(key)
    session["colour"] = "red"
    session.save()

    assert SessionStore(key).load()["colour"] == "red"


def test_data_whose_signature_fails_read_as_none_each_time():
    key = stored(colour="blue")
    data = Session.objects.get(session_key=key).session_data
    forged = data[:-3] + ("AAA" if not data.endswith("AAA") else "BBB")
    Session.objects.filter(session_key=key).update(session_data=forged)

    for _ in range(2):
        assert SessionStore(key).load() == {}
    assert not any(forged in kept for kept in sessions._DECODED)


def test_data_kept_under_an_old_secret_key_no_longer_read_once_it_has_gone():
    key = stored(colour="blue")
    assert SessionStore(key).load()["colour"] == "blue"

    with override_settings(SECRET_KEY="another-secret-key-" * 3, SECRET_KEY_FALLBACKS=[]):
        assert SessionStore(key).load() == {}
    with override_settings(
        SECRET_KEY="another-secret-key-" * 3, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        assert SessionStore(key).load()["colour"] == "blue"


def test_the_process_keeps_a_bounded_number_of_decoded_sessions(monkeypatch):
    monkeypatch.setattr(sessions, "DECODED_KEPT", 2)
    monkeypatch.setattr(sessions, "_DECODED", {})
    keys = [stored(number=number) for number in range(3)]
    for key in keys:
        SessionStore(key).load()

    assert [data["number"] for data in sessions._DECODED.values()] == [1, 2]
    assert SessionStore(keys[0]).load()["number"] == 0
