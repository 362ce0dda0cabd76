"""The OpenAPI schema validates, every path in it is implemented, and the docs work offline."""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from api import views

from .conftest import AO

CONTRACT = ["organizations", "countries", "gef", "campaign-plans", "campaign-support-plans", "taskers", "comments"]


@pytest.fixture
def served(world, as_member) -> dict:
    response = as_member("EUCOM", AO).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_validates_against_the_openapi_3_specification(served):
    validate_schema(served)
    assert served["openapi"].startswith("3.")


def test_the_served_schema_is_the_generated_one_the_fuzzer_uses(served):
    import json

    generated = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    assert served["paths"] == generated["paths"]


def test_schemathesis_loads_the_live_schema(world, keep_test_connection_open):
    from api.services import api_token_issue

    key = api_token_issue(user=world.user("DA", AO)).key
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(),
                                            headers={"Authorization": f"Token {key}"})
    assert len(list(schema.get_all_operations())) >= 25


def test_every_resource_of_the_contract_is_in_the_schema_with_history_and_transitions(served):
    paths = set(served["paths"])
    for resource in CONTRACT:
        assert f"/api/v1/{resource}/" in paths
    for resource in ("campaign-plans", "campaign-support-plans"):
        for suffix in ("history/", "transitions/", "transitions/{name}/"):
            assert f"/api/v1/{resource}/{{id}}/{suffix}" in paths
    assert "/api/v1/taskers/{id}/respond/" in paths and "/api/v1/comments/{id}/adjudicate/" in paths


def test_every_path_and_method_in_the_schema_is_implemented(served):
    samples = {"id": "1", "acronym": "EUCOM", "code": "PL", "name": "submit", "partner_id": "1", "annex_id": "1"}
    for path, operations in served["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: samples[m.group(1)], path)
        match = resolve(concrete)
        assert match.func is not views.not_found, path
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete"):
                actions = getattr(match.func, "actions", None)  # a viewset; else a plain view's handlers
                implemented = method in actions if actions is not None else hasattr(match.func.view_class, method)
                assert implemented, f"{method.upper()} {path}"


def test_every_error_an_operation_may_answer_is_documented_as_problem_json(served):
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "429"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, f"{method} {path} {status}"


def test_the_interactive_docs_load_their_assets_from_this_site(world, client):
    client.force_login(world.user("EUCOM", AO))
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"/api/schema/" in script.content
