"""URLs reversed once per script prefix and URLconf, for the pages' links.

Django's reverse() walks the URLconf's patterns each time: 8% of a signed-in page of nothing
but the frame for the header's ten links, and on the editors' queue 3% for the one pattern its
rows' links are written from. A URL depends only on its name, its arguments, the script prefix
and the URLconf, so the URLs without arguments, and the pattern around a row's id, are
reversed once for each prefix and URLconf (the two asgiref context-local reads behind them
are read once per request: place()).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

# {(name, script prefix, URLconf): its URL} for the URLs that take no arguments.
_PLAIN: dict[tuple, str] = {}
# {(name, script prefix, URLconf): the URL's text before and after its id}.
_AROUND_ID: dict[tuple, tuple[str, str]] = {}
# Stands for the id while the pattern is reversed: digits no real id is.
_MARK = "918273645546372819"


def place(request: HttpRequest | None = None) -> tuple[str, str]:
    """The script prefix and URLconf reverse() would use now: kept on `request`, when given,
    for the rest of it."""
    kept = request.__dict__ if isinstance(request, HttpRequest) else {}
    found = kept.get("_kb_url_place")
    if found is None:
        found = kept["_kb_url_place"] = (
            get_script_prefix(),
            get_urlconf() or settings.ROOT_URLCONF,
        )
    return found


def plain_url(name: str, request: HttpRequest | None = None) -> str:
    """reverse(name) for a URL that takes no arguments."""
    key = (name, *place(request))
    found = _PLAIN.get(key)
    if found is None:
        found = _PLAIN[key] = reverse(name)
    return found


def pk_url(name: str, request: HttpRequest | None = None) -> Callable[[int], str]:
    """pk -> reverse(name, args=[pk]), for a page's rows, for a URL that takes the id alone."""
    key = (name, *place(request))
    found = _AROUND_ID.get(key)
    if found is None:
        before, _, after = reverse(name, args=[int(_MARK)]).rpartition(_MARK)
        found = _AROUND_ID[key] = (before, after)
    before, after = found
    return lambda pk: f"{before}{pk}{after}"
