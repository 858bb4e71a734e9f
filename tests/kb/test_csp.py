"""The Content-Security-Policy header (kb/csp.py): django-csp's middleware with the policy
built once. Each response gets the headers django-csp's own middleware gives it."""

from __future__ import annotations

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.test import RequestFactory
from django.test.utils import override_settings

from kb.csp import CSPMiddleware


def served(middleware, view, path="/somewhere/"):
    request = RequestFactory().get(path)
    response = middleware(view)(request)
    return {name: response.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}, request


def plain(request):
    return HttpResponse("page")


def with_header(request):
    response = HttpResponse("page")
    response[HEADER] = "default-src 'none'"
    return response


def missing(request):
    return HttpResponseNotFound("none")


def with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


VIEWS = [
    plain,
    with_header,
    missing,
    csp_exempt()(plain),
    csp_exempt(REPORT_ONLY=True)(plain),
    csp_update({"img-src": ["https://maps.example"]})(plain),
    csp_replace({"script-src": [SELF, "https://cdn.example"]})(plain),
]


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: getattr(view, "__name__", "view"))
def test_each_response_gets_the_headers_django_csp_gives_it(view):
    for _ in range(2):  # built, then kept
        assert served(CSPMiddleware, view)[0] == served(DjangoCSPMiddleware, view)[0]


def test_the_sites_pages_get_the_policy_of_the_settings():
    headers, _ = served(CSPMiddleware, plain)

    assert "default-src 'self'" in headers[HEADER]
    assert "frame-ancestors 'none'" in headers[HEADER]
    assert headers[HEADER_REPORT_ONLY] is None


REPORTED = {
    "EXCLUDE_URL_PREFIXES": ["/reports/"],
    "DIRECTIVES": {"default-src": [SELF], "report-uri": "/csp-report/"},
}


@pytest.mark.parametrize("path", ["/somewhere/", "/reports/1/"])
@pytest.mark.parametrize("view", VIEWS, ids=lambda view: getattr(view, "__name__", "view"))
def test_a_report_only_policy_and_excluded_paths_read_as_django_csp_reads_them(view, path):
    policy = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/reports/"]}
    with override_settings(
        CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=REPORTED
    ):
        for _ in range(2):
            ours, _ = served(CSPMiddleware, view, path)
            assert ours == served(DjangoCSPMiddleware, view, path)[0]
    if path == "/somewhere/" and view is plain:
        assert ours[HEADER_REPORT_ONLY].startswith("default-src 'self'")


def test_a_change_of_the_settings_changes_the_policy():
    before, _ = served(CSPMiddleware, plain)
    policy = {"DIRECTIVES": {"default-src": [SELF], "img-src": [SELF, "https://maps.example"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        during, _ = served(CSPMiddleware, plain)
    after, _ = served(CSPMiddleware, plain)

    assert set(during[HEADER].split("; ")) == {
        "default-src 'self'",
        "img-src 'self' https://maps.example",
    }
    assert before == after != during


def test_django_debug_pages_are_left_without_a_policy_as_django_csp_leaves_them():
    with override_settings(DEBUG=True):
        assert served(CSPMiddleware, missing)[0] == {HEADER: None, HEADER_REPORT_ONLY: None}
        assert served(CSPMiddleware, plain)[0][HEADER]


def test_a_nonce_a_page_asks_for_is_in_its_policy_and_none_can_be_asked_for_after():
    policy = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        headers, request = served(CSPMiddleware, with_nonce)
        assert f"'nonce-{request._csp_nonce}'" in headers[HEADER]

        _, request = served(CSPMiddleware, plain)
        with pytest.raises(CSPNonceError):
            str(request.csp_nonce)
