"""The API's OpenAPI description: drf-spectacular's, with the format and path parameters
described too, and no example values in query parameters (Swagger UI would type them into
the filters)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

PATH_PARAMETERS = {"id": "The object's id.", "code": "The attribute's code."}

# The body of every error the API answers (kb/api/errors.py): a sentence, and for a 400 the
# parameters it rejects, each with its messages, and the names an endpoint takes.
ERROR_BODY = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, in a sentence."},
        "errors": {
            "type": "object",
            "description": "Each rejected parameter, with what is wrong with it.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "accepted": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The parameters this endpoint takes (with an unknown one).",
        },
    },
}

# The answers besides the 200 that every read may give, and when.
ERROR_RESPONSES = {
    "400": "A parameter has a value the endpoint cannot take, or the endpoint takes no such "
    "parameter: `errors` names each.",
    "401": "The API is open to signed-in users and tokens only (KB_API_PUBLIC=false).",
    "403": "The credentials sent do not allow reading.",
    "404": "No such object, or a format the endpoint does not offer (`detail` names those it "
    "does).",
    "406": "None of the formats the Accept header asks for is offered.",
    "429": "Too many requests from this client: Retry-After says when to ask again.",
}


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

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or self.method not in ("GET", "HEAD"):
            return responses
        # A repeat request with the ETag it was given costs a 304 without a body.
        responses.setdefault("304", {"description": "Not modified since the ETag sent."})
        for code, description in ERROR_RESPONSES.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_BODY}},
                },
            )
        return responses

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
