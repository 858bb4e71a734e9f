"""Failed sign-ins are limited per account and address on both sign-in pages (django-axes, its count
in the database): the lockout page says when to try again and how an administrator unlocks."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "a long test password"
SITE, ADMIN = "/accounts/login/", "/admin/login/"
HOME, OTHER = "192.0.2.10", "198.51.100.20"


@pytest.fixture
def ana(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("ana", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    return user


def sign_in(client: Client, page: str, password: str, address: str = HOME, **headers):
    return client.post(
        page, {"username": "ana", "password": password}, REMOTE_ADDR=address, **headers
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def signs_in(page: str = SITE, address: str = HOME, **headers) -> bool:
    """Whether ana's right password signs her in: a redirect and a session that holds her."""
    client = Client()
    response = sign_in(client, page, PASSWORD, address, **headers)
    return response.status_code == 302 and signed_in(client)


def locked_out(page: str = SITE, address: str = HOME, **headers) -> bool:
    """Whether ana's right password gets the lockout page (429) and no session."""
    client = Client()
    response = sign_in(client, page, PASSWORD, address, **headers)
    return response.status_code == 429 and not signed_in(client)


def fail(times: int, page: str = SITE, address: str = HOME, **headers) -> None:
    """Wrong passwords: the form again with its error, and the lockout page from the fifth on."""
    for _ in range(times):
        response = sign_in(Client(), page, "wrong", address, **headers)
        assert response.status_code in (200, 429)


def test_the_sixth_try_after_five_failures_is_refused_even_with_the_right_password(ana):
    fail(5)
    client = Client()

    response = sign_in(client, SITE, PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "There were 5 failed sign-ins for the account <strong>ana</strong>" in page
    assert "Try again in 15 minutes" in page
    assert "python manage.py axes_reset_username ana" in page
    assert 'class="brand"' in page  # the site's own look, not a bare message


def test_the_count_is_kept_in_the_database_per_account_and_address(ana):
    fail(5)

    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("ana", HOME)
    assert attempt.failures_since_start == 5


def test_the_admin_sign_in_and_the_sites_share_one_count(ana):
    fail(3, SITE)
    fail(2, ADMIN)

    assert locked_out(ADMIN)


def test_the_same_account_from_another_address_still_signs_in(ana):
    fail(5, address=HOME)

    assert signs_in(address=OTHER)
    assert locked_out(address=HOME)


def test_a_made_up_x_forwarded_for_does_not_lift_the_lock(ana):
    fail(5)

    assert locked_out(HTTP_X_FORWARDED_FOR=OTHER)


def test_behind_one_trusted_proxy_the_lock_follows_the_address_the_proxy_reports(ana, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"
    # The client may prepend anything; the proxy appends the address it saw, which counts.
    fail(5, address=proxy, HTTP_X_FORWARDED_FOR=f"203.0.113.1, {HOME}")

    assert locked_out(address=proxy, HTTP_X_FORWARDED_FOR=f"203.0.113.9, {HOME}")
    assert signs_in(address=proxy, HTTP_X_FORWARDED_FOR=OTHER)
    assert AccessAttempt.objects.get().ip_address == HOME


def test_the_lock_ends_after_the_cool_off(ana):
    fail(5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    assert signs_in()


def test_tries_during_the_lock_do_not_make_it_longer(ana):
    fail(5)
    locked_at = timezone.now() - datetime.timedelta(minutes=14)
    AccessAttempt.objects.update(attempt_time=locked_at)

    fail(3)  # a minute before the end: refused, and the end stays where the page said

    assert AccessAttempt.objects.get().attempt_time == locked_at
    assert locked_out()


def test_an_administrator_unlocks_the_account_with_axes_reset_username(ana):
    fail(5)

    call_command("axes_reset_username", "ana")

    assert signs_in()


def test_a_successful_sign_in_clears_the_failures_before_it(ana):
    fail(4)
    assert signs_in()

    fail(4)

    assert signs_in()


def test_a_superuser_sees_and_deletes_access_attempts_in_the_admin(ana, staff):
    fail(5)
    attempt = AccessAttempt.objects.get()
    client = Client()
    client.force_login(staff)

    listing = client.get("/admin/axes/accessattempt/")
    deleted = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200 and "ana" in listing.content.decode()
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert signs_in()


def test_an_analyst_cannot_see_the_access_attempts(ana):
    fail(5, address=OTHER)
    client = Client()
    client.force_login(ana)

    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert client.get("/admin/axes/accesslog/").status_code == 403


def test_no_password_reset_is_offered_since_the_site_sends_no_email(client):
    assert client.get("/accounts/password_reset/").status_code == 404
    for page in (SITE, ADMIN):
        text = client.get(page).content.decode()
        assert "password_reset" not in text and "Forgotten" not in text
