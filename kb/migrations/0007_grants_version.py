"""A version of everyone's roles and permissions, PostgreSQL only (kb.auth).

Every signed-in request read its account's roles and permissions (kb.0006's function) with
its session, though they change only when an administrator changes a role, a group or an
account's permissions. kb_grants_version holds one value, drawn afresh by a trigger after
any statement that writes the tables they are read from: a worker keeps each account's roles
and permissions with the version it read them at, and the function runs only when the
version it holds is no longer the one in the table (read in the same statement, so the two
always agree). A value is drawn at random, never counted: after a rolled-back change the
table holds the value of before, which no worker kept anything else under.
"""

from django.db import migrations

# The tables an account's roles and permissions are read from (kb_account_grants).
TABLES = ("auth_group", "auth_user_groups", "auth_group_permissions", "auth_user_user_permissions")

FORWARDS = [
    "CREATE TABLE kb_grants_version (version uuid NOT NULL);",
    "INSERT INTO kb_grants_version VALUES (gen_random_uuid());",
    """
    CREATE FUNCTION kb_grants_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE kb_grants_version SET version = gen_random_uuid();
        RETURN NULL;
    END $$;
    """,
    *(
        f"CREATE TRIGGER kb_grants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION kb_grants_changed();"
        for table in TABLES
    ),
]

BACKWARDS = [
    *(f"DROP TRIGGER kb_grants_changed ON {table};" for table in TABLES),
    "DROP FUNCTION kb_grants_changed();",
    "DROP TABLE kb_grants_version;",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("kb", "0006_account_grants_function"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(forwards, backwards)]
