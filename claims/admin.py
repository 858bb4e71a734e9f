"""The admin for attributes and claims, and the claims inline under their source."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from claims.display import claim_interval_display, claim_value_display
from claims.filters import CREDIBILITY_CHOICES
from claims.forms import ClaimForm
from claims.models import Attribute, Claim, Contradiction, ContradictionClaim, EntityMerge
from claims.selectors import attributes_with_claim_totals, claim_for_update, claims_for_inline
from claims.services import (
    attribute_create,
    attribute_update,
    claim_create,
    claim_delete,
    claim_update,
    entity_merge,
    entity_merge_undo,
    source_save_with_quotes,
)
from claims.services.attributes import ATTRIBUTE_FIELDS, attribute_update_check
from kb.admin import EntityAdmin
from kb.history import GuardedHistoryAdmin
from kb.models import Entity
from sources.admin import SourceAdmin
from sources.models import Source

# The admin form's fields that are copied onto the claim as they are.
PLAIN_FIELDS = ("key", "subject", "attribute", "source", "quote", "credibility", "rank", "notes")


def may_set_rank(user) -> bool:
    """Ranks are an editor's decision: who may set them on a form."""
    return user.has_perm("claims.resolve_contradiction")


def claim_save_from_form(form: ClaimForm, user) -> Claim:
    """Create or update the form's claim through the services.

    Only the fields the form shows are written: a field it leaves out (the rank, for an
    analyst) keeps its stored value, even when the form was filled from an older version.
    """
    data = form.cleaned_data
    fields = {name: data[name] for name in PLAIN_FIELDS if name in data}
    dates = {name: data.get(name) for name in ("valid_from", "valid_to", "claimed_on")}
    if form.instance.pk is None:
        return claim_create(
            **fields,
            **dates,
            value=data["value"],
            value_as_written=data["value_as_written"],
            user=user,
        )
    return claim_update(
        claim=claim_for_update(form.instance.pk),
        user=user,
        value=data["value"],
        value_as_written=data["value_as_written"],
        **fields,
        **dates,
    )


@admin.register(Attribute)
class AttributeAdmin(GuardedHistoryAdmin):
    class Form(forms.ModelForm):
        """Shows, on its field, why a change would break the attribute's claims: the rule is
        the service's (attribute_update_check), asked before the admin saves."""

        def attribute_data(self) -> dict:
            return {
                name: self.cleaned_data[name]
                for name in ATTRIBUTE_FIELDS
                if name in self.cleaned_data
            }

        def clean(self):
            cleaned = super().clean()
            if self.instance.pk is not None and not self.errors:
                attribute_update_check(attribute=self.instance, data=self.attribute_data())
            return cleaned

    form = Form
    list_display = [
        "label",
        "code",
        "value_type",
        "unit",
        "single_valued",
        "time_varying",
        "claim_count",
    ]
    list_filter = ["value_type", "single_valued", "time_varying"]
    search_fields = ["label", "code", "description"]
    ordering = ["code", "id"]

    def get_queryset(self, request):
        return attributes_with_claim_totals(super().get_queryset(request))

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, attribute: Attribute) -> int:
        return attribute.claim_total

    def service_save(self, request, obj, form, change):
        if change:
            attribute_update(attribute=obj, data=form.attribute_data(), user=request.user)
            return
        attribute = attribute_create(**form.attribute_data(), user=request.user)
        # The admin goes on with `obj` (its log entry, its "Save and continue" link).
        for field in Attribute._meta.concrete_fields:
            setattr(obj, field.attname, getattr(attribute, field.attname))
        obj._state.adding = False


class CredibilityFilter(admin.SimpleListFilter):
    """The Admiralty scale's grades, 1 to 6, listed from the scale: the field's own filter read
    the grades in use with a DISTINCT over every claim (130 ms a page at a million claims)."""

    title = "credibility"
    parameter_name = "credibility__exact"  # the field filter's, so that links keep working

    def lookups(self, request, model_admin):
        return CREDIBILITY_CHOICES

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in dict(CREDIBILITY_CHOICES):
            raise IncorrectLookupParameters(f"credibility {value!r} is not on the scale")
        return queryset.filter(credibility=int(value))


