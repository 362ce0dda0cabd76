"""Partner sustainability and unity of effort (DoDD 5132.03, 4.b and 4.c): each partner's ability
to support, safeguard and sustain the capability is answered yes / partly / no with evidence; a
"no" stands only on overriding military considerations, which the reviewing authority accepts
explicitly before review can complete; other agencies' complementary activities per partner."""

from __future__ import annotations

import datetime
import importlib
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import api_token_issue
from organizations.models import Country, Role
from planning.conditions import content_complete
from planning.models import CampaignPlan, ComplementaryActivity, PartnerConsideration, PlanState
from planning.services import (
    PlanContentInvalid,
    partner_override_accept,
    plan_lists_replace,
    plan_new_version,
)
from tests.security.test_need_to_know_admin_paths import change_form_as_shown
from workflow.exceptions import NotPermitted, TransitionRefused
from workflow.models import HistoryEntry, Response, Step
from workflow.selectors import open_taskers, taskers_of
from workflow.services import tasker_respond, transition_perform

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
POLAND_CANNOT_SUSTAIN = {"support": "yes", "can_support": "Air force trained on the system since 2024.",
                         "safeguard": "yes", "can_safeguard": "End-use monitoring agreed.",
                         "sustain": "no", "can_sustain": "No depot-level maintenance before 2031."}
OVERRIDE = "Deterrence on the eastern flank requires the capability now; U.S. contractor logistics bridge the gap."


@pytest.fixture(autouse=True)
def _a_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


def _poland(**answers) -> dict:
    return {"country": Country.objects.get(code="PL"), **POLAND_CANNOT_SUSTAIN, **answers}


def _in_review(world, plan):
    plan = transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "USD(AT&L)"):
        tasker = open_taskers(plan, step=Step.COORDINATION).get(organization=world.orgs[acronym])
        tasker_respond(tasker=tasker, by=world.user(acronym, REV), response=Response.CONCUR)
    return transition_perform(document=plan, name="send_to_review", by=world.user("EUCOM", AO))


def _reviews_in(world, plan):
    for acronym in ("J5", "USD(P)"):
        tasker = open_taskers(plan, step=Step.REVIEW).get(organization=world.orgs[acronym])
        tasker_respond(tasker=tasker, by=world.user(acronym, REV), response=Response.CONCUR)


def test_4b_a_no_without_overriding_considerations_is_refused_beside_its_row_and_nothing_is_saved(world):
    plan = world.ready_plan()
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[_poland()])
    fault = refused.value.rows["partner_considerations"][0]["overriding_considerations"][0]
    assert "Poland cannot support, safeguard or sustain" in fault and "overriding military considerations" in fault
    assert list(PartnerConsideration.objects.filter(plan=plan.plan_ptr).values_list("sustain", "can_sustain")) == [
        ("partly", "With help")]


def test_4b_an_answer_other_than_yes_partly_or_no_is_refused(world):
    plan = world.ready_plan()
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[_poland(sustain="maybe")])
    assert refused.value.rows["partner_considerations"][0]["sustain"] == ["Answer yes, partly or no."]


def test_4b_each_answer_needs_its_evidence_before_submission(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[_poland(sustain="partly", can_sustain="")])
    reasons = " ".join(content_complete(plan))
    assert "yes, partly or no, each with its evidence: incomplete for Poland" in reasons
    with pytest.raises(TransitionRefused):
        transition_perform(document=plan, name="submit", by=world.user("EUCOM", AO))


def test_4b_review_cannot_complete_until_the_reviewing_authority_accepts_the_overriding_considerations(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO),
                       partners=[_poland(overriding_considerations=OVERRIDE)])
    plan = _in_review(world, plan)
    _reviews_in(world, plan)

    # Every review answer is in, yet the approver is not tasked and approval is refused, saying why.
    assert not taskers_of(plan, step=Step.APPROVAL).exists()
    with pytest.raises(TransitionRefused) as refused:
        transition_perform(document=plan, name="approve", by=world.user("EUCOM", APP))
    assert "has not accepted the overriding military considerations (4.b) for Poland" in " ".join(
        refused.value.reasons)

    partner = PartnerConsideration.objects.get(plan=plan.plan_ptr)
    # A coordinating organization is no reviewing authority.
    with pytest.raises(NotPermitted):
        partner_override_accept(partner=partner, by=world.user("DA", REV))
    partner_override_accept(partner=partner, by=world.user("J5", REV))

    partner.refresh_from_db()
    assert (partner.override_accepted_by, partner.override_accepted_for) == (world.user("J5", REV), world.orgs["J5"])
    assert HistoryEntry.objects.filter(action="override_accepted", object_id=plan.pk,
                                       description__contains="J5 accepted the overriding military considerations "
                                                             "for Poland").exists()
    assert taskers_of(plan, step=Step.APPROVAL).exists()  # the approver is tasked now


