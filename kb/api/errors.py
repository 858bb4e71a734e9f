"""The API's errors: always JSON, a 400 naming the parameters it rejects, a 404 for any path
the API does not have."""

from __future__ import annotations

from django.http import JsonResponse
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

# Messages clients see; tests assert on them.
BAD_PARAMETERS = "Invalid value for {names}."
NO_SUCH_ENDPOINT = "There is no such endpoint; the API's endpoints are listed at /api/v1/."


def exception_handler(exc, context):
    """DRF's JSON errors, with a sentence naming the parameters a 400 rejects."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError) and isinstance(exc.detail, dict):
        names = ", ".join(sorted(exc.detail))
        response.data = {"detail": BAD_PARAMETERS.format(names=names), "errors": exc.detail}
    return response


def render_errors_as_json(request, response) -> None:
    """Have an error response rendered as JSON whatever format the request asked for (a
    CSV list's 400 included). Call it before DRF finalizes the response."""
    renderer = getattr(request, "accepted_renderer", None)
    if response.status_code >= 400 and renderer and renderer.format != "json":
        request.accepted_renderer = ORJSONRenderer()
        request.accepted_media_type = ORJSONRenderer.media_type


def not_found(request, *args, **kwargs):
    """Anything else under /api/: a JSON 404, not the site's HTML page."""
    return JsonResponse({"detail": NO_SUCH_ENDPOINT}, status=404)
