"""Limits and cached figures hold across processes when CACHE_URL names a Redis.

Each test starts other processes, as gunicorn starts workers: they spend the
log-in budget, or write, against the same CACHE_URL, and this process (one more
worker) must see it. Without CACHE_URL the tests are skipped; under CI with
CACHE_URL set they must run, and fail if Redis does not answer.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from registry.models import Case, CaseStatus
from tests.factories import CaseFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent
CACHE_URL = os.environ.get("CACHE_URL", "")
SOURCE = "192.0.2.44"
PASSWORD = "une-phrase-de-passe-solide"


def redis_answers():
    try:
        return redis.Redis.from_url(CACHE_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="module", autouse=True)
def shared_cache():
    if not CACHE_URL:
        pytest.skip("CACHE_URL is not set: the cache is local to each process")
    if not redis_answers():
        message = "CACHE_URL is set but Redis does not answer"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (the Redis pass must run these tests in CI)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def worker_env(tmp_path_factory):
    """The environment of another worker: the same settings and CACHE_URL, over
    a database of its own (the test database is not visible outside this
    process's transaction; the cache is what is shared here)."""
    database = tmp_path_factory.mktemp("worker") / "worker.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TESTING": "true",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    run(["migrate", "--noinput"], env=env)
    return env


def run(args, *, env):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# What a worker does with the log-ins it is given: answer each, print the status.
WORKER_LOG_INS = """
import json, os
from django.test import Client

client = Client()
for email, password in json.loads(os.environ["LOG_INS"]):
    response = client.post(
        "/compte/connexion/",
        {"username": email, "password": password},
        REMOTE_ADDR=os.environ["SOURCE"],
    )
    print(response.status_code)
"""


def log_ins_in_two_workers_at_once(log_ins, *, env):
    """Two other Django processes, at the same time, each answer `log_ins`
    (pairs of address and password) from SOURCE; the statuses each answered."""
    env = {**env, "LOG_INS": json.dumps(log_ins), "SOURCE": SOURCE}
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", WORKER_LOG_INS],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    statuses = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stdout + stderr
        statuses.append([int(status) for status in stdout.split()])
    return statuses


def log_in(client, email, password):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=SOURCE
    )


def well_inside_a_window(period=900):
    """The cap per source counts in fixed windows: start well inside one."""
    remaining = period - time.time() % period
    if remaining < 30:
        time.sleep(remaining)


@pytest.mark.django_db
def test_failed_log_ins_in_two_workers_add_up_to_the_delay(client, worker_env):
    UserFactory(email="claire@example.org", password=PASSWORD)
    statuses = log_ins_in_two_workers_at_once(
        [("claire@example.org", "devine")] * 2, env=worker_env
    )
    assert statuses == [[200, 200], [200, 200]]

    # Four failures elsewhere and one here are the five free ones: now it waits.
    assert log_in(client, "claire@example.org", "devine").status_code == 200
    response = log_in(client, "claire@example.org", PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives\u00a0: réessayez dans 1\u00a0seconde." in response.content.decode()


@pytest.mark.django_db
def test_the_cap_per_source_counts_the_attempts_of_every_worker(client, worker_env):
    well_inside_a_window()
    log_ins = [(f"personne{number}@example.org", "x") for number in range(15)]
    statuses = log_ins_in_two_workers_at_once(log_ins, env=worker_env)
    assert statuses == [[200] * 15, [200] * 15]

    assert log_in(client, "encore.une@example.org", "x").status_code == 429


@pytest.mark.django_db
def test_a_write_in_another_worker_refreshes_the_figures_here(client, worker_env):
    draft = CaseFactory(status=CaseStatus.DRAFT)
    CaseFactory.create_batch(2)
    assert "<strong>2</strong> expériences publiées" in client.get("/").content.decode()

    # Another worker publishes the case: its row is in the shared database, and
    # it bumps the registry version in the shared cache (and forgets the stored
    # export rows in the database it works on: a migrated one of its own here).
    Case.objects.filter(pk=draft.pk).update(
        status=CaseStatus.PUBLISHED, published_at=timezone.now()
    )
    code = "from registry.models.index import bump_registry_version; bump_registry_version()"
    run(["shell", "-c", code], env=worker_env)

    assert "<strong>3</strong> expériences publiées" in client.get("/").content.decode()


# What a worker that has just started counts from: the bitmaps of the registry
# version, and how many queries it took to have them.
WORKER_SNAPSHOT = """
from django.db import connection
from django.test.utils import CaptureQueriesContext
from registry.counting.bitmaps import snapshot

with CaptureQueriesContext(connection) as captured:
    held = snapshot()
print(len(held.published), len(captured))
"""


@pytest.mark.django_db
def test_a_worker_that_starts_counts_from_the_bitmaps_another_built(client, worker_env):
    CaseFactory.create_batch(3)
    assert "<strong>3</strong> expériences publiées" in client.get("/").content.decode()

    # The other worker's database holds no case: the three it counts are those
    # of the bitmaps this process built and shared, read without a query.
    printed = run(["shell", "--verbosity", "0", "-c", WORKER_SNAPSHOT], env=worker_env)
    published, queries = printed.split()
    assert (published, queries) == ("3", "0")
