"""Under gunicorn with two workers, every process keeps one API budget (in the database cache or
in Redis) and one count of failed sign-ins (in the database), whichever process answers."""

from __future__ import annotations

import re
import socket
import uuid

import pytest
import requests

from tests.deploy.server import database_url, manage, production_environment, serving

# The server writes to the test database (on PostgreSQL): transactional tests see its rows and
# clean them up; serialized_rollback brings back the roles the migrations made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

API = "/api/v1/sources/"
PASSWORD = "a long test password"
# Every worker answers one request and is replaced by a new process (forked from the master,
# which loaded the app once: --preload), so that no two requests share a process: a cache kept
# inside each process would never count past one. The access log names the answering process.
ONE_REQUEST_PER_PROCESS = "--max-requests 1 --preload --access-logformat '%(p)s %(s)s %(U)s'"


def redis_is_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def answering_processes(log, path: str) -> set[str]:
    lines = re.findall(rf"^<(\d+)> \d+ {re.escape(path)}$", log.read_text(), flags=re.MULTILINE)
    return set(lines)


def two_workers(tmp_path, static_root, cache_url: str) -> dict[str, str]:
    return production_environment(
        database_url(tmp_path),
        STATIC_ROOT=str(static_root),
        WEB_CONCURRENCY="2",
        GUNICORN_CMD_ARGS=ONE_REQUEST_PER_PROCESS,
        KB_API_ANON_RATE="5/minute",
        CACHE_URL=cache_url,
    )


@pytest.mark.parametrize(
    "cache",
    [
        "db://kb_cache",
        pytest.param(
            "redis://127.0.0.1:6379/0",
            marks=pytest.mark.skipif(
                not redis_is_running(), reason="no Redis on 127.0.0.1:6379: start redis-server"
            ),
        ),
    ],
    ids=["database-cache", "redis"],
)
def test_two_workers_keep_one_api_budget_that_a_forged_header_does_not_reset(
    cache, tmp_path, static_root
):
    # A key prefix of this test's own: earlier runs' counts in the same cache do not count.
    environment = two_workers(tmp_path, static_root, f"{cache}?key_prefix={uuid.uuid4().hex}")
    log = tmp_path / "server.log"
    with serving(environment, log) as url:
        statuses = [requests.get(url + API, timeout=30).status_code for _ in range(6)]
        forged = requests.get(url + API, headers={"X-Forwarded-For": "203.0.113.77"}, timeout=30)

    assert statuses == [200, 200, 200, 200, 200, 429]
    assert forged.status_code == 429
    assert int(forged.headers["Retry-After"]) > 0
    assert len(answering_processes(log, API)) >= 6, log.read_text()


def sign_in_form(url: str) -> tuple[requests.Session, str]:
    """A browser's session with the sign-in page's CSRF cookie, and the form's token."""
    session = requests.Session()
    form = session.get(f"{url}/accounts/login/", timeout=30).text
    return session, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)


def sign_in(url: str, session: requests.Session, token: str, password: str) -> requests.Response:
    return session.post(
        f"{url}/accounts/login/",
        data={"username": "ana", "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )


def test_failed_sign_ins_through_different_workers_add_up_to_one_lockout(tmp_path, static_root):
    environment = two_workers(tmp_path, static_root, f"db://kb_cache?key_prefix={uuid.uuid4()}")
    log = tmp_path / "server.log"
    with serving(environment, log) as url:
        manage(environment, "grant_role", "ana", "analyst", "--create", "--password-from-env",
               KB_PASSWORD=PASSWORD)  # fmt: skip
        session, token = sign_in_form(url)
        failures = [sign_in(url, session, token, "wrong").status_code for _ in range(5)]
        locked = sign_in(url, session, token, PASSWORD)
        count = manage(
            environment, "shell", "--verbosity", "0", "-c",
            "from axes.models import AccessAttempt as A; "
            "print(A.objects.get(username='ana').failures_since_start)",
        )  # fmt: skip

    assert failures == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert "Try again in 15 minutes" in locked.text
    assert count.strip() == "5"
    # Each request for the sign-in page was answered by a process of its own.
    assert len(answering_processes(log, "/accounts/login/")) >= 7
