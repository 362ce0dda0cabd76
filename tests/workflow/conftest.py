"""The engine's tests use the plan tests' small world (organizations of the default routes, a
GEF, members in each role) and the API tests' clients, one token per member."""

from __future__ import annotations

from tests.api import conftest as api
from tests.planning import conftest as planning

world = planning.world  # the same fixtures as the plan and API tests
as_member = api.as_member
