"""The read API's entities."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from kb.api.pagination import orderings
from kb.api.renderers import csv_columns
from kb.api.rows import entities_data, entity_values
from kb.api.viewsets import ReadOnlyAPIViewSet
from kb.filters import EntityFilter
from kb.models import Entity, EntityAlias
from kb.serializers import EntitySerializer


@extend_schema_view(
    list=extend_schema(summary="Entities", description="Bases, agreements, officials, ..."),
    retrieve=extend_schema(summary="One entity"),
)
class EntityViewSet(ReadOnlyAPIViewSet):
    """The entities claims are about, with their aliases."""

    serializer_class = EntitySerializer
    filterset_class = EntityFilter
    version_models = (Entity, EntityAlias)
    orderings = orderings("id")
    csv_header = csv_columns(EntitySerializer)

    def get_queryset(self):
        # Column values: EntitySerializer is the schema, entities_data the rows.
        return entity_values(Entity.objects.all())

    def represent(self, rows: list) -> list:
        return entities_data(rows)

    def represent_one(self, row: dict) -> dict:
        return entities_data([row])[0]

    def filter_queryset(self, queryset):
        # A duplicate merged into another entity stays reachable by id, off the list.
        if self.action == "list":
            queryset = queryset.filter(merged_into__isnull=True)
        return super().filter_queryset(queryset)
