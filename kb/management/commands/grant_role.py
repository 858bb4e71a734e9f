"""python manage.py grant_role USER ROLE [--create]: make a user an analyst or an editor."""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kb.services import ROLES, account_create, role_grant, role_revoke

PASSWORD_VARIABLE = "KB_PASSWORD"
ATTEMPTS = 3

UNKNOWN_ROLE = 'Unknown role "{role}": use one of {roles}.'
NO_USER = (
    'No user "{username}". To create an ordinary account with this role: '
    "python manage.py grant_role {username} {role} --create"
)
USER_EXISTS = 'A user "{username}" already exists; drop --create to give them the role.'
NO_TERMINAL = (
    "No terminal to ask for the password. For a script, put it in the environment variable "
    f"{PASSWORD_VARIABLE} and add --password-from-env. No account was created."
)
NO_PASSWORD_IN_ENV = "{variable} is not set or is empty. No account was created."
EMPTY_PASSWORD = "The password must not be empty."
PASSWORDS_DIFFER = "The two passwords differ."
GIVEN_UP = "No acceptable password after {attempts} attempts. No account was created."
CANCELLED = "Cancelled. No account was created."
BAD_PASSWORD = "The password was refused: {reasons} No account was created."
RESEARCHER_IS_NO_GROUP = (
    "Every account may read, so researcher is not a role to grant or revoke: it is the kind of "
    "account --create makes with it. To take a writing role away: "
    "python manage.py grant_role {username} editor --revoke (or analyst)."
)
SUPERUSER = (
    "Note: {username} is a superuser and passes every permission check whatever the role. "
    "Roles restrict ordinary accounts: python manage.py grant_role NAME ROLE --create"
)


class Command(BaseCommand):
    stealth_options = ("stdin",)  # tests hand in a terminal
    help = (
        "Give USER the role ROLE (analyst or editor): the group of that name, and staff status "
        "so that they can use the admin. --revoke takes the role away. --create makes USER an "
        "ordinary account (not a superuser) with that role first, asking for the password "
        f"twice, or reading it from {PASSWORD_VARIABLE} with --password-from-env; the role "
        "researcher then makes an account that signs in only to read."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help="analyst, editor, or researcher (with --create)")
        parser.add_argument("--revoke", action="store_true", help="take the role away")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create USER as an ordinary account (staff for analyst and editor, never "
            "superuser); the password is asked for, never given on the command line",
        )
        parser.add_argument("--email", default="", help="with --create: the account's e-mail")
        parser.add_argument(
            "--password-from-env",
            action="store_true",
            help=f"with --create: read the password from the environment variable "
            f"{PASSWORD_VARIABLE} instead of asking; for scripts",
        )

    def handle(self, *args, username: str, role: str, revoke: bool, create: bool, **options):
        role = role.lower()
        if role not in ROLES:
            raise CommandError(UNKNOWN_ROLE.format(role=role, roles=", ".join(ROLES)))
        if create and revoke:
            raise CommandError("--create and --revoke do not go together.")
        self.stdin = options.get("stdin", sys.stdin)
        User = get_user_model()
        if create:
            if User.objects.filter(username=username).exists():
                raise CommandError(USER_EXISTS.format(username=username))
            user = User(username=username, email=options["email"])
            try:  # before asking for a password that would be typed in vain
                user.full_clean(exclude=["password"])
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            password = self._password(user, options["password_from_env"])
            try:
                account_create(
                    username=username, email=options["email"], role=role, password=password
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            where = "/accounts/login/ to read" if ROLES[role] is None else "/admin/"
            self.stdout.write(
                f"Created {username}, {role}: an ordinary account (not a superuser) that signs "
                f"in at {where}."
            )
            return
        if ROLES[role] is None:
            raise CommandError(RESEARCHER_IS_NO_GROUP.format(username=username))
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as error:
            raise CommandError(NO_USER.format(username=username, role=role)) from error
        if revoke:
            role_revoke(user=user, role=role)
            self.stdout.write(f"{username} is no longer {role}.")
            return
        role_grant(user=user, role=role)
        self.stdout.write(f"{username} is now {role}.")
        if user.is_superuser:
            self.stdout.write(SUPERUSER.format(username=username))

    def _password(self, user, from_env: bool) -> str:
        """The new account's password, checked by the project's password validators."""
        if from_env:
            password = os.environ.get(PASSWORD_VARIABLE, "")
            if not password:
                raise CommandError(NO_PASSWORD_IN_ENV.format(variable=PASSWORD_VARIABLE))
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                raise CommandError(BAD_PASSWORD.format(reasons=" ".join(error.messages))) from error
            return password
        if not (hasattr(self.stdin, "isatty") and self.stdin.isatty()):
            raise CommandError(NO_TERMINAL)
        for _ in range(ATTEMPTS):
            try:
                password = getpass.getpass("Password: ")
                again = getpass.getpass("Password (again): ")
            except (KeyboardInterrupt, EOFError) as error:
                raise CommandError(CANCELLED) from error
            if password != again:
                self.stderr.write(PASSWORDS_DIFFER)
                continue
            if not password:
                self.stderr.write(EMPTY_PASSWORD)
                continue
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password
        raise CommandError(GIVEN_UP.format(attempts=ATTEMPTS))
