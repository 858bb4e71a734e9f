"""The admin for sources and publishers."""

from __future__ import annotations

from django.contrib import admin

from kb.history import GuardedHistoryAdmin
from sources.models import Publisher, Source
from sources.selectors import publishers_with_source_totals, sources_with_claim_totals
from sources.services import source_delete, source_save


@admin.register(Publisher)
class PublisherAdmin(GuardedHistoryAdmin):
    list_display = ["name", "default_reliability", "source_count"]
    list_filter = ["default_reliability"]
    search_fields = ["name"]
    ordering = ["name", "id"]

    def get_queryset(self, request):
        return publishers_with_source_totals(super().get_queryset(request))

    @admin.display(description="sources", ordering="source_total")
    def source_count(self, publisher: Publisher) -> int:
        return publisher.source_total


@admin.register(Source)
class SourceAdmin(GuardedHistoryAdmin):
    list_display = ["title", "publisher", "kind", "grade", "published_on", "claim_count"]
    list_filter = ["kind", "reliability", "publisher", "language"]
    search_fields = ["title", "key", "author", "publisher__name", "url"]
    autocomplete_fields = ["publisher", "derived_from"]
    date_hierarchy = "published_on"
    ordering = ["-published_on", "-id"]
    readonly_fields = ["text_sha256", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "key", "kind", "url", "publisher", "author", "language"]}),
        ("Date", {"fields": ["published_on", "published_on_precision"]}),
        ("Trust", {"fields": ["reliability", "derived_from"]}),
        ("Text", {"fields": ["text", "text_sha256", "notes"], "classes": ["collapse"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return sources_with_claim_totals(super().get_queryset(request))

    @admin.display(description="grade")
    def grade(self, source: Source) -> str:
        return source.grade

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, source: Source) -> int:
        return source.claim_total

    def service_save(self, request, obj, form, change):
        source_save(source=obj)

    def delete_model(self, request, obj):
        source_delete(source=obj)
