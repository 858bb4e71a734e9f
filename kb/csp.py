"""The Content-Security-Policy header (settings.CONTENT_SECURITY_POLICY): django-csp's
middleware, with the policy built once rather than at every response."""

from __future__ import annotations

import http

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings

# What a view's decorators (csp.decorators) set on its response to change the policy.
_CHANGES = (
    "_csp_config", "_csp_update", "_csp_replace",
    "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro",
)  # fmt: skip

# The two headers: each one's name, its settings and what exempts a response from it.
_HEADERS = (
    (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
)

# {header: (the settings it was built from, the policy)}
_BUILT: dict[str, tuple[object, str]] = {}


def _policy(header: str, configured) -> str:
    """The policy django-csp builds for `header` from its settings alone (`configured`), built
    again only when they change (override_settings gives them anew)."""
    built = _BUILT.get(header)
    if built is None or built[0] is not configured:
        policy = build_policy(report_only=header == HEADER_REPORT_ONLY)
        built = _BUILT[header] = (configured, policy)
    return built[1]


class CSPMiddleware(middleware.CSPMiddleware):
    """django-csp's middleware, which builds the policy from the settings at each response: a
    dataclass turned into a dict, each directive copied, sorted and joined, 5% of a signed-in
    page of nothing but the site's frame. A response that changes nothing of the policy (no
    view's decorator, no nonce asked for: every page of this site) gets the header built once;
    any other is built by django-csp. Either way it is set as django-csp sets it."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, change, None) is not None for change in _CHANGES
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (
            http.HTTPStatus.INTERNAL_SERVER_ERROR,
            http.HTTPStatus.NOT_FOUND,
        ):
            # Django's debug pages, as django-csp leaves them.
            return response
        for header, name, exempt in _HEADERS:
            configured = getattr(settings, name, None)
            policy = _policy(header, configured)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            excluded = (configured or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(excluded)):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
