"""A write through the API never leaves the writer unable to read what they wrote. The answer to
a PATCH or POST is the plan re-read through the need-to-know selector; a write that would mark
the plan beyond the writer's clearance or citizenship used to be saved and then not found on
that re-read (an intermittent 500 in the API fuzz test). It is refused with a 400 that says why,
and nothing of the request is saved; a legitimate change of marking is answered with the plan as
it now is."""

from __future__ import annotations

import pytest

from planning.models import CampaignPlan
from security.models import SecurityProfile

from .conftest import AO, plan_payload

V1 = "/api/v1"
AUTHORITY_BLOCK = {"classified_by": "EUCOM J5", "derived_from": "EUCOM SCG, 1 January 2026",
                   "declassify_on": "20511231"}


def profile(user, clearance: str, citizenship: str = "US"):
    SecurityProfile.objects.create(user=user, clearance=clearance, citizenship=citizenship)
    return user


def saved(plan) -> tuple:
    """What a reader of the database finds of the plan: its banner fields, title and objectives."""
    plan = CampaignPlan.objects.get(pk=plan.pk)
    return (plan.classification, plan.noforn, plan.title,
            sorted(plan.objectives.values_list("code", "title", "classification")))


def assert_refused_as_beyond_clearance(answer) -> None:
    assert answer.status_code == 400, answer.content
    problem = answer.json()
    assert problem["type"].endswith("/invalid-input/")
    assert "Nothing was saved" in problem["detail"] and "beyond what your clearance" in problem["detail"]
    assert problem["errors"] == {"classification": ["Beyond your clearance."]}


@pytest.mark.parametrize("change", [
    pytest.param({"classification": "CUI"}, id="level-above-an-uncleared-writer"),
    pytest.param({"objectives": [{"code": "OBJ-9", "title": "Controlled objective", "end_states": [],
                                  "classification": "CUI"}]}, id="portion-raises-the-banner"),
])
def test_patch_marking_the_plan_beyond_the_writers_clearance_is_refused_and_saves_nothing(world, as_member, change):
    plan = world.ready_plan()  # the EUCOM action officer has no security profile: UNCLASSIFIED only
    before = saved(plan)

    answer = as_member("EUCOM", AO).patch(f"{V1}/campaign-plans/{plan.pk}/", {"title": "Retitled", **change},
                                         format="json")

    assert_refused_as_beyond_clearance(answer)
    assert saved(plan) == before
    assert as_member("EUCOM", AO).get(f"{V1}/campaign-plans/{plan.pk}/").json()["title"] == before[2]


def test_patch_marking_secret_beyond_a_confidential_writer_is_refused_and_saves_nothing(world, as_member):
    profile(world.user("EUCOM", AO), "C")
    plan = world.ready_plan()
    before = saved(plan)

    answer = as_member("EUCOM", AO).patch(f"{V1}/campaign-plans/{plan.pk}/",
                                         {"classification": "S", **AUTHORITY_BLOCK}, format="json")

    assert_refused_as_beyond_clearance(answer)
    assert saved(plan) == before


def test_patch_marking_noforn_by_a_foreign_liaison_writer_is_refused_and_saves_nothing(world, as_member):
    profile(world.user("EUCOM", AO), "S", citizenship="PL")
    plan = world.ready_plan()
    before = saved(plan)

    answer = as_member("EUCOM", AO).patch(f"{V1}/campaign-plans/{plan.pk}/", {"noforn": True}, format="json")

    assert_refused_as_beyond_clearance(answer)
    assert saved(plan) == before


def test_post_of_a_plan_marked_beyond_the_writers_clearance_is_refused_and_creates_nothing(world, as_member):
    answer = as_member("EUCOM", AO).post(f"{V1}/campaign-plans/", plan_payload(world, classification="CUI"),
                                        format="json")

    assert_refused_as_beyond_clearance(answer)
    assert not CampaignPlan.objects.filter(title=plan_payload(world)["title"]).exists()


def test_patch_raising_the_marking_within_the_writers_clearance_answers_with_the_plan_as_marked(world, as_member):
    profile(world.user("EUCOM", AO), "S")
    plan = world.ready_plan()

    answer = as_member("EUCOM", AO).patch(f"{V1}/campaign-plans/{plan.pk}/", {
        "title": "Retitled", **AUTHORITY_BLOCK,
        "objectives": [{"code": "OBJ-9", "title": "Secret objective", "end_states": [], "classification": "S"}],
    }, format="json")

    assert answer.status_code == 200, answer.content
    assert (answer.json()["marking"], answer.json()["classification"], answer.json()["title"]) == (
        "SECRET", "S", "Retitled")
    assert saved(plan)[:3] == ("S", False, "Retitled")
