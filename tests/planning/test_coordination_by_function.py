"""Coordination by function (DoDD 5132.03 Encl. 2, 10.b second half; 7.a; 8.a): the functional
command or office of each function a plan's objectives work in, and the Military Departments and
Defense Agencies whose programs it uses, are tasked to coordinate automatically, with the reason."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from organizations.models import Organization, OrganizationKind, Role
from planning.models import Objective, ProgramUse
from planning.services import PlanContentInvalid, plan_lists_replace
from workflow.models import Step
from workflow.selectors import taskers_of
from workflow.services import transition_perform

AO = Role.ACTION_OFFICER
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def _a_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


def _objective_rows(plan, **changes) -> list[dict]:
    return [{"id": o.pk, "code": o.code, "title": o.title, "end_states": list(o.end_states.all()), **changes}
            for o in plan.objectives.all()]


def _submit(world, plan):
    return transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))


def _coordinators(plan) -> dict[str, str]:
    return {t.organization.acronym: t.added_reason for t in taskers_of(plan, step=Step.COORDINATION)}


def test_encl2_10b_objective_in_special_operations_brings_socom_into_coordination_with_the_reason(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO),
                       objectives=_objective_rows(plan, functions=["special_operations"]))
    plan = _submit(world, plan)
    coordinators = _coordinators(plan)
    assert "SOCOM" in coordinators
    assert "special operations (objective OBJ-1)" in coordinators["SOCOM"]
    assert "10.b" in coordinators["SOCOM"]
    # Not a seam: SOCOM's reason is its function, not a partner in its area.
    socom = taskers_of(plan, step=Step.COORDINATION).get(organization__acronym="SOCOM")
    assert socom.is_seam is False


def test_encl2_10b_without_functions_no_functional_command_is_tasked(world):
    plan = _submit(world, world.ready_plan())
    assert "SOCOM" not in _coordinators(plan)


def test_encl2_10b_an_office_is_found_by_todays_acronym_and_tasked_once(world):
    """Acquisition and technology release: DTSA and USD(A&S), which the data may still hold as
    USD(AT&L) with today's acronym beside it; USD(AT&L) is on the route already, so it is tasked once."""
    world.orgs["USD(AT&L)"].current_acronym = "USD(A&S)"
    world.orgs["USD(AT&L)"].save()
    Organization.objects.create(acronym="DTSA", name="Defense Technology Security Administration",
                                kind=OrganizationKind.FIELD_ACTIVITY)
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO),
                       objectives=_objective_rows(plan, functions=["acquisition_technology_release"]))
    plan = _submit(world, plan)
    acronyms = [t.organization.acronym for t in taskers_of(plan, step=Step.COORDINATION)]
    assert acronyms.count("USD(AT&L)") == 1
    assert "acquisition and technology release" in _coordinators(plan)["DTSA"]


def test_encl2_7a_8a_programs_used_bring_their_military_department_and_defense_agency(world):
    plan = world.ready_plan(supporting=())
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), programs=[
        {"organization": world.orgs["DA"], "program": "Army international military education and training"},
        {"organization": world.orgs["DLA"], "program": "Partner logistics cataloguing"}])
    plan = _submit(world, plan)
    coordinators = _coordinators(plan)
    assert "Army international military education and training" in coordinators["DA"]
    # Encl. 2, 8 is the Military Departments' section, 7 the Defense Agencies'.
    assert "Encl. 2, 8.a" in coordinators["DA"]
    assert "Encl. 2, 7.a" in coordinators["DLA"]


def test_encl2_10b_the_owner_is_never_tasked_for_its_own_function(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), objectives=_objective_rows(plan, functions=["space"]))
    # No SPACECOM in this small world: nothing to add, and submission still works.
    plan = _submit(world, plan)
    assert "EUCOM" not in _coordinators(plan)


def test_encl2_10b_an_unknown_function_is_refused_beside_its_row_and_nothing_is_saved(world):
    plan = world.ready_plan()
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO),
                           objectives=_objective_rows(plan, title="Changed", functions=["logistics"]))
    assert "Not a function: logistics" in refused.value.rows["objectives"][0]["functions"][0]
    assert Objective.objects.get(plan=plan.plan_ptr).title == "Interoperable air defense"


def test_encl2_8a_a_program_of_a_combatant_command_is_refused_beside_its_row(world):
    plan = world.ready_plan()
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO),
                           programs=[{"organization": world.orgs["CENTCOM"], "program": "Exercise support"}])
    assert "not a Military Department or Defense Agency" in refused.value.rows["programs_used"][0]["organization"][0]
    assert not ProgramUse.objects.exists()


def test_encl2_10b_functions_and_programs_written_through_the_api_task_the_same_organizations(world, client):
    from rest_framework.test import APIClient

    from api.services import api_token_issue

    plan = world.ready_plan(supporting=())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}")
    url = reverse("api:campaign-plan-detail", args=[plan.pk])
    objective = plan.objectives.get()
    wrong = api.patch(url, {"objectives": [{"id": objective.pk, "code": "OBJ-1", "title": "Air defense",
                                            "end_states": [world.end_state.pk], "functions": ["logistics"]}]},
                      format="json")
    assert wrong.status_code == 400
    assert "logistics" in str(wrong.json())
    response = api.patch(url, {
        "objectives": [{"id": objective.pk, "code": "OBJ-1", "title": "Air defense",
                        "end_states": [world.end_state.pk], "functions": ["special_operations"]}],
        "programs_used": [{"organization": "DLA", "program": "Partner logistics cataloguing"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["objectives"][0]["functions"] == ["special_operations"]
    assert response.json()["programs_used"] == [{"organization": "DLA", "program": "Partner logistics cataloguing"}]
    plan = _submit(world, plan)
    assert {"SOCOM", "DLA"} <= set(_coordinators(plan))


def test_encl2_10b_functions_ticked_in_the_admin_are_saved_through_the_service(world, client):
    from tests.security.test_need_to_know_admin_paths import change_form_as_shown

    plan = world.ready_plan()
    client.force_login(world.user("EUCOM", AO))
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    data["objectives-0-functions"] = ["cyberspace", "intelligence"]
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert Objective.objects.get(plan=plan.plan_ptr).functions == ["cyberspace", "intelligence"]
