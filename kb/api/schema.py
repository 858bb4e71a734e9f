"""The API's OpenAPI description: drf-spectacular's, with the format and path parameters
described too, and no example values in query parameters (Swagger UI would type them into
the filters)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

PATH_PARAMETERS = {"id": "The object's id.", "code": "The attribute's code."}


class APISchema(AutoSchema):
    """drf-spectacular's schema, with the format and path parameters described too, and query
    parameters without example values: "Try it out" in Swagger UI fills a filter with its
    example, so that a first request would come back filtered by a value nobody chose."""

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter.get("in") != "query":
                continue
            parameter.pop("example", None)
            parameter.pop("examples", None)
            schema = parameter.get("schema")
            if isinstance(schema, dict) and "example" in schema:
                # A copy: the schema may be one dict shared by several filters.
                parameter["schema"] = {k: v for k, v in schema.items() if k != "example"}
        return parameters

    def _get_format_parameters(self):
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = (
                "json (the default), csv (one row per result; the next page's link in the "
                "Link header), or api (the browsable page)."
            )
        return parameters

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if not parameter.get("description"):
                parameter["description"] = PATH_PARAMETERS.get(parameter["name"], "")
        return parameters