def test_4b_overriding_considerations_are_accepted_only_in_review(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[_poland(overriding_considerations=OVERRIDE)])
    partner = PartnerConsideration.objects.get(plan=plan.plan_ptr)
    from workflow.exceptions import ActionRefused

    with pytest.raises(ActionRefused, match="accepted in review"):
        partner_override_accept(partner=partner, by=world.user("J5", REV))


def test_4b_a_new_version_needs_the_acceptance_again(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[_poland(overriding_considerations=OVERRIDE)])
    plan = _in_review(world, plan)
    partner_override_accept(partner=PartnerConsideration.objects.get(plan=plan.plan_ptr), by=world.user("J5", REV))
    _reviews_in(world, plan)
    plan = transition_perform(document=plan, name="approve", by=world.user("EUCOM", APP))
    assert plan.state == PlanState.APPROVED

    copy = plan_new_version(plan=plan, by=world.user("EUCOM", AO))
    copied = PartnerConsideration.objects.get(plan=copy.plan_ptr)
    assert copied.overriding_considerations == OVERRIDE
    assert copied.override_accepted_at is None


def test_4b_the_reviewer_accepts_from_the_plans_admin_page(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[_poland(overriding_considerations=OVERRIDE)])
    plan = _in_review(world, plan)
    partner = PartnerConsideration.objects.get(plan=plan.plan_ptr)
    client = Client()
    client.force_login(world.user("J5", REV))
    page = client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).content.decode()
    assert "Accept the overriding military considerations for Poland" in page
    assert OVERRIDE in page
    client.post(reverse("admin:planning_campaignplan_accept_override", args=[plan.pk, partner.pk]))
    partner.refresh_from_db()
    assert partner.override_accepted_for == world.orgs["J5"]
    page = client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).content.decode()
    assert "Accepted by" in page and "Accept the overriding" not in page


def test_4b_the_reviewer_accepts_through_the_api_and_a_stranger_learns_nothing(world):
    plan = world.ready_plan()
    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), partners=[_poland(overriding_considerations=OVERRIDE)])
    plan = _in_review(world, plan)
    partner = PartnerConsideration.objects.get(plan=plan.plan_ptr)
    url = reverse("api:campaign-plan-accept-override", args=[plan.pk, partner.pk])

    def api(acronym, role):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user(acronym, role)).key}")
        return client

    assert api("CENTCOM", REV).post(url).status_code == 404
    answer = api("J5", REV).post(url)
    assert answer.status_code == 200, answer.json()
    accepted = answer.json()["partner_considerations"][0]
    assert accepted["override_accepted_for"] == "J5" and accepted["sustain"] == "no"
    again = api("J5", REV).post(url)
    assert again.status_code == 409 or again.status_code == 400
    assert "accepted already" in str(again.json())


def test_4c_complementary_activities_are_recorded_per_partner_and_shown_to_reviewers(world):
    plan = world.ready_plan()
    germany = Country.objects.get(code="DE")
    with pytest.raises(PlanContentInvalid) as refused:
        plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), activities=[
            {"country": germany, "agency": "Department of State (PM)", "program": "Foreign Military Financing"}])
    assert "Germany is not one of the plan's partner countries." in refused.value.rows[
        "complementary_activities"][0]["country"]
    assert not ComplementaryActivity.objects.exists()

    plan_lists_replace(plan=plan, by=world.user("EUCOM", AO), activities=[
        {"country": Country.objects.get(code="PL"), "agency": "Department of State (PM)",
         "program": "Foreign Military Financing", "point_of_contact": "Embassy Warsaw, Office of Defense Cooperation"}])
    plan = _in_review(world, plan)
    client = Client()
    client.force_login(world.user("J5", REV))
    page = client.get(reverse("admin:planning_campaignplan_change", args=[plan.pk])).content.decode()
    assert "Foreign Military Financing" in page and "Embassy Warsaw, Office of Defense Cooperation" in page