@admin.register(Claim)
class ClaimAdmin(GuardedHistoryAdmin):
    form = ClaimForm
    list_display = [
        "subject",
        "attribute",
        "value_display",
        "source",
        "claimed_on",
        "credibility",
        "rank",
    ]
    list_filter = [
        "quote_status",
        "rank",
        CredibilityFilter,
        "attribute",
        "subject__kind",
        "source__kind",
        "value_type",
    ]
    list_select_related = ["subject", "attribute", "source", "entity_value"]
    search_fields = ["key", "quote", "subject__name", "source__title", "value_as_written"]
    autocomplete_fields = ["subject", "source", "entity_value", "attribute"]
    date_hierarchy = "claimed_on"
    ordering = ["-claimed_on", "-id"]
    readonly_fields = ["normalised", "created_by", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["key", "subject", "attribute", "value_text", "entity_value", "normalised"]},
        ),
        ("Source", {"fields": ["source", "quote", "credibility"]}),
        ("When", {"fields": ["valid_from_text", "valid_to_text", "claimed_on_text"]}),
        ("Review", {"fields": ["rank", "notes", "created_by", "created_at", "updated_at"]}),
    ]

    @admin.display(description="value")
    def value_display(self, claim: Claim) -> str:
        return claim_value_display(claim)

    @admin.display(description="normalised")
    def normalised(self, claim: Claim) -> str:
        return claim_interval_display(claim) if claim.pk else "-"

    def get_readonly_fields(self, request, obj=None):
        return rank_readonly(request, super().get_readonly_fields(request, obj))

    def service_save(self, request, obj, form, change):
        claim = claim_save_from_form(form, request.user)
        # The admin goes on with `obj` (its "Save and continue editing" link, its log entry):
        # give it the stored row's columns, primary key included.
        for field in Claim._meta.concrete_fields:
            setattr(obj, field.attname, getattr(claim, field.attname))
        obj._state.adding = False
        form.instance = obj

    def delete_model(self, request, obj):
        claim_delete(claim=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for claim in queryset:
            claim_delete(claim=claim, user=request.user)


def rank_readonly(request, readonly) -> list[str]:
    """The read-only fields of a claim form, with the rank for those who may not set it."""
    readonly = list(readonly)
    if not may_set_rank(request.user):
        readonly.append("rank")
    return readonly


class ClaimInline(admin.StackedInline):
    model = Claim
    form = ClaimForm
    extra = 0
    show_change_link = True
    autocomplete_fields = ["subject", "attribute", "entity_value"]
    fields = [
        ("key", "subject", "attribute"),
        ("value_text", "entity_value"),
        "quote",
        ("credibility", "rank"),
        ("valid_from_text", "valid_to_text", "claimed_on_text"),
    ]

    def get_queryset(self, request):
        return claims_for_inline(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return rank_readonly(request, super().get_readonly_fields(request, obj))


class SourceWithClaimsAdmin(SourceAdmin):
    """The source admin with its claims inline (claims build on sources, not the reverse)."""

    inlines = [ClaimInline]

    def service_save(self, request, obj, form, change):
        source_save_with_quotes(source=obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Claim:
            return super().save_formset(request, form, formset, change)
        # What Django's change message reads, filled as the claims go through the services.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = set(map(id, formset.deleted_forms)) if formset.can_delete else set()
        for claim_form in formset.forms:
            instance = claim_form.instance
            if id(claim_form) in deleted:
                if instance.pk:
                    claim_delete(claim=instance, user=request.user)
                    formset.deleted_objects.append(instance)
                continue
            if not claim_form.has_changed():
                continue
            claim_form.cleaned_data["source"] = form.instance
            claim = claim_save_from_form(claim_form, request.user)
            if instance.pk:
                formset.changed_objects.append((claim, claim_form.changed_data))
            else:
                formset.new_objects.append(claim)


admin.site.unregister(Source)
admin.site.register(Source, SourceWithClaimsAdmin)


class EntityWithMergeAdmin(EntityAdmin):
    """The entity admin with the merge action (merging moves claims, so it lives with claims)."""

    actions = ["merge_entities"]

    @admin.action(description="Merge selected duplicates into one", permissions=["change"])
    def merge_entities(self, request, queryset):
        entities = list(queryset.order_by("id"))
        if len(entities) < 2:
            self.message_user(request, "Select two or more entities to merge.", messages.WARNING)
            return None
        if "apply" not in request.POST:
            return TemplateResponse(
                request,
                "admin/kb/merge_entities.html",
                {**self.admin_site.each_context(request), "entities": entities,
                 "title": "Merge duplicate entities"},
            )  # fmt: skip
        keep = next((e for e in entities if str(e.pk) == request.POST.get("keep")), None)
        if keep is None:
            self.message_user(request, "Choose the entity to keep.", messages.ERROR)
            return None
        try:
            for duplicate in entities:
                if duplicate.pk != keep.pk:
                    entity_merge(duplicate=duplicate, into=keep, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        self.message_user(
            request, f"Merged {len(entities) - 1} entit{'y' if len(entities) == 2 else 'ies'} "
            f"into {keep.name}. Undo it from Entity merges.", messages.SUCCESS,
        )  # fmt: skip
        return None


admin.site.unregister(Entity)
admin.site.register(Entity, EntityWithMergeAdmin)


@admin.register(EntityMerge)
class EntityMergeAdmin(GuardedHistoryAdmin):
    list_display = ["duplicate", "into", "merged_at", "merged_by", "undone_at", "undone_by"]
    list_select_related = ["duplicate", "into", "merged_by", "undone_by"]
    list_filter = [("undone_at", admin.EmptyFieldListFilter)]
    ordering = ["-merged_at", "-id"]
    actions = ["undo_merges"]
    readonly_fields = [
        "duplicate",
        "into",
        "moved",
        "merged_at",
        "merged_by",
        "undone_at",
        "undone_by",
    ]

    # A merge changes only by its own undo: the action needs the change permission, a merge's
    # page is read-only, and its history is never reverted.
    history_revert = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Undo selected merges", permissions=["change"])
    def undo_merges(self, request, queryset):
        try:
            for merge in queryset.order_by("-merged_at", "-id"):
                entity_merge_undo(merge=merge, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(request, "The merges are undone.", messages.SUCCESS)


class MembershipInline(admin.TabularInline):
    model = ContradictionClaim
    extra = 0
    fields = ["position", "claim"]
    readonly_fields = ["position", "claim"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contradiction)
class ContradictionAdmin(GuardedHistoryAdmin):
    """Contradictions are decided on their side-by-side page; here they are listed and traced.

    They change only by decisions and detection, so the admin never writes one: no add, no
    change, no delete, no revert of a past version.
    """

    history_revert = False

    list_display = ["subject", "attribute", "status", "outcome", "origin", "detected_at", "page"]
    list_filter = ["status", "outcome", "origin", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["subject", "attribute"]
    search_fields = ["subject__name", "attribute__label", "note", "flag_note", "key"]
    ordering = ["-detected_at", "-id"]
    inlines = [MembershipInline]
    readonly_fields = [
        "key", "subject", "attribute", "origin", "status", "outcome", "note", "flag_note",
        "flagged_by", "detected_at", "resolved_at", "resolved_by", "reopened_at",
        "reopen_reason", "withdrawn_at", "withdrawn_reason", "version", "page",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="side by side")
    def page(self, contradiction: Contradiction) -> str:
        return format_html(
            '<a href="{}">open</a>', reverse("contradiction", args=[contradiction.pk])
        )
