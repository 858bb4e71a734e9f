"""An account's roles and permissions read through a function (kb.auth), PostgreSQL only.

Every signed-in request reads its account with its roles and permissions (its own and its
groups'): one query of four parts, which PostgreSQL planned afresh at each request (0.35 ms, of
which the plan was most). The roles and permissions are here a PL/pgSQL function, whose query
is planned once per connection; kb.auth calls it when it is there and sends the plain query
when not (SQLite, a database not yet migrated). STABLE: it reads the snapshot of the query that
calls it.
"""

from django.db import migrations

ACCESS = """
CREATE OR REPLACE FUNCTION kb_account_access(account bigint)
RETURNS TABLE (kind text, permission integer, name text) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT 'role'::text, NULL::integer, CAST(g.name AS text)
      FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
     WHERE ug.user_id = account
    UNION ALL
    SELECT 'permission'::text, up.permission_id, NULL::text
      FROM auth_user_user_permissions up WHERE up.user_id = account
    UNION ALL
    SELECT 'permission'::text, gp.permission_id, NULL::text
      FROM auth_group_permissions gp JOIN auth_user_groups ug ON ug.group_id = gp.group_id
     WHERE ug.user_id = account;
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ACCESS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION kb_account_access(bigint);")


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0004_newest_history_functions"),
        # The tables the function reads.
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
