"""`make serve` runs gunicorn with DEBUG off, and WhiteNoise serves the collected static files
under hashed names, compressed, cached for ever: the admin's CSS and Swagger UI's JavaScript."""

from __future__ import annotations

import gzip
import re

import pytest
import requests

from tests.deploy.server import database_url, production_environment, serving

# collectstatic's names: the file's name, a dot, twelve hexadecimal digits of its hash.
HASHED = r"\.[0-9a-f]{12}\."

# The server reads the test database (on PostgreSQL), so the session must make one.
pytestmark = pytest.mark.django_db


def _linked(page: str, pattern: str) -> str:
    found = re.search(rf"""(?:href|src)="(/static/{pattern})\"""", page)
    assert found, f"no link to {pattern} in the page"
    return found.group(1)


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory, static_root):
    """One server for these reads, which write nothing (on PostgreSQL, to the test database)."""
    folder = tmp_path_factory.mktemp("static-files")
    environment = production_environment(database_url(folder), STATIC_ROOT=str(static_root))
    with serving(environment, folder / "server.log") as url:
        yield url


def test_the_admin_css_is_served_under_its_hashed_name_compressed_and_cached(server):
    page = requests.get(f"{server}/admin/login/", timeout=10).text
    css = _linked(page, rf"admin/css/base{HASHED}css")

    response = requests.get(server + css, headers={"Accept-Encoding": "gzip"}, timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert "#header" in response.text  # requests undid the gzip: it is the admin's stylesheet


def test_swagger_ui_javascript_is_served_under_its_hashed_name(server):
    page = requests.get(f"{server}/api/docs/", timeout=10).text
    bundle = _linked(page, rf"drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle{HASHED}js")

    response = requests.get(server + bundle, headers={"Accept-Encoding": "identity"}, timeout=10)
    compressed = requests.get(
        server + bundle, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10
    )

    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    assert "SwaggerUIBundle" in response.text
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.raw.read()) == response.content


def test_debug_is_off_so_an_unknown_page_shows_no_technical_details(server):
    response = requests.get(f"{server}/no-such-page/", timeout=10)

    assert response.status_code == 404
    assert "URLconf" not in response.text and "Traceback" not in response.text
    assert "Content-Security-Policy" in response.headers
