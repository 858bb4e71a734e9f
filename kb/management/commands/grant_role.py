"""python manage.py grant_role USER ROLE: make a user an analyst or an editor."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

ROLES = {"analyst": "Analyst", "editor": "Editor"}


class Command(BaseCommand):
    help = (
        "Give USER the role ROLE (analyst or editor): the group of that name, and staff status "
        "so that they can use the admin. --revoke takes the role away."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help="analyst or editor")
        parser.add_argument("--revoke", action="store_true", help="take the role away")

    def handle(self, *args, username: str, role: str, revoke: bool, **options):
        if role.lower() not in ROLES:
            raise CommandError(f'Unknown role "{role}": use one of {", ".join(ROLES)}.')
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as error:
            raise CommandError(
                f'No user "{username}". Create one first: python manage.py createsuperuser '
                "or the admin's Users page."
            ) from error
        group = Group.objects.get(name=ROLES[role.lower()])
        if revoke:
            user.groups.remove(group)
            self.stdout.write(f"{username} is no longer {role.lower()}.")
            return
        user.groups.add(group)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        self.stdout.write(f"{username} is now {role.lower()}.")
