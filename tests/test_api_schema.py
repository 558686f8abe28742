"""The OpenAPI description: valid, generated without warnings even from an empty
database, served with its interactive documentation from our own static files,
and true to the API — a property-based fuzzer (schemathesis) calls every
operation and finds no server error and no undocumented status code."""

import pytest
import schemathesis
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test.utils import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from registry.models import CaseStatus, Term
from registry.search.filters import CaseFilter
from tests.factories import CaseFactory, OrganizationFactory, term, territory

EXAMPLES_PER_OPERATION = 25


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
    assert set(themes) == set(Term.objects.of("theme").values_list("code", flat=True))
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
    """The project's WSGI application, which must not close the test's database
    connection (and its transaction) after each request, as Django's test client
    also ensures."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_every_generated_request_as_documented(fuzzed_registry, wsgi_app, mode):
    """Every operation, with requests generated from the schema alone — valid
    values of every parameter and body, then values the schema rules out —
    answers as documented: no 5xx, only documented status codes and content
    types, bodies matching their schema."""
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/min")
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app)
        schema.config.generation.update(allow_x00=True)
        failures, exercised = [], []
        for result in schema.get_all_operations():
            operation = result.ok()
            exercised.append(operation.label)

            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(mode))
            def call(case):
                case.call_and_validate(headers=fuzzed_registry["headers"], checks=CHECKS)

            try:
                call()
            except Exception as error:  # noqa: BLE001 - every operation reports
                failures.append(f"{operation.label}: {error}")
    assert len(exercised) >= 20
    assert failures == []


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
