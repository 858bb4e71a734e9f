"""On PostgreSQL a connection keeps each account's roles and permissions with the version of
everyone's (migration kb.0007), and reads them again only when that version has moved: any
change to a role, a group or an account's permissions moves it, a rolled-back one leaves it
where it was (kb.auth._ACCESS_KEPT_SQL)."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, connection, transaction

from kb import auth
from kb.services import account_create, role_grant, role_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def account(name: str, role: str):
    return account_create(username=name, email="", role=role, password="x8!Kq2#pLm")


def read(user):
    """The account as the next request reads it: (permissions, roles)."""
    found = get_user_model().objects.get(pk=user.pk)
    return found.get_all_permissions(), auth.user_roles(found)


@pytest.fixture
def grants_read():
    """How many times this transaction has run the function that reads roles and
    permissions (PostgreSQL counts a function's calls where track_functions asks it to)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")

    def calls() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions "
                "WHERE funcname = 'kb_account_grants'"
            )
            return cursor.fetchone()[0]

    return calls


def test_an_accounts_roles_and_permissions_are_read_once_while_nothing_changes(grants_read):
    editor = account("eddie", "editor")
    before = grants_read()

    first = read(editor)
    again = read(editor)
    other = read(account("ana", "analyst"))

    assert first == again and "claims.resolve_contradiction" in first[0]
    assert first[1] == ["Editor"] and other[1] == ["Analyst"]
    assert grants_read() - before == 2
    # Making the analyst's account moved the version: the editor's are read again, once.
    assert read(editor) == first and read(editor) == first
    assert grants_read() - before == 3


def test_each_change_reaches_the_next_read(grants_read):
    editor = account("eddie", "editor")
    group = Group.objects.get(name="Editor")
    read(editor)

    role_grant(user=editor, role="analyst")
    assert read(editor)[1] == ["Analyst", "Editor"]

    resolve = Permission.objects.get(codename="resolve_contradiction")
    group.permissions.remove(resolve)
    assert "claims.resolve_contradiction" not in read(editor)[0]

    editor.user_permissions.add(resolve)
    assert "claims.resolve_contradiction" in read(editor)[0]

    group.name = "Senior editor"
    group.save()
    assert read(editor)[1] == ["Analyst", "Senior editor"]

    role_revoke(user=editor, role="analyst")
    editor.user_permissions.clear()
    assert read(editor) == (set(read(editor)[0]), ["Senior editor"])
    assert "claims.resolve_contradiction" not in read(editor)[0]


def test_a_rolled_back_change_leaves_what_was_read_before_it():
    editor = account("eddie", "editor")
    before = read(editor)

    with pytest.raises(RuntimeError), transaction.atomic():
        role_grant(user=editor, role="analyst")
        assert read(editor)[1] == ["Analyst", "Editor"]
        raise RuntimeError

    assert read(editor) == before


def test_an_account_made_a_superuser_holds_everything_and_keeps_its_roles():
    editor = account("eddie", "editor")
    read(editor)

    editor.is_superuser = True
    editor.save()

    permissions, roles = read(editor)
    assert roles == ["Editor"]
    assert len(permissions) == Permission.objects.count()


def test_the_kept_accounts_are_bounded(monkeypatch):
    monkeypatch.setattr(auth, "GRANTS_KEPT", 2)
    accounts = [account(f"a{i}", "analyst") for i in range(3)]
    query = auth._query(auth.connections[DEFAULT_DB_ALIAS])
    monkeypatch.setattr(query, "kept", {})
    for user in accounts:
        read(user)

    assert list(query.kept) == [accounts[1].pk, accounts[2].pk]


def test_a_signed_in_editor_whose_role_is_taken_away_loses_it_at_the_next_page(client, demo):
    editor = account("eddie", "editor")
    client.force_login(editor)
    page = html.unescape(client.get("/contradictions/").text)
    assert '<span class="who">eddie · Editor</span>' in page

    role_revoke(user=editor, role="editor")

    page = html.unescape(client.get("/contradictions/").text)
    assert '<span class="who">eddie</span>' in page
    contradiction = page.split('<tr id="contradiction-')[1].split('"')[0]
    refused = client.post(
        f"/contradictions/{contradiction}/",
        {"outcome": "sources_disagree", "note": "Both stand.", "version": "1"},
    )
    assert refused.status_code == 403
