"""Analysts and editors may list entity merges and undo them (the undo needs change)."""

from django.db import migrations

MERGE_PERMISSIONS = ["view_entitymerge", "change_entitymerge"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="claims", codename__in=MERGE_PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["Analyst", "Editor"]):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="claims", codename__in=MERGE_PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["Analyst", "Editor"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0006_api_search"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
