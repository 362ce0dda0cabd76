"""Authority as cited data, offices through time and who may own what (issue #22, points 1-3):
each route step carries the paragraph it implements; a campaign plan is reviewed by the Joint Staff
in conjunction with USD(P) (Encl. 2, 9.b; 1.c) and approved by the owning commander (10.a); a
higher approval is a route option with its citation; coordination taskers for USD(AT&L) go to the
offices holding its duties on the tasker's date; plan kinds follow their owners (Glossary)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import Designation, Organization, OrganizationKind, OrganizationSuccession, Role
from planning.models import CampaignPlan, CampaignPlanKind, PlanState
from planning.services import (
    campaign_plan_create,
    plan_lists_replace,
    plan_route_option_set,
    plan_update,
    support_plan_create,
)
from workflow.exceptions import InvalidInput, NotPermitted, TransitionRefused
from workflow.models import Response, Route, Step
from workflow.selectors import history_of, open_taskers, route_participants, taskers_of

from .test_plan_workflow import act, answer, to_review

AO, REV, APP = Role.ACTION_OFFICER, Role.REVIEWER, Role.APPROVER


def _route(kind="campaign_plan"):
    return Route.objects.get(document_kind=kind, is_default=True)


def _reviewed(world, plan):
    plan = to_review(world, plan)
    for acronym in ("J5", "USD(P)"):
        answer(world, plan, acronym, Response.CONCUR, step=Step.REVIEW)
    return plan


# --- 1. authority as cited data ------------------------------------------------------------------

def test_each_default_step_cites_its_paragraph_encl2_9b_1c_10a_3a_7a_8a(world):
    """Review by the Chairman (J5) in conjunction with USD(P) (9.b), USD(P)'s oversight recorded as a
    review (1.c), approval by the owning commander (10.a), coordination by the Military
    Departments and Defense Agencies (7.a, 8.a) and USD(AT&L)'s successors (3.a)."""
    cited = {(s.step, s.designation or s.relation or s.organization.acronym): s.authority
             for s in _route().steps.select_related("organization")}
    assert "Encl. 2, 9.b" in cited[Step.REVIEW, Designation.JOINT_STAFF]
    assert "Encl. 2, 1.c" in cited[Step.REVIEW, Designation.POLICY_OFFICE]
    assert "Encl. 2, 10.a" in cited[Step.APPROVAL, "owner"]
    assert "7.a and 8.a" in cited[Step.COORDINATION, "supporting_organizations"]
    assert "3.a" in cited[Step.COORDINATION, "USD(AT&L)"]
    assert not any("2.c" in words or "10.c" in words for words in cited.values())
    assert all(s.authority for s in _route("campaign_support_plan").steps.all())


def test_the_help_page_and_the_diagrams_tooltips_show_each_steps_paragraph(world):
    client = Client()
    client.force_login(world.user("EUCOM", AO))
    page = client.get(reverse("admin:workflow_help", args=["planning", "campaignplan"])).content.decode()
    table = page.split('id="workflow-route-authority"')[1].split("</table>")[0]
    assert "Review: the Joint Staff office" in table and "Encl. 2, 9.b" in table
    assert "Approval: owner" in table and "Encl. 2, 10.a" in table
    svg = page.split('id="workflow-diagram"')[1].split("</svg>")[0]
    approved_box = svg.split('data-state="approved"')[1].split("</g>")[0]
    assert "<title>" in approved_box and "Encl. 2, 10.a" in approved_box
    review_box = svg.split('data-state="review"')[1].split("</g>")[0]
    assert "Encl. 2, 9.b" in review_box and "1.c" in review_box


def test_the_owning_commander_approves_and_usdp_reviews_encl2_10a_1c(world):
    """Encl. 2, 10.a and 1.c: USD(P) reviews; the owning combatant commander approves; neither USD(P)
    nor another command's approver may approve."""
    plan = _reviewed(world, world.ready_plan())
    approval = open_taskers(plan, step=Step.APPROVAL).get()
    assert approval.organization == world.orgs["EUCOM"]
    assert approval.suspense >= max(t.suspense for t in taskers_of(plan, step=Step.REVIEW))  # route order
    for outsider in (world.user("USD(P)", APP), world.user("SOCOM", APP)):
        with pytest.raises(TransitionRefused, match="Only the approving organization"):
            act(plan, "approve", outsider)
    assert act(plan, "approve", world.user("EUCOM", APP)).state == PlanState.APPROVED


