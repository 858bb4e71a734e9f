"""Each client has one budget: anonymous readers the anonymous one, signed-in users and token
holders theirs, and a request is counted once, in its own."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous_budget_larger(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "5/minute", "user": "3/minute"}
    )


def counted_keys() -> list[str] | None:
    """The throttles' keys in the cache, where it is the tests' local memory."""
    kept = getattr(cache, "_cache", None)
    return None if kept is None else [key for key in kept if "throttle" in key]


def test_an_anonymous_reader_has_the_anonymous_budget_only(api, small, anonymous_budget_larger):
    statuses = [api.get("/api/v1/attributes/").status_code for _ in range(6)]

    # Five, the anonymous budget; not cut to three by the signed-in users' one.
    assert statuses == [200] * 5 + [429]
    keys = counted_keys()
    if keys is not None:
        assert len(keys) == 1


def test_a_token_holder_has_the_signed_in_budget(api, small, anonymous_budget_larger, researcher):
    token = Token.objects.create(user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    statuses = [api.get("/api/v1/attributes/").status_code for _ in range(4)]

    assert statuses == [200] * 3 + [429]
