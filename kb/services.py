"""Writes to the entity graph (entities and their aliases) and to accounts and their roles."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from kb.models import Entity, EntityAlias


@transaction.atomic
def entity_create(
    *,
    key: str,
    kind: str,
    name: str,
    aliases: list[str] | tuple[str, ...] = (),
    description: str = "",
    country: str = "",
    wikidata: str = "",
) -> Entity:
    """Create an entity with its aliases; raises ValidationError on bad fields."""
    entity = Entity(
        key=key, kind=kind, name=name, description=description, country=country, wikidata=wikidata
    )
    entity.full_clean()
    entity.save()
    entity_set_aliases(entity=entity, aliases=aliases)
    return entity


@transaction.atomic
def entity_save(*, entity: Entity) -> Entity:
    """Validate and save a new or changed entity, recorded in its history.

    The admin's kind sections hand in proxies of Entity (a Base, an Official); history is kept
    for Entity itself, so a proxy is saved as the Entity it stands for.
    """
    row = entity
    if type(entity) is not Entity:
        row = Entity()
        row.__dict__.update({k: v for k, v in entity.__dict__.items() if k != "_state"})
        row._state.adding, row._state.db = entity._state.adding, entity._state.db
    row.full_clean()
    row.save()
    if row is not entity:
        entity.pk, entity._state.adding = row.pk, False
        entity.created_at, entity.updated_at = row.created_at, row.updated_at
    return entity


@transaction.atomic
def entity_set_aliases(*, entity: Entity, aliases: list[str] | tuple[str, ...]) -> None:
    """Make the entity's aliases exactly `aliases` (duplicates and its own name dropped)."""
    wanted = unique_aliases(entity.name, aliases)
    existing = {alias.name: alias for alias in entity.aliases.all()}
    for name, alias in existing.items():
        if name not in wanted:
            alias.delete()
    for name in wanted:
        if name not in existing:
            alias = EntityAlias(entity=entity, name=name)
            alias.full_clean()
            alias.save()


def unique_aliases(name: str, aliases) -> list[str]:
    """The aliases stripped, without blanks, repeats or the entity's own name, in order."""
    seen = {name}
    result = []
    for alias in aliases:
        alias = alias.strip()
        if alias and alias not in seen:
            seen.add(alias)
            result.append(alias)
    return result


# Accounts and roles. A role is a group that may write; a researcher is any account without one.
ROLES = {"analyst": "Analyst", "editor": "Editor", "researcher": None}


@transaction.atomic
def account_create(*, username: str, email: str, role: str, password: str):
    """An ordinary account with `role`: staff with the role's group for analysts and editors,
    neither for researchers; never a superuser. Raises ValidationError on a bad username."""
    user = get_user_model()(username=username, email=email, is_staff=ROLES[role] is not None)
    user.set_password(password)
    user.full_clean()
    user.save()
    if ROLES[role] is not None:
        user.groups.add(Group.objects.get(name=ROLES[role]))
    return user


@transaction.atomic
def role_grant(*, user, role: str) -> None:
    """Give an account a writing role: its group, and staff status to reach the admin."""
    user.groups.add(Group.objects.get(name=ROLES[role]))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


@transaction.atomic
def role_revoke(*, user, role: str) -> None:
    """Take a writing role away (staff status stays: other roles may need it)."""
    user.groups.remove(Group.objects.get(name=ROLES[role]))