def test_a_higher_approval_is_a_route_option_the_procedure_owner_sets_with_its_citation(world):
    """Practice above the directive (no paragraph names an approver above the commander): the
    policy office sets the "Secretary's approval" route on a draft; the plan is then approved by
    the policy office, and its history cites the practice."""
    option = Route.objects.get(document_kind="campaign_plan", is_default=False)
    plan = world.ready_plan()
    with pytest.raises(NotPermitted):
        plan_route_option_set(plan=plan, by=world.user("EUCOM", APP), route=option)
    plan = plan_route_option_set(plan=plan, by=world.user("USD(P)", AO), route=option)
    entry = history_of(plan).get(action="route_option_set")
    assert "Practice (not DoDD 5132.03)" in entry.description
    plan = _reviewed(world, plan)
    assert [o.acronym for o, _ in route_participants(plan, Step.APPROVAL)] == ["USD(P)"]
    with pytest.raises(TransitionRefused):
        act(plan, "approve", world.user("EUCOM", APP))
    assert act(plan, "approve", world.user("USD(P)", APP)).state == PlanState.APPROVED

    uncited = Route.objects.create(document_kind="campaign_plan", name="Uncited", is_default=False)
    uncited.steps.create(step=Step.APPROVAL, designation=Designation.POLICY_OFFICE)
    draft = world.ready_plan(start=datetime.date(2040, 1, 1))
    with pytest.raises(InvalidInput) as refused:
        plan_route_option_set(plan=draft, by=world.user("USD(P)", AO), route=uncited)
    assert "must cite their authority" in refused.value.field_errors["route"][0]


# --- 2. offices through time ---------------------------------------------------------------------

def test_coordination_for_usd_atl_goes_to_the_offices_holding_its_duties_on_the_taskers_date(world):
    """Encl. 2, 3.a names USD(AT&L); since 1 Feb 2018 its duties are USD(A&S)'s and USD(R&E)'s: a
    plan submitted today tasks them (the reason names USD(AT&L)); history keeps the names used."""
    osd = Organization.objects.create(acronym="OSD", name="OSD (test)", kind=OrganizationKind.OTHER)
    successors = [Organization.objects.create(acronym=a, name=f"{a} (test)", kind=OrganizationKind.OSD_PSA,
                                              parent=osd, active_from=datetime.date(2018, 2, 1))
                  for a in ("USD(A&S)", "USD(R&E)")]
    for successor in successors:
        OrganizationSuccession.objects.create(predecessor=world.orgs["USD(AT&L)"], successor=successor,
                                              start=datetime.date(2018, 2, 1), duties="test",
                                              source="Pub. L. 114-328, sec. 901")
    plan = act(world.ready_plan(), "submit", world.user("EUCOM", AO))
    tasked = {t.organization.acronym for t in open_taskers(plan, step=Step.COORDINATION)}
    assert tasked == {"DA", "DON", "USD(A&S)", "USD(R&E)"}
    reasons = {o.acronym: why for o, why in route_participants(plan, Step.COORDINATION)}
    assert reasons["USD(A&S)"] == "holds the duties of USD(AT&L), named by the route"
    assert [s["formerly"] for s in plan.route_snapshot["steps"] if s.get("formerly")] == ["USD(AT&L)", "USD(AT&L)"]


# --- 3. who may own what -------------------------------------------------------------------------

