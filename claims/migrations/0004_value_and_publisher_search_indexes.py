"""GIN indexes for the site's search box (PostgreSQL only; SQLite searches substrings).

The search box also looks in a claim's value as written and a publisher's name. Each index is
on exactly the expression the search uses, to_tsvector('english', column), as in
0003_search_indexes, so that no search walks the claims or publishers table.
"""

from django.db import migrations

INDEXES = [
    ("claim_value_as_written_search_idx", "claims_claim", "value_as_written"),
    ("publisher_name_search_idx", "sources_publisher", "name"),
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
        ("claims", "0003_search_indexes"),
        ("sources", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
