"""Assessment cycles, assessments and program assessments through the API: the assessment
services decide (administrators set cycles up; owners edit in progress), and only the
organizations taking part see them."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from api.services import api_token_issue
from assessments.models import Assessment, AssessmentCycle
from organizations.models import Membership, Role
from planning.models import PlanState

from .conftest import AO, REV

V1 = "/api/v1"
FUTURE = datetime.date.today() + datetime.timedelta(days=60)


def cycle_body(**overrides) -> dict:
    body = {"fiscal_year": FUTURE.year + 1, "owner": "J5", "policy_office": "USD(P)",
            "template_suspense": FUTURE.isoformat(),
            "collection_suspense": (FUTURE + datetime.timedelta(days=30)).isoformat(),
            "joint_review_suspense": (FUTURE + datetime.timedelta(days=60)).isoformat(),
            "evaluation_suspense": (FUTURE + datetime.timedelta(days=90)).isoformat()}
    body.update(overrides)
    return body


def administrator(world) -> APIClient:
    """A cycle administrator: an organization administrator of the designated Joint Staff office."""
    user = get_user_model().objects.create_user(username="cycle_admin", password="x" * 16)
    Membership.objects.create(user=user, organization=world.orgs["J5"], role=Role.ORG_ADMIN,
                              start=datetime.date(2020, 1, 1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).key}")
    return client


def test_a_cycle_is_set_up_by_its_administrator_and_seen_by_the_organizations_taking_part(world, as_member):
    created = administrator(world).post(f"{V1}/assessment-cycles/", cycle_body(), format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["state"], created.json()["owner"]) == ("setup", "J5")
    assert [c["id"] for c in as_member("J5", REV).get(f"{V1}/assessment-cycles/").json()["results"]] == [
        created.json()["id"]]
    assert as_member("EUCOM", AO).get(f"{V1}/assessment-cycles/").json()["results"] == []
    history = as_member("J5", REV).get(f"{V1}/assessment-cycles/{created.json()['id']}/history/").json()
    assert [entry["action"] for entry in history] == ["created"]


def test_only_an_administrator_sets_up_a_cycle_and_phases_must_follow_one_another(world, as_member):
    refused = as_member("J5", AO).post(f"{V1}/assessment-cycles/", cycle_body(), format="json")
    assert refused.status_code == 403 and "administrator of the assessment cycle" in refused.json()["detail"]
    disordered = administrator(world).post(f"{V1}/assessment-cycles/", cycle_body(
        evaluation_suspense=FUTURE.isoformat()), format="json")
    assert disordered.status_code == 400
    assert disordered["Content-Type"] == "application/problem+json"


def test_an_assessment_is_visible_to_its_owner_and_reviewers_only_and_edited_through_the_service(world, as_member):
    cycle = AssessmentCycle.objects.create(
        fiscal_year=2031, owner=world.orgs["J5"], policy_office=world.orgs["USD(P)"], template_suspense=FUTURE,
        collection_suspense=FUTURE, joint_review_suspense=FUTURE, evaluation_suspense=FUTURE)
    plan = world.ready_plan()
    type(plan).objects.filter(pk=plan.pk).update(state=PlanState.APPROVED)
    assessment = Assessment.objects.create(cycle=cycle, owner=world.orgs["EUCOM"], title="EUCOM plan assessment",
                                           suspense=FUTURE, plan=plan)
    assert as_member("DA", REV).get(f"{V1}/assessments/{assessment.pk}/").status_code == 404
    assert as_member("J5", REV).get(f"{V1}/assessments/{assessment.pk}/").status_code == 200
    eucom = as_member("EUCOM", REV)
    assert eucom.get(f"{V1}/assessments/{assessment.pk}/").json()["state"] == "assigned"
    options = {o["name"]: o for o in eucom.get(f"{V1}/assessments/{assessment.pk}/transitions/").json()}
    assert {"start", "submit", "accept"} <= set(options)
    not_yet = eucom.patch(f"{V1}/assessments/{assessment.pk}/", {"strategic_environment_changes": "New threats"},
                          format="json")
    assert not_yet.status_code == 403, not_yet.json()


def test_a_command_named_as_the_cycles_policy_office_is_refused_naming_the_designation(world, as_member):
    refused = administrator(world).post(f"{V1}/assessment-cycles/", cycle_body(policy_office="EUCOM"),
                                        format="json")
    assert refused.status_code == 400
    assert "EUCOM is not the designated policy office (USD(P))" in refused.content.decode()
    assert not AssessmentCycle.objects.exists()
