"""Browser tests: a real server process driven by a real Chromium.

Why not pytest-django's `live_server`: the rest of the suite loads the whole
geography (35 000 communes) once per session into the test database and relies
on each test being rolled back. A live server needs a transactional test, whose
flush would empty that database for every test after it. So the browser tests
get a site of their own instead: `manage.py runserver` in a separate process, on
a free port, over its own database (a temporary SQLite file, or
`<name>_browser` on the PostgreSQL server of `DATABASE_URL`), filled with the
reference data and demo cases by the project's own management commands.

Browser tests talk to that site over HTTP and through `site.manage(...)`; they
never use the `db` fixture. Playwright's sync API keeps an event loop running in
this thread while it is started, and Django refuses ORM calls under a running
loop, which is why Chromium is started for the browser package only.

Without /usr/bin/chromium the browser tests are skipped on a developer's
machine, and fail under CI (CI=true).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach
# Google's hosts, which a closed network refuses many times a second.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60
DEMO_CASES = 60
DEMO_SEED = 7


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    is_staff: bool = False


MODERATOR = Account("mona.moderatrice@example.org", "moderation-en-navigateur", is_staff=True)
CONTRIBUTOR = Account("claire.contributrice@example.org", "contribution-en-navigateur")


@dataclass
class Site:
    """The running site: its address, the environment its process runs with,
    the accounts created in its database, and its log (tracebacks of server
    errors land there)."""

    url: str
    env: dict
    log_path: Path
    moderator: Account = MODERATOR
    contributor: Account = CONTRIBUTOR
    commands: set = field(default_factory=set)

    def manage(self, *args, check=True):
        """Run `manage.py <args>` against the site's database; return the
        completed process (stdout and stderr as text)."""
        return run_manage(args, env=self.env, check=check)


def run_manage(args, *, env, check=True):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited with {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def on_postgresql_server(database_url, statement, name):
    """Run `statement` (SQL with one `{}` for a database name) from the
    server's `postgres` database, as pytest-django does for test databases."""
    import psycopg  # only needed on PostgreSQL
    from psycopg import sql

    parts = urlsplit(database_url)
    admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL(statement).format(sql.Identifier(name)))


def create_postgresql_database(database_url):
    """Create a fresh `<name>_browser` database; return its URL and name."""
    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_browser"
    on_postgresql_server(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    on_postgresql_server(database_url, "CREATE DATABASE {}", name)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def available_commands(env):
    listing = run_manage(["help", "--commands"], env=env).stdout
    return {line.strip() for line in listing.splitlines() if line.strip()}


CREATE_ACCOUNTS = """
from accounts.models import User
for email, password, is_staff in {accounts!r}:
    User.objects.filter(email=email).delete()
    User.objects.create_user(username=email, email=email, password=password, is_staff=is_staff)
"""


def fill_database(env):
    """Migrate and load the site's data with the project's own commands; return
    the set of management commands the project has."""
    run_manage(["migrate", "--noinput"], env=env)
    commands = available_commands(env)
    run_manage(["load_vocabularies"], env=env)
    run_manage(["load_territories"], env=env)
    # seed_demo is being written in parallel; until it lands the site has no cases.
    if "seed_demo" in commands:
        run_manage(
            ["seed_demo", "--cases", str(DEMO_CASES), "--seed", str(DEMO_SEED)],
            env=env,
        )
    accounts = [(a.email, a.password, a.is_staff) for a in (MODERATOR, CONTRIBUTOR)]
    run_manage(["shell", "-c", CREATE_ACCOUNTS.format(accounts=accounts)], env=env)
    return commands


def wait_until_serving(url, process, log_path):
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{url}/admin/login/", timeout=5)
            return
        except urllib.error.HTTPError:
            return  # it answered, even if with an error page
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    log = log_path.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"The test server at {url} did not start.\n--- its log\n{log}")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_in(page, account):
    """Sign in through the site's own form (the header holds a second « Se connecter »)."""
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(account.email)
    page.get_by_label("Mot de passe").fill(account.password)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


@pytest.fixture(scope="session")
def chromium_executable():
    """Debian's Chromium; Playwright cannot download a browser of its own here."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (browser tests must run in CI)")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """A real server over a database of its own, filled once per session."""
    folder = tmp_path_factory.mktemp("browser-site")
    database_url = os.environ.get("DATABASE_URL", "")
    postgresql_name = None
    if database_url.startswith("postgres"):
        site_database_url, postgresql_name = create_postgresql_database(database_url)
    else:
        site_database_url = f"sqlite:///{folder / 'site.sqlite3'}"

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.browser.server_settings",
        "DATABASE_URL": site_database_url,
        "DEBUG": "false",
        "TESTING": "true",
        "PYTHONUNBUFFERED": "1",
    }
    commands = fill_database(env)

    url = f"http://127.0.0.1:{free_port()}"
    log_path = folder / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", url.removeprefix("http://")],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(url, process, log_path)
        yield Site(url=url, env=env, log_path=log_path, commands=commands)
    finally:
        stop(process)
        if postgresql_name:
            on_postgresql_server(
                database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", postgresql_name
            )


@pytest.fixture(scope="package")
def browser(chromium_executable):
    """Chromium, started for the browser tests only (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_executable), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(request, chromium_executable, site, browser):
    """A fresh page (own cookies, French locale) whose relative URLs go to the site."""
    if request.node.get_closest_marker("browser") is None:
        pytest.fail("Tests using a browser page must be marked @pytest.mark.browser.")
    context = browser.new_context(
        base_url=site.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
