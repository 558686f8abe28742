"""Settings, read from the environment.

Every variable is documented in `.env.example`. Development needs none: without
`DATABASE_URL` the site uses a SQLite file in the project folder. Production
(`DEBUG` off, the default) refuses to start without a real `SECRET_KEY` and
`ALLOWED_HOSTS`.
"""

import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name, default=""):
    value = os.environ.get(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


REDIS_SCHEMES = {"redis", "rediss", "unix"}


def cache_from_url(url, *, key_prefix):
    """The default cache: Redis from `CACHE_URL`, shared by every worker and host
    (rate limits, cached counts), or, without it, memory local to each process."""
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "registry"}
    # Never echo the URL itself: it may hold a password.
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES:
        given = f"{parts.scheme}://…" if parts.scheme else "a URL without a scheme"
        raise ImproperlyConfigured(
            "CACHE_URL must be a Redis URL (redis://, rediss:// or unix://, e.g. "
            f"redis://127.0.0.1:6379/0), not {given}."
        )
    try:
        parts.port  # noqa: B018 -- reading it raises on a port that is not a number
    except ValueError:
        raise ImproperlyConfigured("CACHE_URL has a port that is not a number.") from None
    if parts.scheme != "unix" and (not parts.hostname or not re.fullmatch(r"/?\d*", parts.path)):
        raise ImproperlyConfigured(
            "CACHE_URL must name a host and, after it, a database number: "
            "redis://HOST:6379/0 (one URL, no list)."
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        # A Redis that stops answering fails a request within seconds rather
        # than holding a worker until gunicorn kills it.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


DEBUG = env_bool("DEBUG", False)
# Under pytest the settings are development-safe unless TESTING=false says otherwise.
TESTING = env_bool("TESTING", "pytest" in sys.modules)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set DEBUG=true for development."
        )
elif not (DEBUG or TESTING) and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG or TESTING:
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
elif not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Who publishes and hosts the registry, printed on « Mentions légales », « À propos »
# and in every footer. Left empty, the pages say « à renseigner » and, in production,
# `manage.py check` warns (registry.W001): the site starts, the deploy check fails.
PUBLISHER_NAME = os.environ.get("PUBLISHER_NAME", "")
PUBLISHER_ADDRESS = os.environ.get("PUBLISHER_ADDRESS", "")
PUBLISHER_PHONE = os.environ.get("PUBLISHER_PHONE", "")
PUBLISHER_IDENTIFIER = os.environ.get("PUBLISHER_IDENTIFIER", "")  # SIREN or RNA, if any
PUBLICATION_DIRECTOR = os.environ.get("PUBLICATION_DIRECTOR", "")
HOST_NAME = os.environ.get("HOST_NAME", "")
HOST_ADDRESS = os.environ.get("HOST_ADDRESS", "")
HOST_PHONE = os.environ.get("HOST_PHONE", "")
# Where the contact form's messages are e-mailed (they are also kept for staff in
# the moderation area). The development default is a placeholder address.
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "")
if not CONTACT_EMAIL and (DEBUG or TESTING):
    CONTACT_EMAIL = "contact@alliances.example"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "territories",
    "registry",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "registry.content_security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "registry.text.guard.ControlCharacterMiddleware",
    "registry.database_trouble.DatabaseTroubleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several requests at once (the browser tests, a dev server) must not trip
    # over "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The covering index of the counted columns (registry.Case) is for PostgreSQL;
    # SQLite builds it on its key columns alone, as intended.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# PostgreSQL cancels a statement running longer than this (0: never), so that no
# request holds a worker: the request answers 503 (registry.database_trouble).
# It bounds the processes that serve requests (gunicorn, runserver). The other
# commands of manage.py (migrate, load_territories, seed_demo, dump_registry…)
# run without it, as do the tests, which load the whole geography the way
# load_territories does: their statements legitimately take longer.
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 5000)
if DATABASE_STATEMENT_TIMEOUT_MS < 0:
    raise ImproperlyConfigured("DATABASE_STATEMENT_TIMEOUT_MS must be 0 (none) or more.")
RUNNING_A_COMMAND = Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] != ["runserver"]
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and DATABASE_STATEMENT_TIMEOUT_MS
    and not (RUNNING_A_COMMAND or TESTING)
):
    options = DATABASES["default"].setdefault("OPTIONS", {})  # `?options=` of the URL kept
    timeout = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"
    options["options"] = f"{options.get('options', '')} {timeout}".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "/"

AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# French thousands grouped with a narrow no-break space (config/formats/fr/formats.py).
# USE_THOUSAND_SEPARATOR stays off: years and codes print as they are, counts go
# through the `number` filter (registry/templatetags/typography.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "registre@alliances.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Who sends the site's e-mails (registry/tasks.py): `immediate` sends them in the
# process that queued them, once its transaction is committed (development, tests);
# `database` stores them in the tasks table for `manage.py db_worker` to send, with
# retries, outside the request (production).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASK_BACKEND = os.environ.get("TASK_BACKEND", "") or (
    "immediate" if DEBUG or TESTING else "database"
)
if TASK_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASK_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {TASK_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASK_BACKEND]}}

# How the site counts (registry/counting/bitmaps.py): from bitmaps of the published
# registry held by each process (default), or, with COUNT_WITH_BITMAPS=false, every
# count in SQL (the comparison the benchmarks and the tests make).
COUNT_WITH_BITMAPS = env_bool("COUNT_WITH_BITMAPS", True)

# Keys carry the site's host, so that two deployments may share one Redis
# database, and a test run's keys are its own (tests/conftest.py clears only those).
CACHES = {
    "default": cache_from_url(
        os.environ.get("CACHE_URL", ""),
        key_prefix=("test-" if TESTING else "") + urlsplit(SITE_URL).netloc,
    )
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Personal API tokens first: an unauthenticated request is answered 401 with
    # a WWW-Authenticate header. The session serves the site's own scripts (CSRF-checked).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, nesting bounded and forbidden characters refused (registry.api.parsers).
    "DEFAULT_PARSER_CLASSES": ["registry.api.parsers.CheckedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "registry.api.negotiation.LenientContentNegotiation",
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.api.throttling.AnonymousClientThrottle",
        "registry.api.throttling.AccountThrottle",
        "registry.api.throttling.WriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": "120/min",
        "account": "600/min",
        "write": "300/hour",
        "export": "60/hour",
    },
    # The client's address is REMOTE_ADDR (set by the proxy, see accounts.ratelimit):
    # an X-Forwarded-For header sent by the client must not dodge the limits.
    "NUM_PROXIES": 0,
    # `?format=` is not an alternative to the documented URLs.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Registre des alliances territoriales — API",
    "DESCRIPTION": (
        "Open data of the public registry of territorial alliances: published cases with "
        "the search page's filters, organisations, territories (INSEE COG 2026), the "
        "référentiel vocabularies, exports; contributors write their drafts with a personal "
        "token. Data under Licence Ouverte / Open Licence 2.0."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.document_input_rules",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "LICENSE": {
        "name": "Licence Ouverte / Open Licence 2.0",
        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    },
}

if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
