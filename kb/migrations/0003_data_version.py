"""The data's version as its commits move it (kb.api.caching.data_version).

The newest history id of each table says when a write's rows became visible only if the writes
commit in the order they took their ids. On PostgreSQL they need not: a bundle import takes its
ids as it goes and commits minutes later, and an edit that took a higher id and committed in
between leaves the newest id where it is when the import commits. So every transaction that
adds history rows also moves one counter when it commits:

- each history table has a statement-level trigger that notes its transaction in
  kb_datachange (once per transaction, whatever the number of rows or COPYs);
- a deferred constraint trigger on kb_datachange runs at the transaction's commit: it adds one
  to kb_dataversion's counter, dated by the clock at that moment, and forgets the transaction.

The counter's row is locked only while its transaction commits. On SQLite one transaction
writes at a time, so the ids follow the commits: the table is made but no trigger moves it.
"""

from django.db import migrations

# Every history table (tests/kb/test_data_version.py checks that none is missing).
HISTORY_TABLES = (
    "claims_historicalattribute",
    "claims_historicalclaim",
    "claims_historicalcontradiction",
    "claims_historicalentitymerge",
    "kb_historicalentity",
    "kb_historicalentityalias",
    "kb_historicalentityrelation",
    "sources_historicalpublisher",
    "sources_historicalsource",
)

TABLES = (
    """CREATE TABLE kb_dataversion (
        id smallint PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL,
        changed_at timestamp with time zone NULL
    )""",
    "INSERT INTO kb_dataversion (id, version, changed_at) VALUES (1, 0, NULL)",
)

POSTGRESQL = """
CREATE TABLE kb_datachange (txid bigint PRIMARY KEY);

CREATE FUNCTION kb_datachange_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kb_datachange (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION kb_datachange_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE kb_dataversion SET version = version + 1, changed_at = clock_timestamp()
     WHERE id = 1;
    DELETE FROM kb_datachange WHERE txid = NEW.txid;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER kb_datachange_commit AFTER INSERT ON kb_datachange
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kb_datachange_commit();
"""

NOTE = (
    "CREATE TRIGGER kb_datachange_note AFTER INSERT ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION kb_datachange_note();"
)


def forwards(apps, schema_editor):
    for statement in TABLES:
        schema_editor.execute(statement)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
        for table in HISTORY_TABLES:
            schema_editor.execute(NOTE.format(table=schema_editor.quote_name(table)))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in HISTORY_TABLES:
            schema_editor.execute(
                f"DROP TRIGGER kb_datachange_note ON {schema_editor.quote_name(table)};"
            )
        schema_editor.execute(
            "DROP TABLE kb_datachange; DROP FUNCTION kb_datachange_commit(); "
            "DROP FUNCTION kb_datachange_note();"
        )
    schema_editor.execute("DROP TABLE kb_dataversion;")


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0002_entity_name_index"),
        ("claims", "0008_history_and_membership_indexes"),
        ("sources", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
