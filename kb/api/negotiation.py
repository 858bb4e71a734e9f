"""The API's content negotiation: DRF's, with an unknown `?format=` answered by a 404 that says
which formats the endpoint offers. Its own module: DRF imports it while importing its views
(the setting DEFAULT_CONTENT_NEGOTIATION_CLASS)."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation

# A message clients see; tests assert on it.
UNKNOWN_FORMAT = 'Unknown format "{format}": this endpoint answers {formats}.'


class FormatNegotiation(DefaultContentNegotiation):
    """A format no renderer of the endpoint writes (`?format=xml`): DRF's 404 (the resource
    in that format does not exist; the schema documents it so), saying which formats the
    endpoint offers where DRF says only "Not found."."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            formats = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            raise NotFound(UNKNOWN_FORMAT.format(format=format, formats=formats))
        return matching
