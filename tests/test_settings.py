"""Production settings: clean under `check --deploy`, and refusing to start when
a required variable is missing or a value is wrong.

Each case runs `manage.py` in a fresh process, as a server would start, with
the environment a production host would have rather than the test suite's.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
# Every variable config/settings.py reads: the host running the tests must not
# leak its own values into these checks.
SETTINGS_VARIABLES = {
    "DEBUG",
    "TESTING",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "PUBLISHER_NAME",
    "PUBLISHER_ADDRESS",
    "PUBLISHER_PHONE",
    "PUBLISHER_IDENTIFIER",
    "PUBLICATION_DIRECTOR",
    "HOST_NAME",
    "HOST_ADDRESS",
    "HOST_PHONE",
    "CONTACT_EMAIL",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "DATABASE_STATEMENT_TIMEOUT_MS",
    "CACHE_URL",
    "COUNT_WITH_BITMAPS",
    "TASK_BACKEND",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "LOG_LEVEL",
}
PRODUCTION_SECRET_KEY = "k7Qp2vXn9LwR4tYz8Bc3Hf6Jm1Sd5Ga0Ue7Ko2Pi9Wq4Nr8Ty3Lx6Vb1Zh5M"


@pytest.fixture
def production_env(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=PRODUCTION_SECRET_KEY,
        ALLOWED_HOSTS="registre.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        # The legal notice (« Mentions légales ») of a real deployment.
        PUBLISHER_NAME="Association Territoires Alliés",
        PUBLISHER_ADDRESS="12 rue des Partenaires, 59000 Lille",
        PUBLISHER_PHONE="03 20 00 00 00",
        PUBLICATION_DIRECTOR="Camille Martin",
        HOST_NAME="Hébergeur Coopératif",
        HOST_ADDRESS="1 quai du Serveur, 69000 Lyon",
        HOST_PHONE="04 72 00 00 00",
        CONTACT_EMAIL="contact@registre.example.org",
        # Only named: no check connects to it.
        CACHE_URL="redis://127.0.0.1:6379/0",
    )
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refuses_to_start(result, *, mentioning):
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert mentioning in result.stderr


def test_check_deploy_reports_nothing_with_production_settings(production_env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(production_env):
    del production_env["SECRET_KEY"]

    assert_refuses_to_start(manage("check", env=production_env), mentioning="SECRET_KEY")


def test_production_refuses_a_short_secret_key(production_env):
    production_env["SECRET_KEY"] = "too-short"

    assert_refuses_to_start(manage("check", env=production_env), mentioning="SECRET_KEY")


def test_production_refuses_the_development_key(production_env):
    production_env["SECRET_KEY"] = "insecure-development-key-never-use-in-production"

    assert_refuses_to_start(manage("check", env=production_env), mentioning="SECRET_KEY")


def test_production_refuses_to_start_without_allowed_hosts(production_env):
    del production_env["ALLOWED_HOSTS"]

    assert_refuses_to_start(manage("check", env=production_env), mentioning="ALLOWED_HOSTS")


@pytest.mark.parametrize("name", ["DEBUG", "TESTING", "SECURE_SSL_REDIRECT", "EMAIL_USE_TLS"])
def test_a_boolean_that_is_neither_true_nor_false_is_refused(production_env, name):
    production_env[name] = "maybe"

    assert_refuses_to_start(manage("check", env=production_env), mentioning=f"{name} must be")


def test_an_integer_that_is_not_a_number_is_refused(production_env):
    production_env["CONN_MAX_AGE"] = "a minute"

    assert_refuses_to_start(manage("check", env=production_env), mentioning="CONN_MAX_AGE")


def test_production_without_a_shared_cache_is_warned_about(production_env):
    del production_env["CACHE_URL"]

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)

    assert result.returncode != 0
    assert "accounts.W001" in result.stderr
    assert "rate limits and cached counts are per process" in result.stderr


@pytest.mark.parametrize(
    "url",
    ["memcached://cache.internal:11211", "cache.internal:6379", "redis://:s3cret@cache.internal:63x9/0"],
)
def test_a_cache_url_that_is_not_redis_is_refused_without_echoing_it(production_env, url):
    production_env["CACHE_URL"] = url

    result = manage("check", env=production_env)

    assert_refuses_to_start(result, mentioning="CACHE_URL")
    assert url not in result.stderr and "s3cret" not in result.stderr


def test_the_cache_url_selects_redis_shared_by_every_process(production_env):
    code = (
        "from django.conf import settings; c = settings.CACHES['default']; "
        "print(c['BACKEND'], c['LOCATION'], c['KEY_PREFIX'])"
    )
    production_env["CACHE_URL"] = "redis://127.0.0.1:6379/3"
    production_env["SITE_URL"] = "https://registre.example.org"

    result = manage("shell", "--verbosity", "0", "-c", code, env=production_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/3",
        "registre.example.org",
    ]


TASKS_BACKEND_CODE = (
    "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])"
)


def test_production_sends_its_emails_through_the_database_worker(production_env):
    result = manage("shell", "--verbosity", "0", "-c", TASKS_BACKEND_CODE, env=production_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django_tasks_db.DatabaseBackend"


def test_development_sends_its_emails_at_once_without_a_worker(production_env):
    production_env["DEBUG"] = "true"

    result = manage("shell", "--verbosity", "0", "-c", TASKS_BACKEND_CODE, env=production_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django_tasks.backends.immediate.ImmediateBackend"


def test_an_unknown_task_backend_is_refused(production_env):
    production_env["TASK_BACKEND"] = "celery"

    assert_refuses_to_start(manage("check", env=production_env), mentioning="TASK_BACKEND")


def test_development_needs_no_variable_but_debug(production_env):
    for name in ("SECRET_KEY", "ALLOWED_HOSTS"):
        del production_env[name]
    production_env["DEBUG"] = "true"

    result = manage("check", env=production_env)

    assert result.returncode == 0, result.stderr


def test_env_example_documents_every_variable_the_settings_read():
    settings_source = (BASE_DIR / "config" / "settings.py").read_text()
    read = set(
        re.findall(r'(?:env_bool|env_int|env_list|os\.environ\.get)\("([A-Z_]+)"', settings_source)
    )
    documented = set(
        re.findall(r"^#? ?([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.MULTILINE)
    )

    assert read == SETTINGS_VARIABLES
    assert read <= documented, sorted(read - documented)


def test_production_without_its_legal_notice_starts_but_fails_the_deploy_check(production_env):
    del production_env["PUBLISHER_NAME"]
    del production_env["HOST_NAME"]

    started = manage("check", env=production_env)
    deploy = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)

    assert started.returncode == 0, started.stderr
    assert "registry.W001" in started.stderr
    assert deploy.returncode != 0
    assert "PUBLISHER_NAME, HOST_NAME not set" in deploy.stderr
