"""The read API's attributes, claims, contradictions and entity facts."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError

from claims.facts import entity_facts
from claims.filters import AttributeFilter, ClaimFilter, ContradictionFilter, EntityFactsFilter
from claims.models import Attribute, Claim, Contradiction
from claims.selectors import (
    attach_positions,
    attribute_list,
    claim_list,
    contradiction_list,
)
from claims.serializers import (
    AttributeSerializer,
    ClaimSerializer,
    ContradictionSerializer,
    EntityFactsSerializer,
)
from kb.api.pagination import orderings
from kb.api.renderers import csv_columns
from kb.api.viewsets import ReadOnlyAPIViewSet
from kb.models import Entity, EntityAlias
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
        return attribute_list()


@extend_schema_view(
    list=extend_schema(
        summary="Claims",
        description="One statement by one source each: subject, attribute, value, dates, the "
        "verbatim quote, grades, and the open contradictions it stands in.",
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
        return claim_list()


@extend_schema_view(
    list=extend_schema(
        summary="Contradictions",
        description="Claims on one subject and attribute that cannot all be true, their "
        "positions side by side with every claim in full. Withdrawn ones (whose claims no "
        "longer conflict) are left out unless `withdrawn` asks for them.",
    ),
    retrieve=extend_schema(summary="One contradiction, withdrawn or not"),
)
class ContradictionViewSet(ReadOnlyAPIViewSet):
    serializer_class = ContradictionSerializer
    filterset_class = ContradictionFilter
    version_models = CLAIM_MODELS

    def get_queryset(self):
        return contradiction_list()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        attach_positions(page)
        return page

    def get_object(self):
        contradiction = super().get_object()
        attach_positions([contradiction])
        return contradiction

    def filter_queryset(self, queryset):
        # A withdrawn contradiction stays reachable by its id.
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)


class EntityFactsViewSet(ReadOnlyAPIViewSet):
    """GET /api/v1/entities/{id}/facts/: everything known of one entity, in one request."""

    serializer_class = EntityFactsSerializer
    version_models = CLAIM_MODELS
    pagination_class = None
    filterset_class = None
    csv_header = None

    @extend_schema(
        summary="An entity's facts",
        description="Per attribute: the best value, every value with its claims and sources, "
        "and the state of the attribute's contradictions. The time and trust filters narrow "
        "the claims considered.",
        parameters=[
            OpenApiParameter(name, str, description=facts_filter.extra.get("help_text", ""))
            for name, facts_filter in EntityFactsFilter.base_filters.items()
        ],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def get_queryset(self):
        return Entity.objects.all()

    def get_object(self):
        entity = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        claims = claim_list().filter(subject=entity)
        filterset = EntityFactsFilter(
            self.request.query_params, queryset=claims, request=self.request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return {"entity": entity, "facts": entity_facts(entity, filterset.qs)}
