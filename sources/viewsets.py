"""The read API's sources."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from kb.api.pagination import orderings
from kb.api.renderers import csv_columns
from kb.api.rows import source_values, sources_data
from kb.api.viewsets import ReadOnlyAPIViewSet
from sources.filters import SourceFilter
from sources.models import Publisher, Source
from sources.serializers import SourceSerializer


@extend_schema_view(
    list=extend_schema(summary="Sources", description="The documents claims are taken from."),
    retrieve=extend_schema(summary="One source"),
)
class SourceViewSet(ReadOnlyAPIViewSet):
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    version_models = (Source, Publisher)
    orderings = orderings("id", "published_on")
    csv_header = csv_columns(SourceSerializer)

    def get_queryset(self):
        # Column values: SourceSerializer is the schema, sources_data the rows.
        return source_values(Source.objects.all())

    def represent(self, rows: list) -> list:
        return sources_data(rows)

    def represent_one(self, row: dict) -> dict:
        return sources_data([row])[0]
