"""An account's roles and its permissions' ids in at most one row each role and one row in all,
PostgreSQL only (kb.auth).

kb.0005's function gives a row per permission: some sixty for an editor, each parsed into a
tuple of fourteen columns at every signed-in request. This one gives the permissions' ids
joined in one text ("12,13,40"), none for an account without any. It is a function of its
own, beside kb.0005's, so that a process still running the code of before reads what it read.
"""

from django.db import migrations

GRANTS = """
CREATE OR REPLACE FUNCTION kb_account_grants(account bigint)
RETURNS TABLE (kind text, permission integer, name text) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT 'role'::text, NULL::integer, CAST(g.name AS text)
      FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
     WHERE ug.user_id = account
    UNION ALL
    SELECT 'permissions'::text, NULL::integer, string_agg(CAST(held.id AS text), ',')
      FROM (SELECT up.permission_id AS id
              FROM auth_user_user_permissions up WHERE up.user_id = account
            UNION ALL
            SELECT gp.permission_id
              FROM auth_group_permissions gp JOIN auth_user_groups ug ON ug.group_id = gp.group_id
             WHERE ug.user_id = account) held
    HAVING count(*) > 0;
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRANTS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION kb_account_grants(bigint);")


class Migration(migrations.Migration):
    dependencies = [("kb", "0005_account_access_function")]

    operations = [migrations.RunPython(forwards, backwards)]
