"""The API's formats: JSON (encoded by orjson) by default, the browsable page, and CSV, whose
columns are the JSON representation flattened."""

from __future__ import annotations

import re

from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.drainage import get_override
from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework_csv.renderers import CSVRenderer as BaseCSVRenderer

# OWASP's CSV injection guidance: a cell a spreadsheet would read as a formula starts with one
# of these; such a cell is written with a single quote before it, so that it reads as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-5", "+1.5", "-2e3") is exempt: a spreadsheet reads it as the number it is,
# and no formula fits this pattern.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(cell):
    """The cell as a spreadsheet should read it: text that would start a formula gets a
    single quote before it; numbers, plain-number text and everything else are unchanged."""
    if (
        isinstance(cell, str)
        and cell.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(cell)
    ):
        return "'" + cell
    return cell


class CSVRenderer(BaseCSVRenderer):
    """`?format=csv`: one row per result, nested objects flattened to `subject.name` columns.

    A list of plain values becomes one cell joined by ";"; a list of objects with an id (the
    claims of a position) becomes their ids. The view may fix the columns (`csv_header`); an
    empty list is its header row. Cells are safe to open in a spreadsheet (spreadsheet_safe),
    and the answer is an attachment named after the endpoint ("claims.csv").
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
            # The columns in the order they first appear, not sorted; with no rows, the
            # columns of the view's representation.
            header = list(dict.fromkeys(key for row in rows for key in row)) or _view_columns(
                renderer_context.get("view")
            )
        _attach(renderer_context)
        return super().render(rows, media_type, {**renderer_context, "header": header})

    def tablize(self, data, header=None, labels=None):
        for row in super().tablize(data, header=header, labels=labels):
            yield [spreadsheet_safe(cell) for cell in row]

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


def _view_columns(view) -> list[str]:
    serializer_class = getattr(view, "get_serializer_class", None)
    return list(csv_columns(serializer_class())) if serializer_class else []


def _attach(renderer_context: dict) -> None:
    """Serve the CSV as a download named after the endpoint: /api/v1/claims/ is claims.csv,
    /api/v1/entities/7/facts/ entities-7-facts.csv."""
    response, request = renderer_context.get("response"), renderer_context.get("request")
    if response is None or request is None or response.status_code >= 400:
        return
    parts = [part for part in request.path.split("/") if part][2:]  # after api/v1
    name = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-") or "export"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'


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
