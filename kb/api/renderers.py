"""The API's formats: JSON (encoded by orjson) by default, the browsable page, and CSV, whose
columns are the JSON representation flattened."""

from __future__ import annotations

from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.drainage import get_override
from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework_csv.renderers import CSVRenderer as BaseCSVRenderer


class CSVRenderer(BaseCSVRenderer):
    """`?format=csv`: one row per result, nested objects flattened to `subject.name` columns.

    A list of plain values becomes one cell joined by ";"; a list of objects with an id (the
    claims of a position) becomes their ids. The view may fix the columns (`csv_header`).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        elif isinstance(data, dict):
            data = [data]
        rows = [self.flatten_item(item) for item in data]
        header = renderer_context.get("header")
        if not header:
            # The columns in the order they first appear, not sorted.
            header = list(dict.fromkeys(key for row in rows for key in row))
        return super().render(rows, media_type, {**renderer_context, "header": header})

    def flatten_data(self, data):
        # render() flattened already.
        return iter(data)

    def flatten_list(self, items):
        if all(not isinstance(item, dict | list) for item in items):
            return {"": ";".join("" if item is None else str(item) for item in items)}
        if all(
            isinstance(item, dict) and "id" in item and "positions" not in item for item in items
        ):
            return {"": ";".join(str(item["id"]) for item in items)}
        return super().flatten_list(items)


# JSON first: the default when a request names no format.
RENDERER_CLASSES = (ORJSONRenderer, BrowsableAPIRenderer, CSVRenderer)


def csv_columns(serializer_class) -> tuple[str, ...]:
    """The CSV columns of a serializer's representation, in its order: a nested object's
    fields (a nested serializer's, or the properties of a field's object schema) as
    `name.field`, anything else, lists included, as one column. A view's `csv_header`, so that
    its columns are the same whatever the rows hold."""
    return tuple(_columns("", serializer_class().fields.items()))


def _columns(prefix: str, children):
    for name, child in children:
        parts = _parts(child)
        if parts is None:
            yield prefix + name
        else:
            yield from _columns(f"{prefix}{name}.", parts)


def _parts(child):
    """The named parts of a serializer field or a schema that flattens to several columns;
    None for one that is a single column."""
    if isinstance(child, serializers.Serializer):
        return child.fields.items()
    schema = child if isinstance(child, dict) else get_override(child, "field")
    if isinstance(schema, dict) and schema.get("properties"):
        return schema["properties"].items()
    return None
