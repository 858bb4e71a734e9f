"""The read API's attributes, claims, contradictions and entity facts."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.validators import EMPTY_VALUES
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import NotFound, ValidationError

from claims.api_rows import (
    ATTRIBUTE_COLUMNS,
    attribute_data,
    claims_data,
    contradictions_data,
    entity_facts_data,
    every_claim_values,
    every_contradiction_values,
)
from claims.filters import AttributeFilter, ClaimFilter, ContradictionFilter, EntityFactsFilter
from claims.models import Attribute, Claim, Contradiction
from claims.serializers import (
    AttributeSerializer,
    ClaimSerializer,
    ContradictionSerializer,
    EntityFactsSerializer,
    FactRowSerializer,
)
from kb.api.pagination import orderings
from kb.api.renderers import csv_columns
from kb.api.viewsets import ReadOnlyAPIViewSet
from kb.models import Entity, EntityAlias
from kb.selectors import entity_by_id
from sources.models import Publisher, Source

# Every model a claim shows something of: its ETag changes when any of them does.
CLAIM_MODELS = (Claim, Contradiction, Source, Publisher, Entity, EntityAlias, Attribute)


@extend_schema_view(
    list=extend_schema(summary="Attributes", description="The properties claims give values for."),
    retrieve=extend_schema(summary="One attribute, by code"),
)
class AttributeViewSet(ReadOnlyAPIViewSet):
    serializer_class = AttributeSerializer
    filterset_class = AttributeFilter
    version_models = (Attribute,)
    lookup_field = "code"
    csv_header = csv_columns(AttributeSerializer)

    def get_queryset(self):
        # Column values: AttributeSerializer is the schema, attribute_data the rows.
        return Attribute.objects.values(*ATTRIBUTE_COLUMNS)

    def represent(self, rows: list) -> list:
        return [attribute_data(SimpleNamespace(**row)) for row in rows]

    def represent_one(self, row: dict) -> dict:
        return attribute_data(SimpleNamespace(**row))


@extend_schema_view(
    list=extend_schema(
        summary="Claims",
        description="One statement by one source each: subject, attribute, value, dates, the "
        "verbatim quote, grades, the contradictions it stands in, and the independent sources "
        "giving the same value.",
    ),
    retrieve=extend_schema(summary="One claim"),
)
class ClaimViewSet(ReadOnlyAPIViewSet):
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    version_models = CLAIM_MODELS
    orderings = orderings("id", "claimed_on")
    csv_header = csv_columns(ClaimSerializer)

    def get_queryset(self):
        # Column values, not claims: ClaimSerializer is the schema, claims_data the rows.
        return every_claim_values()

    def represent(self, rows: list) -> list:
        return claims_data(rows)

    def represent_one(self, row: dict) -> dict:
        return claims_data([row])[0]


@extend_schema_view(
    list=extend_schema(
        summary="Contradictions",
        description="Claims on one subject and attribute that cannot all be true, their "
        "positions side by side with every claim in full and the independent sources behind "
        "each, how the contradiction came about (detected or flagged by hand), and every "
        "decision on it. Withdrawn ones (whose claims no longer conflict) are left out unless "
        "`withdrawn` asks for them.",
    ),
    retrieve=extend_schema(summary="One contradiction, withdrawn or not"),
)
class ContradictionViewSet(ReadOnlyAPIViewSet):
    serializer_class = ContradictionSerializer
    filterset_class = ContradictionFilter
    version_models = CLAIM_MODELS

    def get_queryset(self):
        # Column values: ContradictionSerializer is the schema, contradictions_data the rows.
        return every_contradiction_values()

    def represent(self, rows: list) -> list:
        return contradictions_data(rows)

    def represent_one(self, row: dict) -> dict:
        return contradictions_data([row])[0]

    def filter_queryset(self, queryset):
        # A withdrawn contradiction stays reachable by its id.
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)


# The facts CSV's columns: a FactRowSerializer flattened, less the claim's subject and attribute,
# which the row's entity and attribute already give.
FACT_CSV_COLUMNS = tuple(
    column
    for column in csv_columns(FactRowSerializer)
    if not column.startswith(("claim.subject.", "claim.attribute."))
)


class EntityFactsViewSet(ReadOnlyAPIViewSet):
    """GET /api/v1/entities/{id}/facts/: everything known of one entity, in one request."""

    serializer_class = EntityFactsSerializer
    version_models = CLAIM_MODELS
    pagination_class = None
    filterset_class = None
    csv_header = FACT_CSV_COLUMNS

    @extend_schema(
        summary="An entity's facts",
        description="Per attribute: the best value, every value with its claims and sources, "
        "and the state of the attribute's contradictions. The time and trust filters narrow "
        "the claims considered. As CSV (`format=csv`): one row per claim (entity, attribute, "
        "value, whether it is the best value, holds and is contested, then the claim and its "
        "source), for a spreadsheet.",
        parameters=[
            OpenApiParameter(name, str, description=facts_filter.extra.get("help_text", ""))
            for name, facts_filter in EntityFactsFilter.base_filters.items()
        ],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def accepted_parameters(self) -> set[str]:
        return super().accepted_parameters() | set(EntityFactsFilter.base_filters)

    def get_queryset(self):
        return Entity.objects.all()

    def get_object(self):
        """The entity and its claims as the filters narrow them (validated once)."""
        entity = entity_by_id(self.kwargs["pk"])
        if entity is None:
            raise NotFound("No entity has that id.")
        filterset = EntityFactsFilter(
            self.request.query_params, queryset=Claim.objects.filter(subject=entity),
            request=self.request,
        )  # fmt: skip
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        # With no filter chosen, all of them (None): chosen by the entity's id alone, they are
        # read in one prepared statement (claims.api_rows.entity_fact_rows).
        cleaned = filterset.form.cleaned_data.values()
        chosen = any(value not in EMPTY_VALUES for value in cleaned)
        return entity, filterset.qs if chosen else None

    def represent_one(self, found) -> dict | list:
        # EntityFactsSerializer's representation, or FactRowSerializer's rows for the CSV.
        entity, claims = found
        as_rows = getattr(self.request.accepted_renderer, "format", None) == "csv"
        return entity_facts_data(entity, claims, as_rows=as_rows)
