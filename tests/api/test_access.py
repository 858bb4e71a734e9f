"""Read-only, public by default, limited by a setting; throttled; errors in JSON."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from kb.api.access import NOT_SIGNED_IN
from tests.api.conftest import LISTS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_answer_405(api, small, url, method):
    assert getattr(api, method)(url, {}, format="json").status_code == 405


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_one_object_answer_405_even_for_staff(api, small, staff, method):
    api.force_authenticate(staff)

    response = getattr(api, method)("/api/v1/claims/1/", {"quote": "changed"}, format="json")

    assert response.status_code == 405
    assert response.json()["detail"]


@pytest.mark.parametrize("url", LISTS)
def test_reads_are_public_by_default(api, small, url):
    assert api.get(url).status_code == 200


def test_a_private_api_refuses_anonymous_readers(api, small, settings):
    settings.KB_API_PUBLIC = False

    response = api.get("/api/v1/claims/")

    assert response.status_code == 401
    assert response.json()["detail"] == NOT_SIGNED_IN
    assert response["WWW-Authenticate"] == "Token"


def test_a_private_api_lets_token_holders_in(api, small, settings, researcher):
    settings.KB_API_PUBLIC = False
    token = Token.objects.create(user=researcher)

    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.get("/api/v1/claims/").status_code == 200
    assert "private" in api.get("/api/v1/claims/")["Cache-Control"]


def test_a_private_api_lets_signed_in_users_in(client, small, settings, researcher):
    settings.KB_API_PUBLIC = False
    client.force_login(researcher)

    assert client.get("/api/v1/contradictions/").status_code == 200


def test_a_wrong_token_is_refused(api, small):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert api.get("/api/v1/claims/").status_code == 401


@pytest.fixture
def low_rates(monkeypatch):
    # DRF reads the rates once, at import; the test lowers them where they are kept.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "5/minute"}
    )


def test_anonymous_readers_are_throttled(api, small, low_rates):
    statuses = [api.get("/api/v1/attributes/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v1/attributes/")
    assert "throttled" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_token_holders_are_throttled_at_their_own_rate(api, small, low_rates, researcher):
    token = Token.objects.create(user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    statuses = [api.get("/api/v1/attributes/").status_code for _ in range(6)]

    assert statuses == [200] * 5 + [429]


def test_an_unknown_api_path_is_a_json_404(api, db):
    response = api.get("/api/v2/claims/")

    assert response.status_code == 404
    assert response.json()["detail"].startswith("There is no such endpoint")


def test_the_api_root_lists_the_endpoints(api, db):
    assert set(api.get("/api/v1/").json()) == {
        "sources", "entities", "attributes", "claims", "contradictions",
    }  # fmt: skip
