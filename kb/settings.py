"""Settings for the knowledge base, every value read from the environment."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_cache_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
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


def envorigins(name: str) -> list[str]:
    origins = []
    for origin in envlist(name, ""):
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ImproperlyConfigured(
                f"{name} takes comma-separated origins such as https://kb.example.org "
                f"(a scheme and a host, no path), not {origin!r}."
            )
        # Django compares origins as written: "https://kb.example.org/" would never match.
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def envproxyheader(name: str) -> tuple[str, str] | None:
    value = os.getenv(name, "").strip()
    if not value:
        return None
    header, _, expected = (part.strip() for part in value.partition(","))
    if not re.fullmatch(r"HTTP_[A-Z0-9_]+", header) or not expected:
        raise ImproperlyConfigured(
            f"{name} must be the header as Django names it and the value that means HTTPS, "
            f"such as HTTP_X_FORWARDED_PROTO,https, not {value!r}."
        )
    return header, expected


# The local demo runs in debug mode; a deployment sets DEBUG=false and a real SECRET_KEY.
DEBUG = envbool("DEBUG", "true")

# Keys that have been published in examples and templates: anyone could sign sessions with them.
PLACEHOLDER_SECRET_KEYS = ("change-me", "changeme", "change_me", "secret", "django-insecure")
HOW_TO_MAKE_A_SECRET_KEY = (
    'Make one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
)

SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment before starting with DEBUG=false. "
            + HOW_TO_MAKE_A_SECRET_KEY
        )
    # A throwaway key, good only for the local demo: sessions do not survive a restart.
    SECRET_KEY = "insecure-local-demo-key-" + os.urandom(16).hex()
elif not DEBUG:
    lowered = SECRET_KEY.lower()
    if lowered in PLACEHOLDER_SECRET_KEYS or lowered.startswith(PLACEHOLDER_SECRET_KEYS):
        raise ImproperlyConfigured(
            "SECRET_KEY is a placeholder from an example; with DEBUG=false it must be a long "
            "random string of your own. " + HOW_TO_MAKE_A_SECRET_KEY
        )
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            f"SECRET_KEY is {len(SECRET_KEY)} characters long; with DEBUG=false it must have "
            "at least 50. " + HOW_TO_MAKE_A_SECRET_KEY
        )

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
    # The Content-Security-Policy header, and failed sign-ins counted in the database.
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # In production, static files from the collected, hashed and compressed copies in
    # STATIC_ROOT, right after SecurityMiddleware so that they get its headers and no session;
    # the demo's runserver serves them from the apps' folders itself.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-csp's, with the policy built once (kb/csp.py).
    "kb.csp.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kb.urls"

TEMPLATE_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    # The header's roles, read with the permissions in one query.
    "kb.auth.roles",
]

TEMPLATES = [
    # The site's pages (kb/jinja2.py). First, so that their names find these; it reads only
    # templates/, which holds nothing else.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "kb.jinja2.environment",
            # The CSRF token masked at a tenth of Django's cost (kb/csrf.py).
            "context_processors": [*TEMPLATE_CONTEXT_PROCESSORS, "kb.csrf.tokens"],
        },
    },
    # The admin's and the libraries' pages, in Django's language; kb/templates/ holds the
    # admin's pages this project changes.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kb" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": TEMPLATE_CONTEXT_PROCESSORS},
    },
]

WSGI_APPLICATION = "kb.wsgi.application"

# DATABASE_URL chooses the database; unset, an SQLite file inside the project. In production a
# worker keeps its connection for DATABASE_CONN_MAX_AGE seconds instead of opening one per
# request, and checks that it still works before reusing it. Behind PgBouncer in transaction
# pooling mode, PostgreSQL's server-side cursors and prepared statements must be off (README:
# Deploying).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "0" if DEBUG else "60", minimum=0),
        conn_health_checks=True,
        disable_server_side_cursors=envbool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", "false"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, whose check of a kept connection costs no round trip when the server
    # has sent nothing since (kb/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "kb.postgresql"
# The queries that read a request's rows are prepared on the connection (kb/prepared.py).
DATABASE_PREPARED_STATEMENTS = envbool("DATABASE_PREPARED_STATEMENTS", "true")
if DATABASES["default"]["ENGINE"] == "kb.postgresql" and not envbool("DATABASE_JIT", "false"):
    # PostgreSQL compiles a query whose estimated cost passes jit_above_cost to machine code
    # first: 250 ms for a page of 500 contradictions with their claims, which then runs in
    # 160 ms. The site's queries are short; none gains it back. Behind PgBouncer, which does
    # not pass start-up options on, set it on the database instead (README: Deploying).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two writers at once (two editors deciding, two workers): every transaction takes the write
    # lock when it begins (IMMEDIATE), so the second waits for the first (up to `timeout`
    # seconds) and then reads what it wrote, instead of failing with "database is locked" when
    # a read lock cannot be upgraded. WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A request that fails (a 500) is logged with its traceback on the standard error, which gunicorn
# writes to its error log: with DEBUG off Django would otherwise only mail it to ADMINS. With
# DEBUG on Django's own console handler prints it already.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"production": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "level": "ERROR", "filters": ["production"]}
    },
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}

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
# In production `collectstatic` writes every file under a name with its hash, gzip-compressed
# beside it, so that WhiteNoise can let browsers keep them for ever; the demo serves the
# files as they are, without a collectstatic step.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "queue"
LOGOUT_REDIRECT_URL = "home"

# Ingest: the largest document accepted, and fetching URLs (off where the server has no
# network; addresses inside the server's own network are refused unless allowed).
KB_INGEST_MAX_BYTES = int(os.getenv("KB_INGEST_MAX_BYTES", str(10_000_000)))
# A document pasted into a form (ingest, a source's text in the admin) may be as large as one
# ingest accepts, with room for the form's other fields; beyond that Django stops reading.
DATA_UPLOAD_MAX_MEMORY_SIZE = KB_INGEST_MAX_BYTES + 1_000_000
KB_FETCH_ENABLED = envbool("KB_FETCH_ENABLED", "true")
KB_FETCH_TIMEOUT = float(os.getenv("KB_FETCH_TIMEOUT", "10"))
KB_FETCH_ALLOW_PRIVATE = envbool("KB_FETCH_ALLOW_PRIVATE", "false")

# Four eyes: an editor may not decide in favour of claims they alone created.
KB_FOUR_EYES = envbool("KB_FOUR_EYES", "true")

# The bundle the demo loads (`make run`).
KB_DEMO_BUNDLE = BASE_DIR / "kb" / "demo" / "peru.json"

# Django's database sessions, read with a query written once (kb/sessions.py).
SESSION_ENGINE = "kb.sessions"

# HTTPS. A deployment behind a proxy that ends TLS sets SECURE_PROXY_SSL_HEADER (the header
# the proxy sets, and its value for HTTPS), then SECURE_SSL_REDIRECT and SECURE_HSTS_SECONDS.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "false" if DEBUG else "true")
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", "false" if DEBUG else "true")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false")
SECURE_PROXY_SSL_HEADER = envproxyheader("SECURE_PROXY_SSL_HEADER")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0", minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
CSRF_TRUSTED_ORIGINS = envorigins("CSRF_TRUSTED_ORIGINS")

# Content-Security-Policy: scripts, styles, images and fonts from this site only (the API's
# documentation included: Swagger UI comes from drf-spectacular-sidecar, and its start-up script
# is a file of its own), nothing framed, forms posted here only. Styles may be inline: the pages
# set a column count in a style attribute, and Swagger UI's page carries a style element.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in (OWASP ASVS level 1, V2.2): after AXES_FAILURE_LIMIT failed sign-ins for one account
# from one address, that account is locked at that address for the cool-off time, on the site's
# and the admin's sign-in pages alike. The count lives in the database, so every worker sees it;
# an administrator unlocks with `manage.py axes_reset_username NAME` or in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # django.contrib.auth's ModelBackend, one query for a user's permissions instead of two.
    "kb.auth.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("KB_SIGNIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("KB_SIGNIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Tries during a lockout do not move its end, so the time the lockout page gives holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address by the same rule as the API's throttles (KB_TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "kb.api.access.client_address"


# The read API (/api/). Public by default; KB_API_PUBLIC=false limits it to signed-in users and
# API tokens. Anonymous clients and token holders are throttled at the rates below.
KB_API_PUBLIC = envbool("KB_API_PUBLIC", "true")


KB_API_PAGE_SIZE = envint("KB_API_PAGE_SIZE", "50")
KB_TRUSTED_PROXIES = envint("KB_TRUSTED_PROXIES", "0", minimum=0)
KB_API_MAX_PAGE_SIZE = envint("KB_API_MAX_PAGE_SIZE", "1000")

REST_FRAMEWORK = {
    # Token first, so that a refused request answers 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "kb.api.access.SignedInRateThrottle",
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
    # An unknown ?format= is a 404 that names the formats the endpoint offers.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "kb.api.negotiation.FormatNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The API's own classes (access, keyset pagination, CSV) are set on its base viewset,
    # kb/api/viewsets.py.
    "EXCEPTION_HANDLER": "kb.api.errors.exception_handler",
    # How many proxies in front of the server append to X-Forwarded-For: the client is the
    # address the outermost trusted one saw. 0 (the default) takes the connection's address, so
    # a made-up X-Forwarded-For header cannot buy a fresh budget.
    "NUM_PROXIES": KB_TRUSTED_PROXIES,
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
        "ReliabilityEnum": "sources.models.Reliability",
    },
    # The documentation's JavaScript and CSS come from a package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI: no badge fetched from the outside validator; filters start empty (their
    # examples are left out of the schema: kb/api/schema.py).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}


# The cache: throttles count requests in it, so every worker and server must share it. CACHE_URL
# names it (redis://host:6379/0, db://kb_cache, file:///var/cache/kb); unset, the demo keeps it in
# its one process and production in the database table kb_cache (`make serve` creates it).
PRODUCTION_CACHE_URL = "db://kb_cache"


def envcache(name: str, *, production: bool = not DEBUG) -> dict:
    """The cache that the variable `name` names, or the default; `production`: as production
    reads it (kb_bench measures with it), its default and never one inside each process."""
    url = os.getenv(name, PRODUCTION_CACHE_URL if production else "locmem://").strip()
    try:
        cache = django_cache_url.parse(url)
    except Exception as error:  # the library raises a bare Exception for an unknown scheme
        raise ImproperlyConfigured(
            f"{name} must be a cache URL such as redis://127.0.0.1:6379/0, db://kb_cache or "
            f"file:///var/cache/kb, not {url!r} ({error})."
        ) from error
    per_process = cache["BACKEND"].endswith(("LocMemCache", "DummyCache"))
    if per_process and production:
        raise ImproperlyConfigured(
            f"{name}={url} keeps the cache inside each process, so every worker would count its "
            "own throttle budget; with DEBUG=false use redis://..., db://TABLE or file:///DIR."
        )
    if not per_process and not cache.get("LOCATION"):
        raise ImproperlyConfigured(f"{name}={url} names no server, table or directory.")
    if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
        # Django's, its writes in one statement on PostgreSQL (kb/cache.py).
        cache["BACKEND"] = "kb.cache.DatabaseCache"
    return cache


CACHES = {"default": envcache("CACHE_URL")}
