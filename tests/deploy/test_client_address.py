"""A client is the address the trusted proxies report (KB_TRUSTED_PROXIES, DRF's NUM_PROXIES): a
made-up X-Forwarded-For buys no fresh API budget, and behind a proxy each client has its own."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.throttling import SimpleRateThrottle

from kb.api.access import client_address

URL = "/api/v1/attributes/"
HOME, OTHER, PROXY = "192.0.2.10", "198.51.100.20", "10.0.0.2"


@pytest.fixture
def low_rate(monkeypatch):
    # DRF reads the rates once, at import; the test lowers them where they are kept.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": None})
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def one_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def request(address: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get(URL, REMOTE_ADDR=address, **headers)


def test_without_trusted_proxies_the_client_is_the_connections_address():
    assert client_address(request(HOME, forwarded=OTHER)) == HOME


def test_behind_one_proxy_the_client_is_the_address_that_proxy_appended(one_proxy):
    assert client_address(request(PROXY, forwarded=f"203.0.113.1, {HOME}")) == HOME
    assert client_address(request(PROXY)) == PROXY  # no header: the connection's


@pytest.mark.django_db
def test_a_made_up_x_forwarded_for_buys_no_fresh_api_budget(client, low_rate):
    spent = [client.get(URL, REMOTE_ADDR=HOME).status_code for _ in range(3)]
    forged = client.get(URL, REMOTE_ADDR=HOME, HTTP_X_FORWARDED_FOR="203.0.113.77")

    assert spent == [200, 200, 200]
    assert forged.status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_it_reports_has_its_own_budget(
    client, low_rate, one_proxy
):
    spent = [
        client.get(URL, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=HOME).status_code for _ in range(4)
    ]
    other = client.get(URL, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OTHER)
    # What the client wrote before the proxy's entry changes nothing.
    prefixed = client.get(URL, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.5, {HOME}")

    assert spent == [200, 200, 200, 429]
    assert other.status_code == 200
    assert prefixed.status_code == 429
