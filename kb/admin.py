"""The admin for the entity graph: one section per entity kind, aliases and relations inline."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from kb.models import KIND_PROXIES, Entity, EntityAlias, EntityRelation
from kb.selectors import entity_lookalikes
from kb.services import entity_save

admin.site.site_header = "Claim-tracking knowledge base"
admin.site.site_title = "Knowledge base"
admin.site.index_title = "Sources, entities and claims"


class AliasInline(admin.TabularInline):
    model = EntityAlias
    extra = 1


class RelationInline(admin.TabularInline):
    model = EntityRelation
    fk_name = "subject"
    extra = 0
    autocomplete_fields = ["object"]
    fields = [
        "kind", "object", "role", "valid_from", "valid_from_precision", "valid_to",
        "valid_to_precision", "notes",
    ]  # fmt: skip


LOOKALIKE = (
    "An entity with a name like this exists: {names}. Open it and add an alias instead, or tick "
    "'a different entity' to create this one anyway."
)


class EntityForm(forms.ModelForm):
    """The entity form; a new name close to an existing name or alias asks for confirmation."""

    different_entity = forms.BooleanField(
        required=False,
        label="A different entity",
        help_text="Tick to create it although an entity with a similar name exists.",
    )

    class Meta:
        model = Entity
        fields = ("kind", "name", "key", "description", "country", "wikidata")

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if self.instance.pk is None and name and not cleaned.get("different_entity"):
            lookalikes = entity_lookalikes(name)
            if lookalikes:
                names = ", ".join(
                    format_html(
                        '<a href="{}">{}</a> ({})',
                        reverse("admin:kb_entity_change", args=[x.entity.pk]),
                        x.entity.name,
                        x.name,
                    )
                    for x in lookalikes
                )
                raise forms.ValidationError(mark_safe(LOOKALIKE.format(names=names)))
        return cleaned


@admin.register(Entity)
class EntityAdmin(SimpleHistoryAdmin):
    form = EntityForm
    list_display = ["name", "kind", "key", "country", "alias_list", "claim_count"]
    list_filter = ["kind", "country", ("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key", "aliases__name"]
    ordering = ["name", "id"]
    inlines = [AliasInline, RelationInline]
    readonly_fields = ["merged_into", "created_at", "updated_at"]
    fields = [
        "kind",
        "name",
        "key",
        "description",
        "country",
        "wikidata",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        # One query for the page: counts annotated, aliases prefetched.
        return (
            super()
            .get_queryset(request)
            .annotate(claim_total=Count("claims", distinct=True))
            .prefetch_related("aliases")
        )

    @admin.display(description="aliases")
    def alias_list(self, entity: Entity) -> str:
        return ", ".join(alias.name for alias in entity.aliases.all())

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, entity: Entity) -> int:
        return entity.claim_total

    def save_model(self, request, obj, form, change):
        entity_save(entity=obj)


class KindEntityAdmin(EntityAdmin):
    """One kind's section: the kind is fixed, so it is neither a filter nor a field."""

    list_filter = ["country"]
    fields = [
        "name", "key", "different_entity", "description", "country", "wikidata", "merged_into",
        "created_at", "updated_at",
    ]  # fmt: skip

    def save_model(self, request, obj, form, change):
        obj.kind = self.model.KIND
        entity_save(entity=obj)


for proxy in KIND_PROXIES:
    admin.site.register(proxy, KindEntityAdmin)


@admin.register(EntityRelation)
class EntityRelationAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "kind", "object", "role", "valid_from", "valid_to"]
    list_filter = ["kind"]
    list_select_related = ["subject", "object"]
    search_fields = ["subject__name", "object__name", "role"]
    autocomplete_fields = ["subject", "object"]
    ordering = ["subject__name", "id"]
