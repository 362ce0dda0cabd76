"""The manpower change request's route belongs to DSCA, which manages the SCOs' joint manpower
program (Encl. 2, 2.f): its action officers change it, others are told whose it is. Every routed
kind names the office owning its procedure when it registers with the engine."""

from __future__ import annotations

import pytest

from manpower.reference import KIND
from organizations.models import Designation, Role
from workflow.exceptions import NotPermitted
from workflow.models import Route
from workflow.registry import procedure_owner, registered_documents
from workflow.services import RouteStepSpec, route_update

pytestmark = pytest.mark.django_db


def _steps(route, *, longer: int = 0):
    return [RouteStepSpec(step=s.step, organization=s.organization, designation=s.designation, relation=s.relation,
                          suspense_working_days=s.suspense_working_days + longer, authority=s.authority)
            for s in route.steps.order_by("position")]


def test_dsca_changes_the_manpower_route_and_others_are_told_it_is_dscas_encl2_2f(world):
    route = Route.objects.get(document_kind=KIND)
    steps = _steps(route, longer=1)
    with pytest.raises(NotPermitted, match=r"security cooperation agency"):
        route_update(route=route, by=world.user("USD(P&R)", Role.ACTION_OFFICER), steps=steps)
    route_update(route=route, by=world.user("DSCA", Role.ACTION_OFFICER), steps=steps)
    assert [s.suspense_working_days for s in route.steps.order_by("position")] == \
        [s.suspense_working_days for s in steps]


def test_every_routed_kind_names_the_office_that_owns_its_procedure():
    routed = [model for model in registered_documents() if hasattr(model, "route_snapshot")
              and not model.__module__.startswith("tests.")]
    assert len(routed) >= 10
    owners = {model.__name__: procedure_owner(model) for model in routed}
    assert all(owner in Designation.values for owner in owners.values()), owners
    assert owners["ManpowerChangeRequest"] == Designation.SECURITY_COOPERATION_AGENCY
    assert owners["WorkforceReadinessReport"] == Designation.PERSONNEL_READINESS
