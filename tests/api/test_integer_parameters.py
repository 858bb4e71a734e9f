"""Whole-number query parameters out of any range (ids, page sizes, grades, cursors) answer a
400 naming the parameter, or an empty page, on SQLite and PostgreSQL alike: never a 500."""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/claims/", {"page_size": HUGE}),
        ("/api/v1/claims/", {"page_size": "-1"}),
        ("/api/v1/claims/", {"page_size": "1e3"}),
        ("/api/v1/claims/", {"subject": "-1"}),
        ("/api/v1/claims/", {"subject": "1e9999"}),
        ("/api/v1/claims/", {"subject": "-" + HUGE}),
        ("/api/v1/claims/", {"source": "1e9999"}),
        ("/api/v1/claims/", {"source": "NaN"}),
        ("/api/v1/claims/", {"min_credibility": HUGE}),
        ("/api/v1/contradictions/", {"subject": "-1"}),
        ("/api/v1/contradictions/", {"subject": "1e9999"}),
        ("/api/v1/sources/", {"page_size": HUGE}),
    ],
)
def test_a_whole_number_out_of_range_is_a_400_naming_the_parameter(api, small, url, params):
    response = api.get(url, params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def cursor(**payload) -> str:
    raw = json.dumps({"o": "id", "s": 0, "v": None, "r": 0, **payload}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("position", [int(HUGE), 2**63, 2**63 - 1])
def test_a_cursor_past_any_id_is_an_empty_page_not_an_error(api, small, position):
    response = api.get("/api/v1/claims/", {"cursor": cursor(i=position)})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_cursor_before_any_id_is_the_first_page(api, small):
    response = api.get("/api/v1/claims/", {"cursor": cursor(i=-int(HUGE))})

    assert response.status_code == 200
    assert response.json()["results"] == api.get("/api/v1/claims/").json()["results"]


@pytest.mark.parametrize("path", ["claims", "sources", "entities", "contradictions"])
def test_a_detail_id_past_any_id_is_not_found(api, small, path):
    response = api.get(f"/api/v1/{path}/{HUGE}/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
