"""The /api/ URL tree: version 1 of the read API, its OpenAPI schema and documentation."""

from __future__ import annotations

from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from claims.viewsets import AttributeViewSet, ClaimViewSet, ContradictionViewSet, EntityFactsViewSet
from kb.api.errors import not_found
from kb.viewsets import EntityViewSet
from sources.viewsets import SourceViewSet

router = DefaultRouter()
router.register("sources", SourceViewSet, basename="source")
router.register("entities", EntityViewSet, basename="entity")
router.register("attributes", AttributeViewSet, basename="attribute")
router.register("claims", ClaimViewSet, basename="claim")
router.register("contradictions", ContradictionViewSet, basename="contradiction")


urlpatterns = [
    path(
        "v1/entities/<int:pk>/facts/",
        EntityFactsViewSet.as_view({"get": "retrieve"}),
        name="entity-facts",
    ),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script is served as a file (docs/?script=), not inline, so that the
    # Content-Security-Policy needs no 'unsafe-inline' for scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Redoc always shows its maker's logo from cdn.redoc.ly: its old address leads to Swagger UI.
    path("redoc/", RedirectView.as_view(pattern_name="api-docs"), name="api-redoc"),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^.*$", not_found),
]
