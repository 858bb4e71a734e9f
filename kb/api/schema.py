"""The API's OpenAPI description: drf-spectacular's, with the format and path parameters
described too."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

PATH_PARAMETERS = {"id": "The object's id.", "code": "The attribute's code."}


class APISchema(AutoSchema):
    """drf-spectacular's schema, with the format and path parameters described too."""

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
