"""Who may do what, as the site asks on every signed-in page: a user's own permissions and
their role's, with the roles the header shows, read in one query; none for an inactive
account, all for a superuser."""

from __future__ import annotations

import html
from unittest import mock

import pytest
from django.contrib.auth import get_user_model, load_backend
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kb.auth import _AccessQuery, forget_permission_names, user_roles
from kb.services import account_create, role_grant, role_revoke

pytestmark = pytest.mark.django_db


def fresh(user):
    """The account as the next request reads it (no permissions remembered)."""
    return get_user_model().objects.get(pk=user.pk)


def account(role: str):
    return account_create(username=f"a-{role}", email="", role=role, password="x8!Kq2#pLm")


def permission_names_read():
    """The permissions' names are read once per connection (then one query reads an
    account's access)."""
    reader = account_create(username="reader", email="", role="researcher", password="x8!Kq2#pLm")
    fresh(reader).get_all_permissions()


def test_an_editor_holds_the_roles_permissions_read_in_one_query(django_assert_num_queries):
    editor = fresh(account("editor"))
    permission_names_read()

    with django_assert_num_queries(1):
        assert editor.has_perm("claims.resolve_contradiction")
        assert editor.has_perm("claims.flag_contradiction")
        assert not editor.has_perm("auth.add_user")


def test_own_and_role_permissions_both_count_and_a_revoked_role_takes_its_own_away():
    analyst = account("analyst")
    analyst.user_permissions.add(Permission.objects.get(codename="resolve_contradiction"))

    assert fresh(analyst).has_perm("claims.flag_contradiction")  # the role's
    assert fresh(analyst).has_perm("claims.resolve_contradiction")  # the account's own

    role_revoke(user=analyst, role="analyst")

    assert not fresh(analyst).has_perm("claims.flag_contradiction")
    assert fresh(analyst).has_perm("claims.resolve_contradiction")


def test_a_researcher_an_inactive_account_and_a_superuser():
    researcher = account("researcher")
    inactive = account("editor")
    inactive.is_active = False
    inactive.save()
    root = get_user_model().objects.create_superuser("root", "", "x8!Kq2#pLm")

    assert fresh(researcher).get_all_permissions() == set()
    assert not fresh(inactive).has_perm("claims.resolve_contradiction")
    assert fresh(root).get_all_permissions() == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }


def test_the_roles_come_with_the_permissions_in_the_same_query(django_assert_num_queries):
    editor = account("editor")
    role_grant(user=editor, role="analyst")
    editor = fresh(editor)
    permission_names_read()

    with django_assert_num_queries(1):
        assert user_roles(editor) == ["Analyst", "Editor"]
        assert editor.has_perm("claims.resolve_contradiction")
    assert user_roles(fresh(account("researcher"))) == []  # a researcher holds no group


@pytest.mark.usefixtures("sql_as_text")
def test_the_header_names_the_signed_in_users_roles_with_one_query_for_them(client):
    editor = account("editor")
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/nothing-here/")

    assert page.status_code == 404
    assert f'<span class="who">{editor.username} · Editor</span>' in html.unescape(page.text)
    access = [
        q
        for q in queries.captured_queries
        if "auth_group" in q["sql"] or "kb_account_grants(" in q["sql"]
    ]
    assert len(access) == 1, access


@pytest.mark.usefixtures("sql_as_text")
def test_a_signed_in_request_reads_the_account_with_its_access_in_one_query(client):
    editor = account("editor")
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/nothing-here/")

    assert f'<span class="who">{editor.username} · Editor</span>' in html.unescape(page.text)
    accounts = [q["sql"] for q in queries.captured_queries if "auth_user" in q["sql"]]
    assert len(accounts) == 1, accounts


def test_the_account_read_with_its_access_is_the_account_as_the_orm_reads_it():
    analyst = account("analyst")
    analyst.first_name = "Ana <b>"
    analyst.last_login = timezone.now()
    analyst.save()
    backend = load_backend("kb.auth.ModelBackend")

    found = backend.get_user(str(analyst.pk))  # the session keeps the id as text

    expected = fresh(analyst)
    assert type(found) is type(expected)
    for field in expected._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found._state.adding is False and found._state.db == "default"
    assert found.last_login.tzinfo is not None and type(found.is_staff) is bool
    assert found.get_all_permissions() == fresh(analyst).get_all_permissions() != set()


