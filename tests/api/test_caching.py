"""ETag and Last-Modified on lists and details; a repeat request costs a 304."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import claim

pytestmark = pytest.mark.django_db

URLS = [
    "/api/v1/claims/",
    "/api/v1/claims/?attribute=staff",
    "/api/v1/contradictions/",
    "/api/v1/sources/",
    "/api/v1/entities/",
    "/api/v1/attributes/",
]


@pytest.mark.parametrize("url", URLS)
def test_a_repeat_request_with_the_etag_is_a_304_without_rendering(api, small, url):
    first = api.get(url)
    assert first["ETag"]
    assert first["Last-Modified"]

    with CaptureQueriesContext(connection) as queries:
        again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    # Only the data version was read: no rows, no rendering.
    assert len(queries) == 1


def test_a_detail_has_an_etag_too(api, small):
    url = f"/api/v1/claims/{claim('c-motto').pk}/"
    etag = api.get(url)["ETag"]

    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_change_to_the_data_changes_the_etag(api, small):
    url = "/api/v1/claims/"
    etag = api.get(url)["ETag"]
    changed = claim("c-motto")
    changed.quote = "its motto, always ready"
    changed.save()

    response = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_change_to_a_source_changes_the_claims_etag_but_not_the_attributes(api, small):
    claims_etag = api.get("/api/v1/claims/")["ETag"]
    attributes_etag = api.get("/api/v1/attributes/")["ETag"]
    source = claim("c-motto").source
    source.title = "Daily report on the navy, corrected"
    source.save()

    assert api.get("/api/v1/claims/")["ETag"] != claims_etag
    assert api.get("/api/v1/attributes/")["ETag"] == attributes_etag


def test_other_filters_pages_and_formats_have_other_etags(api, small):
    etags = {
        api.get("/api/v1/claims/")["ETag"],
        api.get("/api/v1/claims/?attribute=staff")["ETag"],
        api.get("/api/v1/claims/?page_size=2")["ETag"],
        api.get("/api/v1/claims/?format=csv")["ETag"],
    }

    assert len(etags) == 4


def test_if_modified_since_gives_a_304_when_nothing_changed(api, small):
    last_modified = api.get("/api/v1/sources/")["Last-Modified"]

    assert api.get("/api/v1/sources/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304


def test_responses_ask_caches_to_revalidate(api, small):
    response = api.get("/api/v1/claims/")

    assert "no-cache" in response["Cache-Control"]
    assert "Accept" in response["Vary"]
