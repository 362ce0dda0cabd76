"""Property-based fuzzing of every endpoint in the live schema (schemathesis, in-process WSGI),
as an authenticated action officer: no answer is a 5xx, and every answer matches the schema
(status code, content type, body). Bounded so it runs in well under a minute."""

from __future__ import annotations

import json
import os
import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import api_token_issue
from workflow.models import Response, Step
from workflow.selectors import comments_of, open_taskers, taskers_of
from workflow.services import tasker_respond, transition_perform

from .conftest import AO, REV

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Objects the fixture made, by resource: half the generated path values are mapped onto them, so
# the fuzzer reaches real documents, taskers and comments and not only 404s.
KNOWN: dict[str, list] = {}


@pytest.fixture
def fuzzing_headers(world, settings, keep_test_connection_open):
    # Enough rate for the fuzzer; the limit itself is tested in test_errors.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "100000/hour", "anon": "100000/hour"}}
    plan = transition_perform(document=world.ready_plan(), name="submit", by=world.user("EUCOM", AO))
    tasker = open_taskers(plan, step=Step.COORDINATION).get(organization=world.orgs["DON"])
    tasker_respond(tasker=tasker, by=world.user("DON", REV), response=Response.NONCONCUR, rationale="Double-counted",
                   comments=[{"category": "critical", "section": "3.a", "text": "Remove 3.a"}])
    draft = world.ready_plan()
    KNOWN.update({
        "campaign-plans": [plan.pk, draft.pk], "taskers": list(taskers_of(plan).values_list("pk", flat=True)),
        "comments": list(comments_of(plan).values_list("pk", flat=True)), "gef": [world.gef.pk],
        "organizations": list(world.orgs), "countries": ["PL", "de", "IL"],
    })
    return {"Authorization": f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}"}


def served_schema() -> dict:
    """What /api/schema/ serves (the same generator as the view; test_schema checks they agree).
    Built at import, as the test database and a token for /api/schema/ exist only later."""
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


# Examples and random fuzzing (valid and invalid input), bounded; the coverage phase's exhaustive
# boundary cases would take minutes per run.
CONFIG = SchemathesisConfig.from_dict({
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "generation": {"mode": "all", "database": "none"},
})
schema = schemathesis.openapi.from_dict(served_schema(), config=CONFIG)
schema.app = get_wsgi_application()


@schema.hook
def map_path_parameters(context, path_parameters):
    resource = context.operation.path.split("/")[3]
    known = KNOWN.get(resource)
    if not path_parameters or not known:
        return path_parameters
    for name in ("id", "acronym", "code"):
        if name in path_parameters:
            draw = zlib.crc32(repr(path_parameters[name]).encode())
            if draw % 2:
                path_parameters[name] = known[draw // 2 % len(known)]
    return path_parameters


@schema.parametrize()
# CI replays the same examples every run (a landing must not depend on luck); a developer's run
# draws new ones, which is how new bugs are found.
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck),
          derandomize=os.environ.get("CI", "") == "true")
def test_no_endpoint_answers_with_a_server_error_or_outside_its_schema(case, fuzzing_headers):
    case.call_and_validate(headers=fuzzing_headers, checks=CHECKS)
