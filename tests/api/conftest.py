"""The API tests use the plan tests' small world (the organizations of the default routes, a GEF,
members in each role) and call the API as those members, each with its own token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.services import api_token_issue
from organizations.models import Role
from tests.planning import conftest as planning

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
world = planning.world  # the same fixture as the plan tests

@pytest.fixture(autouse=True)
def _rate_limit_counts_start_at_zero():
    cache.clear()
    yield
    cache.clear()

@pytest.fixture
def keep_test_connection_open():
    """Requests sent to the WSGI application itself (schemathesis) end with Django closing the
    database connection, which would end the test's transaction on PostgreSQL; Django's own test
    client avoids this the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def as_member(world):
    """``as_member("EUCOM", AO)``: an API client authenticated with that member's token."""

    clients: dict[tuple[str, str], APIClient] = {}

    def client_for(acronym: str, role: str) -> APIClient:
        if (acronym, role) not in clients:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
            clients[acronym, role] = client
        return clients[acronym, role]

    return client_for

def plan_payload(world, **overrides) -> dict:
    """A complete campaign plan, as another system would send it."""
    payload = {
        "owner": "EUCOM", "title": "EUCOM theater campaign plan", "kind": "theater", "gef": world.gef.pk,
        "period_start": "2027-01-01", "period_end": "2032-01-01",
        "summary": "Build partner capacity (training data).", "complementary_usg_activities": "State INL programs.",
        "resources_needed": "Security cooperation funding.", "risk_if_not_resourced": "Partner capability gaps.",
        "supporting_organizations": ["DA", "DON"],
        "partner_considerations": [{"country": "pl", "support": "yes", "can_support": "Yes", "safeguard": "yes",
                                    "can_safeguard": "Yes", "sustain": "partly",
                                    "can_sustain": "With help"}],
        "objectives": [{"code": "OBJ-1", "title": "Interoperable air defense", "end_states": [world.end_state.pk]}],
    }
    payload.update(overrides)
    return payload

