"""Settings for the knowledge base, every value read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


# The local demo runs in debug mode; a deployment sets DEBUG=false and a real SECRET_KEY.
DEBUG = envbool("DEBUG", "true")

SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (any long random string) "
            "before starting with DEBUG=false."
        )
    # A throwaway key, good only for the local demo: sessions do not survive a restart.
    SECRET_KEY = "insecure-local-demo-key-" + os.urandom(16).hex()

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "simple_history",
    "kb",
    "sources",
    "claims",
    # The read API: token sign-in, OpenAPI, and the Swagger UI / Redoc files served locally.
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "kb.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "kb.wsgi.application"

# DATABASE_URL chooses the database; unset, an SQLite file inside the project.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.getenv("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "staticfiles"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "queue"
LOGOUT_REDIRECT_URL = "home"

# Ingest: the largest document accepted, and fetching URLs (off where the server has no
# network; addresses inside the server's own network are refused unless allowed).
KB_INGEST_MAX_BYTES = int(os.getenv("KB_INGEST_MAX_BYTES", str(10_000_000)))
KB_FETCH_ENABLED = envbool("KB_FETCH_ENABLED", "true")
KB_FETCH_TIMEOUT = float(os.getenv("KB_FETCH_TIMEOUT", "10"))
KB_FETCH_ALLOW_PRIVATE = envbool("KB_FETCH_ALLOW_PRIVATE", "false")

# Four eyes: an editor may not decide in favour of claims they alone created.
KB_FOUR_EYES = envbool("KB_FOUR_EYES", "true")

# The bundle the demo loads (`make run`).
KB_DEMO_BUNDLE = BASE_DIR / "kb" / "demo" / "peru.json"

if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "true")
    CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", "true")


# The read API (/api/). Public by default; KB_API_PUBLIC=false limits it to signed-in users and
# API tokens. Anonymous clients and token holders are throttled at the rates below.
KB_API_PUBLIC = envbool("KB_API_PUBLIC", "true")


def envint(name: str, default: str, *, minimum: int = 1) -> int:
    value = os.getenv(name, default).strip()
    if not value.isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least {minimum}, not {value!r}."
        )
    return int(value)


def envrate(name: str, default: str) -> str:
    value = os.getenv(name, default).strip()
    number, _, period = value.partition("/")
    if not number.isdigit() or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(f"{name} must look like 120/minute or 5/second, not {value!r}.")
    return value


KB_API_PAGE_SIZE = envint("KB_API_PAGE_SIZE", "50")
KB_API_MAX_PAGE_SIZE = envint("KB_API_MAX_PAGE_SIZE", "1000")

REST_FRAMEWORK = {
    # Token first, so that a refused request answers 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envrate("KB_API_ANON_RATE", "120/minute"),
        "user": envrate("KB_API_USER_RATE", "1200/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The API's own classes (access, keyset pagination, CSV) are set on its base viewset,
    # kb/api/viewsets.py.
    "EXCEPTION_HANDLER": "kb.api.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Claim-tracking knowledge base: read API",
    "DESCRIPTION": (
        "Sources, entities, attributes, claims and the contradictions between them, read-only. "
        "Lists are paginated by cursor (follow `next`); every list also answers `?format=csv`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["kb.api.access.ReadAccess"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "EntityKindEnum": "kb.models.EntityKind",
        "SourceKindEnum": "sources.models.SourceKind",
    },
    # The documentation's JavaScript and CSS come from a package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Throttling counts requests in this cache: per process, which is enough for one server.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kb"}}