def test_4c_an_activity_without_agency_or_program_is_refused_through_the_api_with_nothing_saved(world):
    plan = world.ready_plan()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('EUCOM', AO)).key}")
    answer = client.patch(reverse("api:campaign-plan-detail", args=[plan.pk]), {
        "summary": "Changed summary", "complementary_activities": [{"country": "PL", "agency": "", "program": ""}]},
        format="json")
    assert answer.status_code == 400
    plan.refresh_from_db()
    assert plan.summary == "Build partner capacity (training data)."


def test_4b_existing_free_text_answers_become_yes_or_partly_and_a_no_is_left_for_the_planner():
    migration = importlib.import_module("planning.migrations.0006_partner_answers_functions_annexes")
    assert migration._answer("Yes") == "yes"
    assert migration._answer("Yes, with training.") == "partly"
    assert migration._answer("With help") == "partly"
    assert migration._answer("Partly; sustainment case included.") == "partly"
    assert migration._answer("Cannot sustain without U.S. funding") == "no"
    assert migration._answer("Under review by the country team") == ""


def test_4b_the_plan_counts_the_overrides_awaiting_acceptance_through_every_write_of_its_partners(world):
    """The approval reads the plan's count of partners whose overriding military considerations
    wait for acceptance (``overrides_pending``), not the partners: the count follows the admin's
    inline save, the API's partner list, the acceptance and a new version."""
    def pending(plan) -> int:
        return CampaignPlan.objects.values_list("overrides_pending", flat=True).get(pk=plan.pk)

    plan = world.ready_plan()
    owner = world.user("EUCOM", AO)
    assert pending(plan) == 0

    # The admin's change form: Poland's "sustain" turned to "no", with the overriding considerations.
    client = Client()
    client.force_login(owner)
    url = reverse("admin:planning_campaignplan_change", args=[plan.pk])
    data = change_form_as_shown(client.get(url))
    row = next(key.split("-")[1] for key, value in data.items()
               if key.startswith("partner_considerations-") and key.endswith("-country")
               and value == str(Country.objects.get(code="PL").pk))
    data |= {f"partner_considerations-{row}-sustain": "no", f"partner_considerations-{row}-can_sustain": "No depot.",
             f"partner_considerations-{row}-overriding_considerations": OVERRIDE}
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert PartnerConsideration.objects.get(plan=plan.plan_ptr).sustain == "no"
    assert pending(plan) == 1

    # The API's partner list: two partners answering "no", then none.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=owner).key}")
    detail = reverse("api:campaign-plan-detail", args=[plan.pk])
    germany = {**POLAND_CANNOT_SUSTAIN, "country": "DE", "overriding_considerations": OVERRIDE}
    answer = api.patch(detail, {"partner_considerations": [
        {**POLAND_CANNOT_SUSTAIN, "country": "PL", "overriding_considerations": OVERRIDE}, germany]}, format="json")
    assert answer.status_code == 200, answer.json()
    assert pending(plan) == 2
    answer = api.patch(detail, {"partner_considerations": [
        {**POLAND_CANNOT_SUSTAIN, "country": "PL", "sustain": "partly"}]}, format="json")
    assert answer.status_code == 200, answer.json()
    assert pending(plan) == 0
    plan_lists_replace(plan=plan, by=owner, partners=[_poland(overriding_considerations=OVERRIDE),
                                                      _poland(country=Country.objects.get(code="DE"),
                                                              overriding_considerations=OVERRIDE)])
    assert pending(plan) == 2

    # The acceptance, one partner at a time: approval is refused until the last, naming who waits.
    plan = _in_review(world, plan)
    _reviews_in(world, plan)
    germany, poland = PartnerConsideration.objects.filter(plan=plan.plan_ptr).order_by("country__code")
    partner_override_accept(partner=poland, by=world.user("J5", REV))
    assert pending(plan) == 1
    with pytest.raises(TransitionRefused) as refused:
        transition_perform(document=CampaignPlan.objects.get(pk=plan.pk), name="approve", by=world.user("EUCOM", APP))
    assert refused.value.reasons == [
        "The reviewing authority has not accepted the overriding military considerations (4.b) for Germany."]
    partner_override_accept(partner=germany, by=world.user("J5", REV))
    assert pending(plan) == 0
    plan = transition_perform(document=CampaignPlan.objects.get(pk=plan.pk), name="approve",
                              by=world.user("EUCOM", APP))
    assert plan.state == PlanState.APPROVED

    # A new version is reviewed afresh: both wait again.
    copy = plan_new_version(plan=plan, by=owner)
    assert pending(copy) == 2 and pending(plan) == 0
