"""Activities under a plan's objectives through the API (DoDD 5132.03, Encl. 2, 10.b), marked as
portions as objectives and sections are: each activity's classification, NOFORN and REL TO written
and read back with its portion mark, raising the plan's banner, refused beyond the writer's
clearance with nothing saved; and a submission refused while an activity lacks its description."""

from __future__ import annotations

from organizations.models import Country
from planning.models import CampaignPlan, PlanActivity
from security.models import SecurityProfile

from .conftest import AO, plan_payload

V1 = "/api/v1"
ACTIVITY = {"title": "Air defense staff course", "description": "Staff course for the partner's air defense cell "
            "(training data).", "partner": "PL", "start_date": "2027-02-01", "end_date": "2027-02-20"}


def _objectives(world, *activities) -> list[dict]:
    return [{"code": "OBJ-1", "title": "Interoperable air defense", "end_states": [world.end_state.pk],
             "activities": list(activities)}]


def test_encl2_10b_activity_marks_are_written_and_read_back_and_raise_the_banner(world, as_member):
    SecurityProfile.objects.create(user=world.user("EUCOM", AO), clearance="S", citizenship="US")
    Country.objects.get_or_create(code="GB")
    eucom = as_member("EUCOM", AO)
    created = eucom.post(f"{V1}/campaign-plans/", plan_payload(world, objectives=_objectives(
        world, {**ACTIVITY, "classification": "CUI", "noforn": True},
        {**ACTIVITY, "title": "Seminar", "rel_to": ["gb"]})), format="json")
    assert created.status_code == 201, created.json()
    plan = eucom.get(f"{V1}/campaign-plans/{created.json()['id']}/").json()
    shown = [(a["title"], a["classification"], a["noforn"], a["rel_to"], a["marking"])
             for a in plan["objectives"][0]["activities"]]
    assert shown == [("Air defense staff course", "CUI", True, [], "(CUI//NF)"),
                     ("Seminar", "U", False, ["GB"], "(U//REL)")]
    assert plan["classification"] == "CUI" and plan["marking"] == "CUI//NOFORN"


def test_encl2_10b_an_activity_beyond_the_writers_clearance_is_refused_and_nothing_is_saved(world, as_member):
    SecurityProfile.objects.create(user=world.user("EUCOM", AO), clearance="CUI", citizenship="US")
    eucom = as_member("EUCOM", AO)
    plan = eucom.post(f"{V1}/campaign-plans/", plan_payload(world), format="json").json()
    answer = eucom.patch(f"{V1}/campaign-plans/{plan['id']}/", {"objectives": _objectives(
        world, {**ACTIVITY, "classification": "C"})}, format="json")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    assert "You may not mark a plan CONFIDENTIAL" in answer.json()["detail"]
    assert not PlanActivity.objects.exists()
    assert CampaignPlan.objects.get(pk=plan["id"]).classification == "U"


def test_encl2_10b_submission_through_the_api_names_the_activity_without_a_description(world, as_member):
    eucom = as_member("EUCOM", AO)
    plan = eucom.post(f"{V1}/campaign-plans/", plan_payload(world, objectives=_objectives(
        world, {**ACTIVITY, "description": ""})), format="json").json()
    refused = eucom.post(f"{V1}/campaign-plans/{plan['id']}/transitions/submit/", {}, format="json")
    assert refused.status_code == 409, refused.json()
    assert any(reason.startswith("Activity \u201cAir defense staff course\u201d (objective OBJ-1) has no "
                                 "description.") and "Encl. 2, 10.b" in reason for reason in refused.json()["reasons"])
    described = eucom.patch(f"{V1}/campaign-plans/{plan['id']}/", {"objectives": _objectives(world, ACTIVITY)},
                            format="json")
    assert described.status_code == 200, described.json()
    submitted = eucom.post(f"{V1}/campaign-plans/{plan['id']}/transitions/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "coordination"
