"""grant_role: making a user an analyst or an editor from the command line."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_grant_role_makes_a_user_an_editor_with_staff_status(django_user_model):
    user = django_user_model.objects.create_user("alice")

    call_command("grant_role", "alice", "editor", stdout=io.StringIO())

    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("claims.resolve_contradiction")


def test_grant_role_revoke_takes_the_role_away(django_user_model):
    user = django_user_model.objects.create_user("alice")
    call_command("grant_role", "alice", "analyst", stdout=io.StringIO())

    call_command("grant_role", "alice", "analyst", "--revoke", stdout=io.StringIO())

    user = django_user_model.objects.get(pk=user.pk)
    assert not user.has_perm("claims.flag_contradiction")


def test_an_unknown_role_or_user_is_a_clear_error(django_user_model):
    django_user_model.objects.create_user("alice")

    with pytest.raises(CommandError, match='Unknown role "boss"'):
        call_command("grant_role", "alice", "boss")
    with pytest.raises(CommandError, match='No user "bob"'):
        call_command("grant_role", "bob", "editor")
