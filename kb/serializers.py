"""The API's read-only representations of entities, and dates at their precision. They declare
the OpenAPI schema and the CSV columns; kb.api.rows writes the rows themselves (see
claims/serializers.py)."""

from __future__ import annotations

import copy

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kb.dates import ISO_SCHEMA, iso_at_precision
from kb.models import Entity


@extend_schema_field({**ISO_SCHEMA, "nullable": True})
class PartialDateField(serializers.Field):
    """A date with its precision column, written as precisely as it is known."""

    def __init__(self, *, precision_field: str, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.precision_field = precision_field

    def to_representation(self, instance):
        return iso_at_precision(
            getattr(instance, self.field_name), getattr(instance, self.precision_field)
        )


ENTITY_FIELD_HELP = {
    "id": "The entity's id (stable within this database).",
    "key": "The entity's stable external key.",
    "name": "The entity's name.",
    "kind": "What kind of entity it is.",
    "description": "A short description.",
    "country": "ISO 3166-1 alpha-2 code, e.g. PE; empty if none.",
    "wikidata": "The Wikidata id, e.g. Q419; empty if none.",
    "merged_into": "Set when this entity was merged into another as a duplicate: that "
    "entity's id; such entities are left out of the list.",
}


def described(help_texts: dict, fields) -> dict:
    """extra_kwargs giving each field its help text, which the OpenAPI schema shows."""
    return {name: {"help_text": help_texts[name]} for name in fields if name in help_texts}


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields are worked out from the model once per class, then
    copied for each use: the model introspection costs more than the rows it serializes."""

    def get_fields(self):
        cls = type(self)
        if "_built_fields" not in cls.__dict__:
            cls._built_fields = super().get_fields()
        return copy.deepcopy(cls._built_fields)


class EntityRefSerializer(ReadOnlyModelSerializer):
    """An entity where another object names it: a claim's subject, a contradiction's."""

    class Meta:
        model = Entity
        fields = ("id", "key", "name", "kind")
        read_only_fields = fields
        extra_kwargs = described(ENTITY_FIELD_HELP, fields)


class EntitySerializer(ReadOnlyModelSerializer):
    aliases = serializers.SerializerMethodField(help_text="Other names the entity goes by.")

    class Meta:
        model = Entity
        fields = (
            "id", "key", "kind", "name", "aliases", "description", "country", "wikidata",
            "merged_into",
        )  # fmt: skip
        read_only_fields = fields
        extra_kwargs = described(ENTITY_FIELD_HELP, fields)

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_aliases(self, entity) -> list[str]:
        return [alias.name for alias in entity.aliases.all()]
