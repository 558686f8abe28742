"""Shared fixtures: the reference data loaded once per test database, and the
personas every view is checked for (a visitor, a contributor, another
contributor, a moderator)."""

import functools
import re

import pytest
import redis
from django.core.management import call_command
from django.test import Client

from tests import factories


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The real geography and vocabularies, loaded once into the test database."""
    with django_db_blocker.unblock():
        call_command("load_vocabularies", verbosity=0)
        call_command("load_territories", verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Every factory user has a password: hashing it with the production hasher
    (hundreds of thousands of PBKDF2 rounds) made half of the suite's time.
    The log-in tests still check passwords, with a cheap hasher."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def own_client(user=None):
    """A browser of one's own: two personas in one test are two sessions, not
    one client logged in as whoever came last."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def visitor(db):
    """Anonymous, in a browser of their own (not pytest-django's `client`)."""
    return own_client()


@pytest.fixture
def contributor(db):
    return factories.UserFactory(email="claire.contributrice@example.org")


@pytest.fixture
def other_contributor(db):
    return factories.UserFactory(email="olivier.autre@example.org")


@pytest.fixture
def moderator(db):
    """Staff, in the « Modérateurs » group that the admin permissions come from."""
    from django.contrib.auth.models import Group

    user = factories.UserFactory(email="mona.moderatrice@example.org", is_staff=True)
    user.groups.add(*Group.objects.filter(name="Modérateurs"))
    return user


@pytest.fixture
def contributor_client(contributor):
    return own_client(contributor)


@pytest.fixture
def other_client(other_contributor):
    return own_client(other_contributor)


@pytest.fixture
def moderator_client(moderator):
    return own_client(moderator)


@pytest.fixture(autouse=True)
def french_to_begin_with():
    """Every test starts in the default language, whatever the last request of
    the previous test activated (the API switches to the language asked)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and cached figures start empty in every test."""
    clear_this_runs_cache()
    yield
    clear_this_runs_cache()


@functools.cache
def redis_client(url):
    return redis.Redis.from_url(url)


def clear_this_runs_cache():
    """On Redis (CACHE_URL) only the keys of this run's prefix (`test-<host>`)
    go: `cache.clear()` would empty the whole Redis database, whoever uses it."""
    from django.conf import settings
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = redis_client(settings.CACHES["default"]["LOCATION"])
    pattern = re.sub(r"([\[\]*?\\])", r"\\\1", cache.key_prefix) + ":*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)
