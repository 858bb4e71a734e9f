"""The pages of analysts, editors and readers."""

from __future__ import annotations

from django.urls import path

from claims import views

urlpatterns = [
    path("", views.home, name="home"),
    path("contradictions/", views.queue, name="queue"),
    path("contradictions/<int:pk>/", views.contradiction_detail, name="contradiction"),
    path("entities/<int:pk>/", views.entity_detail, name="entity"),
    path("entities/autocomplete/", views.entity_autocomplete, name="entity_autocomplete"),
    path("sources/ingest/", views.ingest, name="ingest"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("sources/<int:pk>/candidates/", views.source_candidates, name="candidates"),
]
