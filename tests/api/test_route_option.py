"""``POST /campaign-plans/{id}/route-option/`` (issue #22, point 1): the office that owns the
campaign plan procedure sets a draft's higher-approval route option, with its citation (the
directive names no approver above the commander, Encl. 2, 10.a). 403 to anyone else, 400 for a
route that is not an option; nothing saved on a refusal."""

from __future__ import annotations

from planning.models import CampaignPlan
from workflow.models import HistoryEntry, Route, Step

from .conftest import AO, APP

V1 = "/api/v1"
SECRETARY = "Campaign plan approved by the Secretary of Defense (practice)"


def _url(plan) -> str:
    return f"{V1}/campaign-plans/{plan.pk}/route-option/"


def _unchanged(plan) -> bool:
    return (CampaignPlan.objects.get(pk=plan.pk).route_id is None
            and not HistoryEntry.objects.filter(object_id=plan.pk, action="route_option_set").exists())


def test_encl2_10a_the_policy_office_sets_the_secretarys_approval_and_every_reader_sees_its_citation(world, as_member):
    plan = world.ready_plan()
    option = Route.objects.get(document_kind="campaign_plan", name=SECRETARY)
    answer = as_member("USD(P)", AO).post(_url(plan), {"route": option.pk}, format="json")
    assert answer.status_code == 200, answer.json()
    chosen = answer.json()["route_option"]
    assert (chosen["id"], chosen["name"]) == (option.pk, SECRETARY)
    assert chosen["citation"].startswith("Practice (not DoDD 5132.03)")
    read = as_member("EUCOM", AO).get(f"{V1}/campaign-plans/{plan.pk}/").json()
    assert read["route_option"] == chosen
    history = as_member("EUCOM", AO).get(f"{V1}/campaign-plans/{plan.pk}/history/").json()
    assert any(h["description"].startswith(f"Route option set by USD(P): {SECRETARY}") for h in history)

    cleared = as_member("USD(P)", AO).post(_url(plan), {"route": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["route_option"] is None


def test_encl2_10a_the_owner_is_refused_403_before_its_input_is_read_and_nothing_is_saved(world, as_member):
    plan = world.ready_plan()
    option = Route.objects.get(document_kind="campaign_plan", name=SECRETARY)
    for role in (AO, APP):
        for body in ({"route": option.pk}, {"route": "nonsense"}):
            refused = as_member("EUCOM", role).post(_url(plan), body, format="json")
            assert refused.status_code == 403, refused.json()
            assert refused.json()["detail"] == ("Only the office that owns this kind's procedure may choose the "
                                                "route of a plan.")
    assert _unchanged(plan)


def test_a_route_that_is_not_an_option_is_refused_400_with_the_field_named(world, as_member):
    plan = world.ready_plan()
    policy = as_member("USD(P)", AO)
    default = Route.objects.get(document_kind="campaign_plan", is_default=True)
    refused = policy.post(_url(plan), {"route": default.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["route"] == ["Choose one of the other routes for a campaign plan."]
    uncited = Route.objects.create(document_kind="campaign_plan", name="Uncited", is_default=False)
    uncited.steps.create(step=Step.APPROVAL, organization=world.orgs["USD(P)"])
    refused = policy.post(_url(plan), {"route": uncited.pk}, format="json")
    assert refused.status_code == 400 and "must cite their authority" in refused.json()["errors"]["route"][0]
    for body in ({"route": 999999}, {}):
        assert policy.post(_url(plan), body, format="json").status_code == 400
    assert _unchanged(plan)


def test_once_submitted_the_route_stays_409(world, as_member):
    plan = world.ready_plan()
    assert as_member("EUCOM", AO).post(f"{V1}/campaign-plans/{plan.pk}/transitions/submit/", {},
                                       format="json").status_code == 200
    option = Route.objects.get(document_kind="campaign_plan", name=SECRETARY)
    refused = as_member("USD(P)", AO).post(_url(plan), {"route": option.pk}, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "A route option is chosen before submission; this plan is in coordination."


def test_the_route_option_endpoint_is_in_the_openapi_schema(world, as_member):
    served = as_member("EUCOM", AO).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    post = served["paths"]["/api/v1/campaign-plans/{id}/route-option/"]["post"]
    assert "route option" in post["summary"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "route" in served["components"]["schemas"][body]["properties"]
    assert {"200", "400", "403"} <= set(post["responses"])
    assert "route_option" in served["components"]["schemas"]["CampaignPlan"]["properties"]
