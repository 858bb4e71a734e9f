"""The data's version read through functions (kb.api.caching.data_version), PostgreSQL only.

The version is the counter of kb.0003 and the newest row of each history table the response
shows: nine small subqueries, which PostgreSQL plans afresh at each request (0.2 ms, twice what
running them costs). Each is here a PL/pgSQL function, whose query is planned once per
connection; data_version calls them when they are there and sends the plain query when not
(SQLite, or a database not yet migrated). STABLE: they read the snapshot of the query that
calls them, as the subqueries did.
"""

from importlib import import_module

from django.db import migrations

HISTORY_TABLES = import_module("kb.migrations.0003_data_version").HISTORY_TABLES

COUNTER = """
CREATE OR REPLACE FUNCTION kb_newest_kb_dataversion() RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CAST(version AS TEXT) || ' ' || COALESCE(CAST(changed_at AS TEXT), '')
              FROM kb_dataversion WHERE id = 1);
END $$;
"""

NEWEST = """
CREATE OR REPLACE FUNCTION kb_newest_{table}() RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CAST(history_id AS TEXT) || ' ' || CAST(history_date AS TEXT)
              FROM {table} ORDER BY history_id DESC LIMIT 1);
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(COUNTER)
    for table in HISTORY_TABLES:
        schema_editor.execute(NEWEST.format(table=table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("kb_dataversion", *HISTORY_TABLES):
        schema_editor.execute(f"DROP FUNCTION kb_newest_{table}();")


class Migration(migrations.Migration):
    dependencies = [("kb", "0003_data_version")]

    operations = [migrations.RunPython(forwards, backwards)]
