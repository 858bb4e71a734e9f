"""Forms of the entity graph: the entity form that asks before creating a look-alike."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from kb.models import Entity
from kb.selectors import entity_lookalikes

LOOKALIKE = (
    "An entity with a name like this exists: {names}. Open it and add an alias instead, or tick "
    "'a different entity' to create this one anyway."
)


class EntityForm(forms.ModelForm):
    """The entity form; a new name close to an existing name or alias asks for confirmation.

    Every admin that uses it must list `different_entity` among its fields, or the
    confirmation it asks for cannot be given.
    """

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
                names = format_html_join(
                    ", ",
                    '<a href="{}">{}</a> ({})',
                    (
                        (
                            reverse("admin:kb_entity_change", args=[x.entity.pk]),
                            x.entity.name,
                            x.name,
                        )
                        for x in lookalikes
                    ),
                )
                raise forms.ValidationError(format_html(LOOKALIKE, names=names))
        return cleaned
