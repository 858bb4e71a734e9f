"""With DEBUG off the settings refuse weak secrets and bad security values, each with a sentence
naming the variable, and `manage.py check --deploy` is clean with the README's variables."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys

import pytest

from tests.deploy.server import NOT_PASSED_ON, ROOT

GOOD_KEY = secrets.token_urlsafe(50)
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "kb.example.org"}
HOW_TO = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
# What the settings module made of the environment, as JSON (the values tests look at).
SHOW = """
import json, kb.settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "CACHES", "DATABASES", "REST_FRAMEWORK", "MIDDLEWARE", "STORAGES",
)}, default=str))
"""


def run(arguments: list[str], **variables) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    environment.update(variables)
    return subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def settings_with(**variables) -> dict:
    result = run(["-c", SHOW], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refusal(**variables) -> str:
    """The ImproperlyConfigured message the settings stop with."""
    result = run(["-c", "import kb.settings"], **variables)
    assert result.returncode != 0, "the settings were accepted"
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("key", ["x" * 49, "short"])
def test_a_secret_key_shorter_than_50_characters_is_refused_with_how_to_make_one(key):
    message = refusal(**{**PRODUCTION, "SECRET_KEY": key})

    assert f"SECRET_KEY is {len(key)} characters long" in message
    assert "at least 50" in message and HOW_TO in message


@pytest.mark.parametrize(
    "key",
    ["change-me", "secret", "django-insecure-" + "k" * 50, "change-me-" * 6, "CHANGEME" * 7],
)
def test_a_placeholder_secret_key_is_refused_however_long(key):
    message = refusal(**{**PRODUCTION, "SECRET_KEY": key})

    assert "SECRET_KEY is a placeholder" in message and HOW_TO in message


def test_a_long_random_secret_key_is_accepted_and_production_defaults_are_safe():
    settings = settings_with(**PRODUCTION)

    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["CSRF_COOKIE_SECURE"] is True
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings["MIDDLEWARE"]
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    # Never a cache per process: the database's (Django's, its writes in one statement on
    # PostgreSQL: kb/cache.py), which `make serve` creates.
    assert settings["CACHES"]["default"] == {
        "BACKEND": "kb.cache.DatabaseCache",
        "LOCATION": "kb_cache",
    }
    database = settings["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 60 and database["CONN_HEALTH_CHECKS"] is True
    # Without trusted proxies, a client is the connection's address, never X-Forwarded-For.
    assert settings["REST_FRAMEWORK"]["NUM_PROXIES"] == 0


def test_the_demo_keeps_one_process_cache_and_short_lived_connections():
    settings = settings_with(DEBUG="true")

    assert settings["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert settings["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_https_settings_come_from_variables_of_the_same_names():
    settings = settings_with(
        **PRODUCTION,
        SECURE_HSTS_SECONDS="31536000",
        SECURE_SSL_REDIRECT="true",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        CSRF_TRUSTED_ORIGINS="https://kb.example.org/, https://kb.example.net:8443",
    )

    assert settings["SECURE_HSTS_SECONDS"] == 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == [
        "https://kb.example.org",  # without the slash, as browsers send it
        "https://kb.example.net:8443",
    ]


def test_the_cache_and_connections_come_from_cache_url_and_database_conn_max_age():
    settings = settings_with(
        **PRODUCTION,
        CACHE_URL="redis://127.0.0.1:6379/2",
        DATABASE_CONN_MAX_AGE="300",
        KB_TRUSTED_PROXIES="2",
    )

    assert settings["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/2",
    }
    assert settings["DATABASES"]["default"]["CONN_MAX_AGE"] == 300
    assert settings["REST_FRAMEWORK"]["NUM_PROXIES"] == 2


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS must be a whole number"),
        ("SECURE_SSL_REDIRECT", "maybe", "SECURE_SSL_REDIRECT must be true or false"),
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto", "such as HTTP_X_FORWARDED_PROTO,https"),
        ("CSRF_TRUSTED_ORIGINS", "kb.example.org", "CSRF_TRUSTED_ORIGINS takes comma-separated"),
        ("CSRF_TRUSTED_ORIGINS", "https://kb.example.org/admin/", "(a scheme and a host, no path)"),
        ("CACHE_URL", "mongo://127.0.0.1", "CACHE_URL must be a cache URL such as"),
        ("CACHE_URL", "locmem://", "keeps the cache inside each process"),
        ("CACHE_URL", "db://", "names no server, table or directory"),
        ("KB_TRUSTED_PROXIES", "-1", "KB_TRUSTED_PROXIES must be a whole number of at least 0"),
        ("DATABASE_CONN_MAX_AGE", "forever", "DATABASE_CONN_MAX_AGE must be a whole number"),
        ("KB_SIGNIN_FAILURE_LIMIT", "0", "KB_SIGNIN_FAILURE_LIMIT must be a whole number"),
    ],
)
def test_a_bad_value_is_refused_with_a_sentence_naming_the_variable(variable, value, words):
    message = refusal(**{**PRODUCTION, variable: value})

    assert words in message
    assert repr(value) in message or value in message


def _documented_production_variables() -> dict[str, str]:
    """The `export NAME=value` lines of the README's Deploying section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Deploying\n", 1)[1].split("\n## ", 1)[0]
    variables = dict(re.findall(r"^export ([A-Z_]+)=(\S+)", section, flags=re.MULTILINE))
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_HSTS_SECONDS"} <= set(variables)
    return variables


def test_check_deploy_is_clean_with_the_documented_production_variables():
    # The README makes the key with a command; any key so made will do.
    variables = {**_documented_production_variables(), "SECRET_KEY": GOOD_KEY}

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **variables)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_server_error_is_logged_with_its_traceback_with_debug_off(tmp_path, static_root):
    # The database cannot be opened, so the request fails: the operator must see why in the
    # server's error log (stderr), not only a 500 in the access log.
    request = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client(raise_request_exception=False).get('/api/v1/claims/').status_code)"
    )
    # The error page names its style sheet by its hashed name: collected as `make serve` does.
    collected = run(["manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                    **PRODUCTION, STATIC_ROOT=str(static_root))  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    result = run(
        ["-c", request], DJANGO_SETTINGS_MODULE="kb.settings",
        **{**PRODUCTION, "ALLOWED_HOSTS": "testserver"},
        DATABASE_URL=f"sqlite:///{tmp_path}/missing/db.sqlite3", STATIC_ROOT=str(static_root),
    )  # fmt: skip
    assert result.stdout.strip() == "500", result.stderr
    assert "Internal Server Error: /api/v1/claims/" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "unable to open database file" in result.stderr


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit_unless_asked():
    from django.db import connection

    # This very connection was made with the settings' options.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"

    database = os.environ["DATABASE_URL"]
    assert settings_with(**PRODUCTION, DATABASE_URL=database)["DATABASES"]["default"][
        "OPTIONS"
    ] == {"options": "-c jit=off"}
    asked = settings_with(**PRODUCTION, DATABASE_URL=database, DATABASE_JIT="true")
    assert "options" not in asked["DATABASES"]["default"].get("OPTIONS", {})
