"""A plan's parts through the API, through the same services as the admin: "new version",
portion-marked sections, and the marking's parts (REL TO, CUI categories, dissemination
controls), with the same permission and marking checks."""

from __future__ import annotations

import pytest

from organizations.models import Country
from planning.models import CampaignPlan, PlanState
from security.models import CUICategory, DisseminationControl, SecurityProfile
from tests.planning.test_plan_workflow import act, to_review
from workflow.selectors import history_of

from .conftest import AO, REV, plan_payload

V1 = "/api/v1"


@pytest.fixture
def cleared(world):
    """The EUCOM action officer, cleared SECRET, U.S."""
    SecurityProfile.objects.create(user=world.user("EUCOM", AO), clearance="S", citizenship="US")
    Country.objects.get_or_create(code="GB")
    CUICategory.objects.create(code="PRVCY", name="Privacy")
    DisseminationControl.objects.create(code="FEDCON", name="Federal employees and contractors only")
    return world


SECTIONS = [
    {"number": "1", "heading": "Strategic environment", "body": "Training data.", "classification": "C",
     "noforn": False, "rel_to": ["GB"]},
    {"number": "2", "heading": "Objectives", "body": "Training data.", "classification": "U"},
]
AUTHORITY = {"classified_by": "EUCOM J5", "derived_from": "EUCOM SCG", "declassify_on": "20510101"}


def test_sections_and_marking_parts_are_written_and_read_back(cleared, as_member):
    eucom = as_member("EUCOM", AO)
    created = eucom.post(f"{V1}/campaign-plans/", plan_payload(
        cleared, sections=SECTIONS, rel_to=["GB"], cui_categories=["PRVCY"], dissemination_controls=["FEDCON"],
        **AUTHORITY), format="json")
    assert created.status_code == 201, created.json()
    plan = eucom.get(f"{V1}/campaign-plans/{created.json()['id']}/").json()
    assert [(s["number"], s["heading"], s["classification"], s["rel_to"]) for s in plan["sections"]] == [
        ("1", "Strategic environment", "C", ["GB"]), ("2", "Objectives", "U", [])]
    assert plan["sections"][0]["marking"].startswith("(C")
    assert (plan["rel_to"], plan["cui_categories"], plan["dissemination_controls"]) == (
        ["GB"], ["PRVCY"], ["FEDCON"])
    # The banner was raised to the highest portion, as the admin does.
    assert plan["classification"] == "C" and plan["marking"].startswith("CONFIDENTIAL")

    changed = eucom.patch(f"{V1}/campaign-plans/{plan['id']}/", {"sections": SECTIONS[1:], "cui_categories": []},
                          format="json")
    assert changed.status_code == 200, changed.json()
    assert [s["number"] for s in changed.json()["sections"]] == ["2"]
    assert changed.json()["cui_categories"] == [] and changed.json()["rel_to"] == ["GB"]  # left out: unchanged


def test_a_section_beyond_the_writers_clearance_is_refused_and_nothing_is_saved(cleared, as_member):
    eucom = as_member("EUCOM", AO)
    plan = eucom.post(f"{V1}/campaign-plans/", plan_payload(cleared), format="json").json()
    secret = {**SECTIONS[0], "classification": "TS"}
    answer = eucom.patch(f"{V1}/campaign-plans/{plan['id']}/", {"sections": [secret], **AUTHORITY}, format="json")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    assert "beyond what your clearance" in answer.json()["detail"]
    stored = CampaignPlan.objects.get(pk=plan["id"])
    assert stored.sections.count() == 0 and stored.classification == "U" and stored.classified_by == ""


def test_unknown_codes_and_repeated_section_numbers_are_400_naming_the_field(cleared, as_member):
    eucom = as_member("EUCOM", AO)
    answer = eucom.post(f"{V1}/campaign-plans/", plan_payload(
        cleared, cui_categories=["NOSUCH"], dissemination_controls=["NOPE"], sections=[SECTIONS[1], SECTIONS[1]]),
        format="json")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"cui_categories", "dissemination_controls", "sections"}
    assert "2 repeated" in answer.json()["errors"]["sections"][0]
    assert not CampaignPlan.objects.exists()


def test_only_the_owners_action_officers_write_sections(cleared, as_member):
    plan = as_member("EUCOM", AO).post(f"{V1}/campaign-plans/", plan_payload(cleared), format="json").json()
    answer = as_member("EUCOM", REV).patch(f"{V1}/campaign-plans/{plan['id']}/", {"sections": SECTIONS[1:]},
                                           format="json")
    assert answer.status_code == 403
    assert CampaignPlan.objects.get(pk=plan["id"]).sections.count() == 0


def _returned(world, as_member):
    eucom = as_member("EUCOM", AO)
    created = eucom.post(f"{V1}/campaign-plans/", plan_payload(world, sections=SECTIONS[1:]), format="json").json()
    plan = to_review(world, CampaignPlan.objects.get(pk=created["id"]))
    return act(plan, "return_for_rework", world.user("J5", REV), comment="Deconflict with SOCOM")


def test_a_new_version_of_a_returned_plan_is_a_201_draft_with_its_sections(world, as_member):
    returned = _returned(world, as_member)
    eucom = as_member("EUCOM", AO)
    answer = eucom.post(f"{V1}/campaign-plans/{returned.pk}/new-version/", format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["version"], body["state"], body["previous_version"], body["series"]) == (
        2, PlanState.DRAFT, returned.pk, str(returned.series))
    assert answer["Location"] == f"{V1}/campaign-plans/{body['id']}/"
    assert [s["heading"] for s in body["sections"]] == ["Objectives"]
    assert eucom.get(answer["Location"]).json() == body
    assert history_of(returned).filter(action="new_version_started").count() == 1


def test_a_new_version_asked_twice_with_one_key_makes_one(world, as_member):
    returned = _returned(world, as_member)
    eucom = as_member("EUCOM", AO)
    first = eucom.post(f"{V1}/campaign-plans/{returned.pk}/new-version/", HTTP_IDEMPOTENCY_KEY="v2-once")
    again = eucom.post(f"{V1}/campaign-plans/{returned.pk}/new-version/", HTTP_IDEMPOTENCY_KEY="v2-once")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert CampaignPlan.objects.filter(series=returned.series).count() == 2
    # Without the key a second request is a second attempt, refused: "not now".
    second = eucom.post(f"{V1}/campaign-plans/{returned.pk}/new-version/")
    assert second.status_code == 409 and "Version 2 is already draft" in second.json()["reasons"][0]


def test_a_new_version_is_refused_403_to_others_and_409_for_a_draft(world, as_member):
    returned = _returned(world, as_member)
    body = as_member("EUCOM", REV).post(f"{V1}/campaign-plans/{returned.pk}/new-version/").json()
    assert body["status"] == 403 and body["type"] == "/api/problems/action-refused/"
    draft = as_member("EUCOM", AO).post(f"{V1}/campaign-plans/", plan_payload(world), format="json").json()
    body = as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{draft['id']}/new-version/").json()
    assert body["status"] == 409 and body["type"] == "/api/problems/not-now/"
    assert CampaignPlan.objects.count() == 2
