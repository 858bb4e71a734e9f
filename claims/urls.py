"""The pages of analysts, editors and readers."""

from __future__ import annotations

from django.urls import path

from claims import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("entities/", views.entity_list, name="entities"),
    path("entities/<int:pk>/", views.entity_detail, name="entity"),
    path("entities/autocomplete/", views.entity_autocomplete, name="entity_autocomplete"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("contradictions/", views.queue, name="queue"),
    path("contradictions/<int:pk>/", views.contradiction_detail, name="contradiction"),
    path("sources/", views.source_index, name="sources"),
    path("sources/ingest/", views.ingest, name="ingest"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("sources/<int:pk>/candidates/", views.source_candidates, name="candidates"),
    path("publishers/<int:pk>/", views.publisher_detail, name="publisher"),
]
