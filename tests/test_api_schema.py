"""The OpenAPI description: valid, generated without warnings even from an empty
database, served with its interactive documentation from our own static files,
and true to the API — a property-based fuzzer (schemathesis) runs every one of its
checks on every operation, as `st run --checks all --mode all` would, with a
contributor's token, and finds nothing."""

import tomllib
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connections
from django.test.utils import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from schemathesis import Config
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.engine import Status, events, from_schema
from schemathesis.transport.wsgi import WSGITransport

from accounts.models import ApiToken
from registry.api.schema import NON_BLANK_TEXT_PATTERN, TEXT_PATTERN
from registry.models import CaseStatus, Term
from registry.search.filters import CaseFilter
from tests.factories import CaseFactory, OrganizationFactory, term, territory

# Examples per operation in the fuzzing phase (the coverage phase adds its own, one
# per boundary of each parameter): the run stays under three minutes on SQLite.
EXAMPLES_PER_OPERATION = 5
SCHEMATHESIS_TOML = Path(__file__).resolve().parents[1] / "schemathesis.toml"


def generated_schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3_generated_without_warnings(tmp_path):
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/cases/" in schema["paths"]


@pytest.mark.django_db
def test_every_filter_of_the_search_page_is_documented_with_its_codes(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert set(CaseFilter.base_filters) <= set(parameters)
    themes = parameters["theme"]["schema"]["items"]["enum"]
    assert set(themes) == {"", *Term.objects.of("theme").values_list("code", flat=True)}
    assert set(parameters["sort"]["schema"]["enum"]) == {"relevance", "newest", "oldest", "title"}
    assert parameters["region"]["schema"]["items"]["pattern"]


@pytest.mark.django_db
def test_every_operation_documents_its_errors(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "429"} <= codes, (method, path)
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert "404" in codes, (method, path)
    writes = schema["paths"]["/api/v1/me/cases/{id}/"]["patch"]["responses"]
    assert {"200", "400", "401", "404", "409", "415", "429"} <= set(writes)


@pytest.mark.django_db
def test_the_schema_is_generated_from_an_empty_database():
    Term.objects.filter(parent__isnull=False).delete()
    Term.objects.all().delete()
    schema = generated_schema()
    validate_schema(schema)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert "enum" not in parameters["theme"]["schema"]["items"]


@pytest.mark.django_db
def test_the_interactive_documentation_needs_no_cdn(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert client.get("/api/v1/docs/redoc/").status_code == 200


@pytest.mark.django_db
def test_the_data_page_and_the_token_page_link_to_the_documentation(client, contributor):
    assert 'href="/api/v1/docs/"' in client.get("/donnees/").content.decode()
    client.force_login(contributor)
    assert 'href="/api/v1/docs/"' in client.get("/compte/jetons/").content.decode()


# ---- Property-based fuzzing of every operation -------------------------------------------


@pytest.fixture
def fuzzed_registry(db, contributor):
    """A few cases of every kind for the fuzzer to find, and a contributor's token."""
    lille = CaseFactory(
        title="Cité éducative de Lille",
        places=[territory("commune", "59350")],
        tags=[term("theme", "education_jeunesse"), term("practice", "copilotage")],
    )
    CaseFactory(title="Garage solidaire", places=[territory("region", "84")])
    CaseFactory(owner=contributor, status=CaseStatus.DRAFT, tags=[term("theme", "mobilite")])
    CaseFactory(owner=contributor, status=CaseStatus.SUBMITTED)
    OrganizationFactory(name="Entreprise Siren", siren="552120222")
    _token, key = ApiToken.issue(user=contributor, name="fuzzer")
    return {"case": lille, "headers": {"Authorization": f"Token {key}"}}


@pytest.fixture
def wsgi_app():
    """The project's WSGI application over the test's own database connection.

    Schemathesis calls it from its worker threads, one request at a time; each
    request uses the test's connection (shared, its transaction still open and
    rolled back at the end), so the fuzzer sees the fixtures and leaves nothing
    behind. Nor may a request close that connection, as Django's test client
    also ensures."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    shared = connections["default"]
    shared.inc_thread_sharing()
    django_app = get_wsgi_application()

    def app(environ, start_response):
        connections["default"] = shared
        return django_app(environ, start_response)

    try:
        yield app
    finally:
        shared.dec_thread_sharing()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def schemathesis_config(headers):
    """The project's schemathesis.toml (what `st run` reads), every check, positive
    and negative data, every phase, a fixed seed."""
    config = tomllib.loads(SCHEMATHESIS_TOML.read_text())
    return Config.from_dict(
        {
            **config,
            "headers": headers,
            "workers": 1,
            "seed": 20260101,
            "checks": {"enabled": True},
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES_PER_OPERATION,
                "allow-x00": True,
                "database": "none",
            },
        }
    )


@pytest.fixture
def in_process_probes(monkeypatch):
    """schemathesis 4.32's `ignored_auth` probe hands an in-process call the socket
    options of a network one (`max_redirects`…), which werkzeug refuses: drop them."""
    send = WSGITransport.send

    def without_socket_options(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", without_socket_options)


def test_schemathesis_finds_nothing_with_every_check_in_every_phase(
    fuzzed_registry, wsgi_app, in_process_probes
):
    """Every operation, with requests generated from the schema alone — its
    examples, the boundaries of every parameter and body (coverage), random valid
    and invalid values (fuzzing), then sequences that follow the schema's links
    (stateful: a draft created, read, edited, submitted, withdrawn, deleted) —
    answers as documented, for every check schemathesis has: no 5xx; documented
    status codes, content types, headers and bodies; valid requests accepted,
    invalid ones refused; methods not offered refused with 405; no resource used
    after it was deleted; authentication not ignored."""
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/min")
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        config = schemathesis_config(fuzzed_registry["headers"])
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app, config=config)
        failures, errors, checks_run, phases = [], [], set(), set()
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                phases.add(event.phase.name)
                for nodes in event.recorder.checks.values():
                    for node in nodes:
                        checks_run.add(node.name)
                        if node.status == Status.FAILURE and node.failure_info is not None:
                            failure = node.failure_info.failure
                            failures.append(
                                f"{event.recorder.label}: {node.name}: {failure.title}\n"
                                f"{failure.message}\n{node.failure_info.code_sample}"
                            )
            elif isinstance(event, events.NonFatalError | events.FatalError):
                errors.append(str(getattr(event, "value", getattr(event, "exception", event))))
            elif isinstance(event, events.EngineFinished):
                failures += [str(failure) for failure in event.failures]
    assert errors == []
    assert failures == [], "\n\n".join(failures)
    load_all_checks()
    every_check = {check.__name__ for check in CHECKS.get_all() if callable(check)}
    assert (
        {
            "not_a_server_error",
            "status_code_conformance",
            "content_type_conformance",
            "response_headers_conformance",
            "response_schema_conformance",
            "negative_data_rejection",
            "positive_data_acceptance",
            "unsupported_method",
            "use_after_free",
            "ensure_resource_availability",
        }
        <= checks_run
        <= every_check
    )
    assert {"COVERAGE", "FUZZING", "STATEFUL_TESTING"} <= phases


@pytest.mark.django_db
def test_the_schema_says_what_the_api_refuses(client):
    """The rules the API applies to every input are in the schema: no control
    character in free text, codes of the vocabularies, no unknown field, empty
    query parameters ignored, and what `fields` may name."""
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    territories = {
        p["name"]: p for p in schema["paths"]["/api/v1/territories/"]["get"]["parameters"]
    }
    assert territories["q"]["schema"]["pattern"] == TEXT_PATTERN
    assert territories["q"]["allowEmptyValue"] is True
    components = schema["components"]["schemas"]
    body = components["CaseWriteRequest"]
    assert body["additionalProperties"] is False
    assert body["properties"]["title"]["pattern"] == NON_BLANK_TEXT_PATTERN
    assert body["properties"]["description"]["pattern"] == TEXT_PATTERN
    phases = set(Term.objects.of("phase").active().values_list("code", flat=True))
    assert set(components["PhaseEnum"]["enum"]) == phases
    assert components["OrganizationWriteRequest"]["properties"]["name"]["minLength"] == 1
    cases = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert "" in cases["partnership"]["schema"]["items"]["enum"]
    assert {"id", "slug", "title"} <= set(cases["fields"]["schema"]["items"]["enum"])
    assert cases["fields"]["explode"] is False
