"""The read API's entities and sources as plain dicts: read as column values (one values()
query a page, the aliases of a page's entities in one more) and written out in the
representation kb/serializers.py and sources/serializers.py declare, without a model instance
or a serializer field a row. The serializers stay the OpenAPI schema and the CSV columns;
tests/api/test_contract_equivalence.py checks that both give the same."""

from __future__ import annotations

from kb.dates import iso_at_precision
from kb.models import EntityAlias
from sources.models import grade_in_force

# The columns of an entity the API shows (EntitySerializer's fields but its aliases).
ENTITY_COLUMNS = (
    "id", "key", "kind", "name", "description", "country", "wikidata", "merged_into_id",
)  # fmt: skip


def entity_values(queryset):
    """`queryset` (entities) as values() dicts of ENTITY_COLUMNS: one query when read."""
    return queryset.values(*ENTITY_COLUMNS)


def entities_data(rows: list[dict]) -> list[dict]:
    """Each entity as EntitySerializer writes it, its aliases by name: one query for the
    aliases of them all."""
    aliases: dict[int, list[str]] = {row["id"]: [] for row in rows}
    if aliases:
        found = (
            EntityAlias.objects.filter(entity_id__in=list(aliases))
            .order_by("name", "id")
            .values_list("entity_id", "name")
        )
        for entity_id, name in found:
            aliases[entity_id].append(name)
    return [
        {
            "id": row["id"],
            "key": row["key"],
            "kind": row["kind"],
            "name": row["name"],
            "aliases": aliases[row["id"]],
            "description": row["description"],
            "country": row["country"],
            "wikidata": row["wikidata"],
            "merged_into": row["merged_into_id"],
        }
        for row in rows
    ]


# The columns of a source the API shows (SourceSerializer's fields, the grade's two).
SOURCE_COLUMNS = (
    "id", "key", "title", "url", "publisher__name", "author", "published_on",
    "published_on_precision", "kind", "reliability", "publisher__default_reliability",
    "language", "text_sha256", "derived_from_id", "notes",
)  # fmt: skip


def source_values(queryset):
    """`queryset` (sources) as values() dicts of SOURCE_COLUMNS: one query when read (the
    stored full text is not read)."""
    return queryset.values(*SOURCE_COLUMNS)


def sources_data(rows: list[dict]) -> list[dict]:
    """Each source as SourceSerializer writes it."""
    return [
        {
            "id": row["id"],
            "key": row["key"],
            "title": row["title"],
            "url": row["url"],
            "publisher": row["publisher__name"],
            "author": row["author"],
            "published_on": iso_at_precision(row["published_on"], row["published_on_precision"]),
            "kind": row["kind"],
            "reliability": grade_in_force(
                row["reliability"], row["publisher__default_reliability"]
            ),
            "language": row["language"],
            "text_sha256": row["text_sha256"],
            "derived_from": row["derived_from_id"],
            "notes": row["notes"],
        }
        for row in rows
    ]
