"""The CSRF token of the site's pages (kb/csrf.py): masked with a mask drawn at once, and in
every other way Django's: the same secret, the same cookie, checked by Django's middleware."""

from __future__ import annotations

import collections
import re
from unittest import mock

import pytest
from django.middleware import csrf
from django.test import Client, RequestFactory

from kb import csrf as kb_csrf
from kb.services import account_create

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


def token_of(page) -> str:
    return _TOKEN.search(page.content.decode())[1]


def signed_in(role: str = "analyst") -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        account_create(username=f"c-{role}", email="", role=role, password="x8!Kq2#pLm")
    )
    return client


def test_a_masked_secret_unmasks_to_the_secret_and_no_two_masks_repeat():
    secret = csrf._get_new_csrf_string()

    tokens = [kb_csrf.masked(secret) for _ in range(500)]

    assert all(len(token) == csrf.CSRF_TOKEN_LENGTH for token in tokens)
    assert all(set(token) <= set(csrf.CSRF_ALLOWED_CHARS) for token in tokens)
    assert {csrf._unmask_cipher_token(token) for token in tokens} == {secret}
    assert len({token[: csrf.CSRF_SECRET_LENGTH] for token in tokens}) == 500


def test_every_character_of_a_mask_is_as_likely_as_any_other():
    # Chi-squared over the 62 characters of 3,000 masks (96,000 draws, 61 degrees of freedom):
    # uniform draws stay under 140 but for one run in millions; bytes taken modulo 62 without
    # setting any aside (8 characters a quarter likelier) give about 630.
    secret = "a" * csrf.CSRF_SECRET_LENGTH
    counts = collections.Counter(
        character
        for _ in range(3000)
        for character in kb_csrf.masked(secret)[: csrf.CSRF_SECRET_LENGTH]
    )
    expected = 3000 * csrf.CSRF_SECRET_LENGTH / len(csrf.CSRF_ALLOWED_CHARS)

    chi_squared = sum(
        (counts[character] - expected) ** 2 / expected for character in csrf.CSRF_ALLOWED_CHARS
    )

    assert chi_squared < 140, chi_squared


def test_the_token_a_page_carries_signs_out_and_a_changed_one_is_refused():
    client = signed_in()
    page = client.get("/contradictions/")
    token = token_of(page)
    changed = token[:-1] + ("a" if token[-1] != "a" else "b")

    refused = client.post("/accounts/logout/", {"csrfmiddlewaretoken": changed})
    signed_out = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert signed_out.status_code == 302
    assert "_auth_user_id" not in client.session


def test_each_page_masks_the_same_secret_anew_and_sends_its_cookie_again():
    client = signed_in()
    first = client.get("/contradictions/")
    secret = first.cookies[csrf.settings.CSRF_COOKIE_NAME].value

    second = client.get("/contradictions/")

    assert token_of(first) != token_of(second)
    assert csrf._unmask_cipher_token(token_of(first)) == secret
    assert csrf._unmask_cipher_token(token_of(second)) == secret
    # As Django's get_token does: the cookie is sent again, renewing its expiry.
    assert second.cookies[csrf.settings.CSRF_COOKIE_NAME].value == secret


def test_a_first_visit_gets_a_new_secret_with_its_cookie():
    page = Client(enforce_csrf_checks=True).get("/accounts/login/")

    secret = page.cookies[csrf.settings.CSRF_COOKIE_NAME].value
    assert len(secret) == csrf.CSRF_SECRET_LENGTH
    assert csrf._unmask_cipher_token(token_of(page)) == secret


def test_a_page_without_a_form_makes_no_token_and_sets_no_cookie():
    page = Client(enforce_csrf_checks=True).get("/search/")

    assert page.status_code == 200
    assert "csrfmiddlewaretoken" not in page.content.decode()
    assert csrf.settings.CSRF_COOKIE_NAME not in page.cookies


def test_get_token_does_to_the_request_what_djangos_does():
    ours, djangos = RequestFactory().get("/"), RequestFactory().get("/")
    secret = csrf._get_new_csrf_string()
    ours.META["CSRF_COOKIE"] = djangos.META["CSRF_COOKIE"] = secret

    token = kb_csrf.get_token(ours)
    csrf.get_token(djangos)

    def csrf_keys(request):
        return {key: value for key, value in request.META.items() if key.startswith("CSRF_")}

    assert csrf_keys(ours) == csrf_keys(djangos) == {
        "CSRF_COOKIE": secret, "CSRF_COOKIE_NEEDS_UPDATE": True
    }  # fmt: skip
    assert csrf._unmask_cipher_token(token) == secret


def test_the_site_pages_mask_with_this_and_the_admin_with_djangos():
    client = signed_in("editor")
    client.get("/contradictions/")  # The secret's cookie, which a first visit is given.
    with mock.patch("kb.csrf.masked", wraps=kb_csrf.masked) as ours:
        client.get("/contradictions/")
        client.get("/admin/password_change/")

    assert ours.call_count == 1