def test_a_theater_plan_is_a_geographic_commands_and_a_functional_plan_a_functional_commands_glossary(world):
    """Glossary (theater and functional campaign plans): the kind follows the owner, refused
    beside the field; a functional command's new plan is functional unless it says otherwise."""
    socom = world.user("SOCOM", AO)
    with pytest.raises(InvalidInput) as refused:
        campaign_plan_create(by=socom, owner=world.orgs["SOCOM"], title="SOCOM plan", kind=CampaignPlanKind.THEATER)
    assert "A theater campaign plan is developed by a geographic combatant command" in \
        refused.value.field_errors["kind"][0]
    assert campaign_plan_create(by=socom, owner=world.orgs["SOCOM"], title="SOCOM plan").kind == \
        CampaignPlanKind.FUNCTIONAL
    eucom_plan = world.ready_plan()
    with pytest.raises(InvalidInput) as refused:
        plan_update(plan=eucom_plan, by=world.user("EUCOM", AO), kind=CampaignPlanKind.FUNCTIONAL)
    assert "functional combatant command" in refused.value.field_errors["kind"][0]
    assert CampaignPlan.objects.get(pk=eucom_plan.pk).kind == CampaignPlanKind.THEATER


def test_one_theater_campaign_plan_in_force_per_command_and_period_glossary(world):
    plan = act(_reviewed(world, world.ready_plan()), "approve", world.user("EUCOM", APP))
    with pytest.raises(InvalidInput) as refused:
        world.ready_plan(start=plan.period_start)
    assert refused.value.field_errors["period_start"][0].startswith(
        "EUCOM already has a theater campaign plan in force from 2027-01-01 to 2032-01-01")
    assert CampaignPlan.objects.filter(owner=world.orgs["EUCOM"]).count() == 1
    later = world.ready_plan(start=datetime.date(2032, 1, 1))  # the next period
    assert later.pk and plan.state == PlanState.APPROVED


def test_a_combatant_command_writes_a_support_plan_only_for_another_commands_plan_encl2_10b(world):
    """Encl. 2, 10.b and the Glossary: a functional command supports a geographic command's plan."""
    # SOCOM coordinates EUCOM's plan, which is how it sees it (need-to-know), and supports it once approved.
    eucom_plan = act(world.ready_plan(supporting=("DA", "DON", "SOCOM")), "submit", world.user("EUCOM", AO))
    for acronym in ("DA", "DON", "SOCOM", "USD(AT&L)"):
        answer(world, eucom_plan, acronym, Response.CONCUR)
    eucom_plan = act(eucom_plan, "send_to_review", world.user("EUCOM", AO))
    for acronym in ("J5", "USD(P)"):
        answer(world, eucom_plan, acronym, Response.CONCUR, step=Step.REVIEW)
    eucom_plan = act(eucom_plan, "approve", world.user("EUCOM", APP))
    socom_ao = world.user("SOCOM", AO)
    support = support_plan_create(by=socom_ao, owner=world.orgs["SOCOM"], title="SOCOM support to EUCOM")
    support = plan_lists_replace(plan=support, by=socom_ao, links={"supported_plans": [eucom_plan]})
    assert list(support.supported_plans.all()) == [eucom_plan]
    own = world.ready_plan(owner="SOCOM", supporting=())
    CampaignPlan.objects.filter(pk=own.pk).update(state=PlanState.APPROVED)
    own.refresh_from_db()
    with pytest.raises(InvalidInput) as refused:
        plan_lists_replace(plan=support, by=socom_ao, links={"supported_plans": [eucom_plan, own]})
    assert refused.value.field_errors["supported_plans"] == [
        "A combatant command writes a campaign support plan only in support of another command's plan; SOCOM "
        "owns SOCOM theater campaign plan."]
    assert list(support.supported_plans.all()) == [eucom_plan]  # nothing lost


def test_the_api_refuses_a_theater_plan_of_a_functional_command_beside_the_kind(world):
    from rest_framework.test import APIClient

    from api.services import api_token_issue
    from tests.api.conftest import plan_payload

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=world.user('SOCOM', AO)).key}")
    response = client.post("/api/v1/campaign-plans/", plan_payload(world, owner="SOCOM", title="SOCOM plan"),
                           format="json")
    assert response.status_code == 400, response.content
    assert "geographic combatant command" in response.json()["errors"]["kind"][0]
    assert not CampaignPlan.objects.filter(owner=world.orgs["SOCOM"]).exists()
