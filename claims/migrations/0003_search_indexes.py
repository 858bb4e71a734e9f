"""GIN indexes for the API's full-text search (PostgreSQL only; SQLite searches substrings).

A GIN index cannot span a join, so each searched column gets its own, on exactly the
expression the API's filters use: to_tsvector('english', column). They live in one migration
of the claims app because the claims search (quote, source title, subject name and aliases)
is the one that needs them all; the entity and source searches use them too.
"""

from django.db import migrations

INDEXES = [
    ("claim_quote_search_idx", "claims_claim", "quote"),
    ("source_title_search_idx", "sources_source", "title"),
    ("entity_name_search_idx", "kb_entity", "name"),
    ("alias_name_search_idx", "kb_entityalias", "name"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('english'::regconfig, {column}))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
