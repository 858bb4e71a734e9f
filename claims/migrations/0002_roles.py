"""The Analyst and Editor groups and their permissions (analysts may also list entity merges
and undo them, which takes the change permission on merges)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ANALYST = {
    "sources": ["source", "publisher"],
    "kb": [
        "entity", "entityalias", "entityrelation", "base", "agreement", "official",
        "organization", "place", "event", "program",
    ],
    "claims": ["attribute", "claim"],
}
ACTIONS = ("add", "change", "delete", "view")


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(app_label, codenames):
        return list(
            Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )

    analyst_perms = []
    for app_label, models in ANALYST.items():
        analyst_perms += perms(app_label, [f"{a}_{m}" for m in models for a in ACTIONS])
    analyst_perms += perms(
        "claims",
        ["view_contradiction", "flag_contradiction", "view_entitymerge", "change_entitymerge"],
    )
    editor_perms = analyst_perms + perms(
        "claims", ["change_contradiction", "resolve_contradiction"]
    )
    analyst, _ = Group.objects.get_or_create(name="Analyst")
    analyst.permissions.set(analyst_perms)
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.set(editor_perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Analyst", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("kb", "0001_initial"),
        ("sources", "0001_initial"),
        ("claims", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
