"""The admin for the entity graph: one section per entity kind, aliases and relations inline."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from kb.forms import EntityForm
from kb.history import GuardedHistoryAdmin
from kb.models import KIND_PROXIES, Entity, EntityAlias, EntityRelation
from kb.selectors import entities_for_admin_list
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


@admin.register(Entity)
class EntityAdmin(GuardedHistoryAdmin):
    form = EntityForm
    list_display = ["name", "kind", "key", "country", "alias_list", "claim_count", "merged_into"]
    list_filter = ["kind", "country", ("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key", "aliases__name"]
    ordering = ["name", "id"]
    inlines = [AliasInline, RelationInline]
    readonly_fields = ["merged_into", "created_at", "updated_at"]
    fields = [
        "kind",
        "name",
        "key",
        "different_entity",  # EntityForm's confirmation for a look-alike name
        "description",
        "country",
        "wikidata",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return entities_for_admin_list(super().get_queryset(request))

    @admin.display(description="aliases")
    def alias_list(self, entity: Entity) -> str:
        return ", ".join(alias.name for alias in entity.aliases.all())

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, entity: Entity) -> int:
        return entity.claim_total

    def service_save(self, request, obj, form, change):
        entity_save(entity=obj)


class KindEntityAdmin(EntityAdmin):
    """One kind's section: the kind is fixed, so it is neither a filter nor a field."""

    list_filter = ["country"]
    fields = [
        "name", "key", "different_entity", "description", "country", "wikidata", "merged_into",
        "created_at", "updated_at",
    ]  # fmt: skip

    def service_save(self, request, obj, form, change):
        obj.kind = self.model.KIND
        entity_save(entity=obj)


for proxy in KIND_PROXIES:
    admin.site.register(proxy, KindEntityAdmin)


@admin.register(EntityRelation)
class EntityRelationAdmin(GuardedHistoryAdmin):
    list_display = ["subject", "kind", "object", "role", "valid_from", "valid_to"]
    list_filter = ["kind"]
    list_select_related = ["subject", "object"]
    search_fields = ["subject__name", "object__name", "role"]
    autocomplete_fields = ["subject", "object"]
    ordering = ["subject__name", "id"]


class AccountAdmin(UserAdmin):
    """Accounts are the administrators' (superusers'): sign-in dates are kept, not typed."""

    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AccountAdmin)
