"""The API's read-only representations of sources. They declare the OpenAPI schema and the CSV
columns; kb.api.rows writes the rows themselves (see claims/serializers.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kb.serializers import PartialDateField, ReadOnlyModelSerializer, described
from sources.models import Reliability, Source

PUBLISHER_HELP = "The publisher's name, or null."
GRADE_HELP = (
    "The reliability grade in force (Admiralty scale, A completely reliable ... E unreliable, "
    "F cannot be judged): the source's own, else its publisher's default, else F."
)
PUBLISHED_ON_HELP = (
    "When the source was published, as precisely as known: 2024, 2024-11, 2024-11-05."
)


SOURCE_FIELD_HELP = {
    "id": "The source's id (stable within this database).",
    "key": "The source's stable external key.",
    "title": "The document's title.",
    "url": "Where the document is found; empty if unknown.",
    "author": "Who wrote it; empty if unknown.",
    "kind": "What kind of document it is (official, news, analysis, opinion, ...).",
    "language": "BCP 47 code, e.g. en, es.",
    "text_sha256": "SHA-256 of the stored full text; empty when no text is stored.",
    "notes": "Notes on the source: how it was dated, why it got its grade.",
}


@extend_schema_field(
    {
        "type": "string",
        # An empty string is no URI: say that it is given, so that a client checking formats
        # accepts a source whose URL is unknown.
        "anyOf": [{"format": "uri"}, {"maxLength": 0}],
        "example": "https://example.org/fact-sheet",
    }
)
class LinkField(serializers.CharField):
    """A URL, or "" when there is none."""


class SourceRefSerializer(ReadOnlyModelSerializer):
    """A source where a claim cites it."""

    url = LinkField(read_only=True, help_text=SOURCE_FIELD_HELP["url"])
    publisher = serializers.CharField(
        source="publisher.name", allow_null=True, help_text=PUBLISHER_HELP
    )
    published_on = PartialDateField(
        precision_field="published_on_precision", help_text=PUBLISHED_ON_HELP
    )
    reliability = serializers.ChoiceField(
        source="grade", choices=Reliability.choices, help_text=GRADE_HELP
    )

    class Meta:
        model = Source
        fields = ("id", "key", "title", "publisher", "url", "published_on", "kind", "reliability")
        read_only_fields = fields
        extra_kwargs = described(SOURCE_FIELD_HELP, fields)


class SourceSerializer(SourceRefSerializer):
    """A source in full: the reference's fields and the rest."""

    derived_from = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The id of the source this one repeats, or null."
    )

    class Meta:
        model = Source
        fields = (
            "id", "key", "title", "url", "publisher", "author", "published_on", "kind",
            "reliability", "language", "text_sha256", "derived_from", "notes",
        )  # fmt: skip
        read_only_fields = fields
        extra_kwargs = described(SOURCE_FIELD_HELP, fields)
