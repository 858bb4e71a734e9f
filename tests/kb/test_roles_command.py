"""grant_role --create: ordinary accounts with a role, which the role really restricts."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from kb.management.commands import grant_role

pytestmark = pytest.mark.django_db

GOOD = "callao-180-million"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def typed(monkeypatch):
    """What the person at the terminal types at each password prompt, in order."""
    answers: list[str] = []

    def getpass(prompt: str = "") -> str:
        if not answers:
            raise EOFError
        return answers.pop(0)

    monkeypatch.setattr(grant_role.getpass, "getpass", getpass)
    return answers


def create(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("grant_role", *args, "--create", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_create_makes_an_ordinary_editor_that_the_role_restricts(typed):
    typed.extend([GOOD, GOOD])

    out, _ = create("alice", "editor", stdin=Terminal())

    alice = get_user_model().objects.get(username="alice")
    assert alice.is_staff and not alice.is_superuser
    assert alice.check_password(GOOD)
    assert alice.has_perm("claims.resolve_contradiction")
    assert alice.has_perm("claims.change_claim")
    assert not alice.has_perm("auth.add_user")  # an editor is not an administrator
    assert "not a superuser" in out


def test_create_makes_an_analyst_who_may_curate_but_not_resolve(typed):
    typed.extend([GOOD, GOOD])

    create("ana", "analyst", stdin=Terminal())

    ana = get_user_model().objects.get(username="ana")
    assert ana.is_staff and not ana.is_superuser
    assert ana.has_perm("kb.add_entity") and ana.has_perm("claims.flag_contradiction")
    assert not ana.has_perm("claims.resolve_contradiction")


def test_create_makes_a_researcher_who_signs_in_but_writes_nothing(typed):
    typed.extend([GOOD, GOOD])

    out, _ = create("rita", "researcher", stdin=Terminal())

    rita = get_user_model().objects.get(username="rita")
    assert not rita.is_staff and not rita.is_superuser
    assert not rita.groups.exists()
    assert not rita.has_perm("kb.add_entity")
    assert "/accounts/login/" in out


def test_a_script_gives_the_password_in_the_environment_not_on_the_command_line(monkeypatch):
    monkeypatch.setenv("KB_PASSWORD", GOOD)

    create("bob", "analyst", "--password-from-env")

    assert get_user_model().objects.get(username="bob").check_password(GOOD)


def test_without_a_terminal_or_a_password_it_says_how_and_creates_nothing():
    with pytest.raises(CommandError, match="No terminal to ask for the password.*KB_PASSWORD"):
        create("bob", "editor", stdin=io.StringIO())

    assert not get_user_model().objects.filter(username="bob").exists()


def test_an_empty_password_in_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("KB_PASSWORD", "")

    with pytest.raises(CommandError, match="KB_PASSWORD is not set or is empty"):
        create("bob", "editor", "--password-from-env")

    assert not get_user_model().objects.filter(username="bob").exists()


def test_a_weak_password_in_the_environment_is_refused_by_the_validators(monkeypatch):
    monkeypatch.setenv("KB_PASSWORD", "12345678")

    with pytest.raises(CommandError, match="The password was refused: .*too common"):
        create("bob", "editor", "--password-from-env")

    assert not get_user_model().objects.filter(username="bob").exists()


def test_mismatched_and_empty_passwords_are_asked_again(typed):
    typed.extend(["first-try-1234", "first-try-1243", "", "", GOOD, GOOD])

    _, err = create("alice", "editor", stdin=Terminal())

    assert grant_role.PASSWORDS_DIFFER in err
    assert grant_role.EMPTY_PASSWORD in err
    assert get_user_model().objects.get(username="alice").check_password(GOOD)


def test_three_refused_passwords_create_nothing(typed):
    typed.extend(["a", "b", "", "", "password", "password"])

    with pytest.raises(CommandError, match="No acceptable password after 3 attempts"):
        create("alice", "editor", stdin=Terminal())

    assert not get_user_model().objects.filter(username="alice").exists()


def test_giving_up_at_the_prompt_creates_nothing(typed):
    with pytest.raises(CommandError, match="Cancelled. No account was created."):
        create("alice", "editor", stdin=Terminal())

    assert not get_user_model().objects.filter(username="alice").exists()


def test_create_refuses_an_existing_user_and_leaves_them_as_they_were(django_user_model):
    django_user_model.objects.create_user("alice", password="old-password-1234")

    with pytest.raises(CommandError, match='A user "alice" already exists; drop --create'):
        create("alice", "editor", stdin=Terminal())

    alice = django_user_model.objects.get(username="alice")
    assert alice.check_password("old-password-1234") and not alice.groups.exists()


def test_create_refuses_an_unknown_role_or_a_bad_username_before_asking_for_a_password(typed):
    with pytest.raises(CommandError, match='Unknown role "boss": use one of analyst, editor'):
        create("alice", "boss", stdin=Terminal())
    with pytest.raises(CommandError, match="Enter a valid username"):
        create("al ice", "editor", stdin=Terminal())

    assert not get_user_model().objects.exists()


def test_researcher_is_not_a_role_to_grant_to_an_existing_user(django_user_model):
    django_user_model.objects.create_user("alice")

    with pytest.raises(CommandError, match="Every account may read"):
        call_command("grant_role", "alice", "researcher")


def test_granting_a_role_to_a_superuser_says_that_it_restricts_nothing(django_user_model):
    django_user_model.objects.create_superuser("root", password="pw")
    out = io.StringIO()

    call_command("grant_role", "root", "editor", stdout=out)

    assert "passes every permission check" in out.getvalue()
