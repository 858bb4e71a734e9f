"""The API's errors: always JSON, a 400 naming the parameters it rejects (unknown ones with the
ones the endpoint takes), a 404 for any path the API does not have."""

from __future__ import annotations

import difflib

from django.http import JsonResponse
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

# Messages clients see; tests assert on them.
BAD_PARAMETERS = "Invalid value for {names}."
UNKNOWN_PARAMETERS = "Unknown parameter {names}: this endpoint takes {accepted}."
NOT_A_PARAMETER = "This endpoint takes no such parameter."
DID_YOU_MEAN = " Did you mean {name}?"
NO_SUCH_ENDPOINT = "There is no such endpoint; the API's endpoints are listed at /api/v1/."


class UnknownParameters(ValidationError):
    """Query parameters an endpoint does not take: a 400 naming each (with the nearest name it
    does take) and every name it takes, rather than a list silently left unfiltered."""

    def __init__(self, unknown, accepted):
        self.accepted = sorted(accepted)
        errors = {}
        for name in sorted(unknown):
            near = difflib.get_close_matches(name, self.accepted, n=1)
            errors[name] = [NOT_A_PARAMETER + (DID_YOU_MEAN.format(name=near[0]) if near else "")]
        super().__init__(errors)


def exception_handler(exc, context):
    """DRF's JSON errors, with a sentence naming the parameters a 400 rejects."""
    response = drf_exception_handler(exc, context)
    if isinstance(exc, UnknownParameters):
        names = ", ".join(sorted(exc.detail))
        accepted = ", ".join(exc.accepted)
        response.data = {
            "detail": UNKNOWN_PARAMETERS.format(names=names, accepted=accepted),
            "errors": exc.detail,
            "accepted": exc.accepted,
        }
    elif response is not None and isinstance(exc, ValidationError) and isinstance(exc.detail, dict):
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