def test_no_account_for_an_unknown_a_malformed_or_an_inactive_id():
    backend = load_backend("kb.auth.ModelBackend")
    inactive = account("editor")
    inactive.is_active = False
    inactive.save()

    assert backend.get_user("999999") is None
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(str(inactive.pk)) is None


def test_a_permission_made_after_the_names_were_read_is_held_by_its_holders():
    permission_names_read()
    kind = ContentType.objects.get_for_model(get_user_model())
    made = Permission.objects.create(codename="audit_everything", name="Audit", content_type=kind)
    auditor = account("analyst")
    auditor.user_permissions.add(made)
    root = get_user_model().objects.create_superuser("root", "", "x8!Kq2#pLm")

    assert fresh(auditor).has_perm("auth.audit_everything")
    assert fresh(root).has_perm("auth.audit_everything")
    assert not fresh(account("editor")).has_perm("auth.audit_everything")


def test_after_migrate_the_permissions_names_are_read_again():
    analyst = account("analyst")
    view_group = Permission.objects.get(codename="view_group")
    analyst.user_permissions.add(view_group)
    permission_names_read()
    # As if migrate had made the permissions again under other ids.
    Permission.objects.filter(pk=view_group.pk).update(codename="view_group_renamed")

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert fresh(analyst).has_perm("auth.view_group_renamed")
    # The test's transaction is rolled back: so are the names read in it.
    forget_permission_names()


def read_access(user_id, *, function: bool):
    """The account, permissions and roles as kb.auth reads them, with kb.0006's function or
    with the plain query."""
    with mock.patch("kb.auth.have_functions", return_value=function):
        return _AccessQuery(connections[DEFAULT_DB_ALIAS]).read(user_id)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("sql_as_text")
def test_on_postgresql_the_access_comes_from_the_function_as_the_plain_query_gives_it():
    editor = account("editor")
    role_grant(user=editor, role="analyst")
    editor.user_permissions.add(Permission.objects.get(codename="view_group"))
    researcher = account("researcher")
    permission_names_read()
    with CaptureQueriesContext(connection) as queries:
        fresh(editor).get_all_permissions()
    assert "kb_account_grants(" in queries.captured_queries[-1]["sql"]

    for user_id in (editor.pk, researcher.pk, 999999):
        by_function = read_access(user_id, function=True)
        plain = read_access(user_id, function=False)
        assert by_function[1:] == plain[1:]
        assert (by_function[0] is None) is (plain[0] is None) is (user_id == 999999)
        if plain[0] is not None:
            for field in plain[0]._meta.concrete_fields:
                assert getattr(by_function[0], field.attname) == getattr(plain[0], field.attname)
    _, permissions, roles = read_access(editor.pk, function=True)
    assert roles == ["Analyst", "Editor"]
    assert {"auth.view_group", "claims.resolve_contradiction", "claims.flag_contradiction"} <= (
        permissions
    )


@pytest.mark.postgres_only
def test_the_function_gives_the_permissions_in_one_row_and_the_roles_in_a_row_each():
    editor = account("editor")
    role_grant(user=editor, role="analyst")
    nobody = get_user_model().objects.create_user(username="nobody", password="x8!Kq2#pLm")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, name FROM kb_account_grants(%s) ORDER BY kind, name", [editor.pk]
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM kb_account_grants(%s)", [nobody.pk])
        (nobodys,) = cursor.fetchone()

    assert [kind for kind, _ in rows] == ["permissions", "role", "role"]
    held = [int(pk) for pk in rows[0][1].split(",")]
    assert len(held) > 10
    assert set(held) == set(
        Permission.objects.filter(group__user=editor).values_list("pk", flat=True)
    )
    assert [name for _, name in rows[1:]] == ["Analyst", "Editor"]
    # No role, no permission: no row.
    assert nobodys == 0


def test_after_migrate_the_access_query_is_written_again():
    """migrate may have made or dropped kb.0006's function: the query that calls it is
    written again."""
    fresh(account("editor")).get_all_permissions()
    assert "_kb_access_query" in connections[DEFAULT_DB_ALIAS].__dict__

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert "_kb_access_query" not in connections[DEFAULT_DB_ALIAS].__dict__
    assert fresh(account("analyst")).has_perm("claims.flag_contradiction")
